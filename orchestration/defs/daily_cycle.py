"""The daily cycle: what a load starts when it succeeds, not by the clock.

A load (the 06:00 schedule or a landing file) starts ``daily_cycle_job``, one run of the stages
after it — resolve the golden record → build the warehouse (the recent rows tested Monday to
Saturday, every row on Sunday) → score → publish the serving copy — since each run the sensor
requests waits for its next tick and then for a process to load the definitions (≈ 25 s a
stage on this machine at Dagster's default tick of 30 s, more than a whole day's work on a small
bank). A stage's job run by hand starts the stages after it the same way, one run each; the
monthly retraining publishes its new scores. One sensor follows it all so it is switched on
and off in one place; ``orchestration/dagster.yaml`` lets one run at a time write the DuckDB
file, so a requested run waits in the queue behind the run before it.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
from zoneinfo import ZoneInfo

import dagster as dg

from orchestration.defs.warehouse import DAILY_BUILD, WarehouseBuildConfig, build_run_config

DAILY_CYCLE_JOB = "daily_cycle_job"
STAGE_AFTER = {
    "resolve_clients_job": "build_warehouse_job",
    "build_warehouse_job": "score_clients_job",
    "score_clients_job": "publish_serving_job",
}
"""The stages after a load, each stage → the next."""
CYCLE_STAGES = ["resolve_clients_job", *STAGE_AFTER.values()]
"""The stages ``daily_cycle_job`` runs, in order."""
NEXT_STAGE = {
    "ingest_raw_job": DAILY_CYCLE_JOB,
    **STAGE_AFTER,
    "train_models_job": "publish_serving_job",
}
"""Upstream job → the job its success starts."""
BUILDING_JOBS = {"build_warehouse_job", DAILY_CYCLE_JOB}
"""The jobs that run the dbt build, and take its run config."""

BANK_TIMEZONE = ZoneInfo("Europe/Moscow")
CYCLE_TAG = "cdp/daily_cycle"
"""Tag carrying the id of the run that started the cycle, on every run the cycle requests."""

WAITING = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED]


def stages_after(job: str) -> list[str]:
    """The jobs a success of ``job`` starts, one after another (the benchmark's daily stage:
    ``daily_cycle_job`` after a load)."""
    following = []
    while job in NEXT_STAGE:
        job = NEXT_STAGE[job]
        following.append(job)
    return following


def bank_today() -> dt.date:
    return dt.datetime.now(BANK_TIMEZONE).date()


def build_config_on(day: dt.date) -> WarehouseBuildConfig:
    """The day's rows are tested the day they arrive; Sunday's build tests every row again."""
    return WarehouseBuildConfig() if day.isoweekday() == 7 else DAILY_BUILD


def run_config_of(job: str, build: WarehouseBuildConfig) -> dg.RunConfig | dict:
    """A job's run config in the daily cycle: the build's where the job runs dbt, else none."""
    return build_run_config(build) if job in BUILDING_JOBS else {}


def next_stage_request(
    instance: dg.DagsterInstance, finished: dg.DagsterRun, today: dt.date
) -> dg.RunRequest | dg.SkipReason:
    """The run that follows ``finished``, unless a run of that job is still waiting to start:
    it will read everything ``finished`` wrote, so a burst of late files builds once."""
    job = NEXT_STAGE[finished.job_name]
    waiting = instance.get_runs(filters=dg.RunsFilter(job_name=job, statuses=WAITING), limit=1)
    if waiting:
        return dg.SkipReason(f"{job} run {waiting[0].run_id} is waiting and will include it")
    return dg.RunRequest(
        job_name=job,
        run_key=f"{job}:after:{finished.run_id}",
        run_config=run_config_of(job, build_config_on(today)),
        tags={
            "cdp/trigger": "daily_cycle_sensor",
            "cdp/after_run": finished.run_id,
            CYCLE_TAG: finished.tags.get(CYCLE_TAG, finished.run_id),
        },
    )


def build_defs(stages: dg.Definitions) -> dg.Definitions:
    """``daily_cycle_job``, selected as the stage jobs it runs select, and the sensor over the
    stages' jobs (it needs their definitions to request them)."""
    jobs = {job.name: job for job in stages.jobs or []}
    daily_cycle_job = dg.define_asset_job(
        DAILY_CYCLE_JOB,
        selection=functools.reduce(operator.or_, (jobs[s].selection for s in CYCLE_STAGES)),
        description="The day after a load, in one run: resolve the golden record, build the "
        "warehouse, score, publish the serving copy.",
    )
    jobs[DAILY_CYCLE_JOB] = daily_cycle_job
    upstream = [job for name, job in jobs.items() if name in NEXT_STAGE]
    downstream = [job for name, job in jobs.items() if name in NEXT_STAGE.values()]

    @dg.run_status_sensor(
        name="daily_cycle_sensor",
        run_status=dg.DagsterRunStatus.SUCCESS,
        monitored_jobs=upstream,
        request_jobs=downstream,
        # The next run waits for the next tick: 5 s, not Dagster's 30 s (a tick reads only the
        # runs that ended since the last one).
        minimum_interval_seconds=5,
        description="Starts the daily cycle when a load succeeds (resolve → build → score → "
        "publish, in one run), the stages after a stage run by hand, and a publication after "
        "retraining.",
    )
    def daily_cycle_sensor(context: dg.RunStatusSensorContext):
        return next_stage_request(context.instance, context.dagster_run, bank_today())

    return dg.Definitions(jobs=[daily_cycle_job], sensors=[daily_cycle_sensor])
