"""The daily cycle: each stage's job starts when the one before it succeeds, not by the clock.

A load (the 06:00 schedule or a landing file) → resolve the golden record → build the warehouse
(the recent rows tested Monday to Saturday, every row on Sunday) → score → publish the serving
copy. The monthly retraining publishes its new scores too. One sensor follows the chain so it is
switched on and off in one place; ``orchestration/dagster.yaml`` lets one run at a time write
the DuckDB file, so a requested stage waits in the queue behind the run before it.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import dagster as dg

from orchestration.defs.warehouse import DAILY_BUILD, WarehouseBuildConfig, build_run_config

NEXT_STAGE = {
    "ingest_raw_job": "resolve_clients_job",
    "resolve_clients_job": "build_warehouse_job",
    "build_warehouse_job": "score_clients_job",
    "score_clients_job": "publish_serving_job",
    "train_models_job": "publish_serving_job",
}
"""Upstream job → the job its success starts."""

BANK_TIMEZONE = ZoneInfo("Europe/Moscow")
CYCLE_TAG = "cdp/daily_cycle"
"""Tag carrying the id of the run that started the cycle, on every run the cycle requests."""

WAITING = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED]


def stages_after(job: str) -> list[str]:
    """The jobs a success of ``job`` starts, one after another (the benchmark's daily stage)."""
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
        run_config=build_run_config(build_config_on(today)) if job == "build_warehouse_job" else {},
        tags={
            "cdp/trigger": "daily_cycle_sensor",
            "cdp/after_run": finished.run_id,
            CYCLE_TAG: finished.tags.get(CYCLE_TAG, finished.run_id),
        },
    )


def build_defs(stages: dg.Definitions) -> dg.Definitions:
    """The chain's sensor over the stages' jobs (it needs their definitions to request them)."""
    upstream = [job for job in stages.jobs or [] if job.name in NEXT_STAGE]
    downstream = [job for job in stages.jobs or [] if job.name in NEXT_STAGE.values()]

    @dg.run_status_sensor(
        name="daily_cycle_sensor",
        run_status=dg.DagsterRunStatus.SUCCESS,
        monitored_jobs=upstream,
        request_jobs=downstream,
        minimum_interval_seconds=30,
        description="Starts each stage of the daily cycle when the one before it succeeds: "
        "load → resolve → build → score → publish (and publish after retraining).",
    )
    def daily_cycle_sensor(context: dg.RunStatusSensorContext):
        return next_stage_request(context.instance, context.dagster_run, bank_today())

    return dg.Definitions(sensors=[daily_cycle_sensor])
