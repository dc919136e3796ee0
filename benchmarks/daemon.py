"""A day as production runs it: the Dagster daemon, the shipped instance settings, the daily
cycle's sensor switched on and the day's load launched into the queue.

The in-process stages (``warehouse_daily``) time the jobs back to back; a deployment also waits
between runs — for the sensor's next tick, the queue, and a process that loads the definitions
before each run — which only the daemon shows.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

TIMEOUT_S = 3600
POLL_S = 1.0
SLOWEST_STEPS = 6
"""Steps kept per run in the report, the slowest first."""


def _dagster_command(name: str) -> str:
    """A Dagster console script of the running interpreter's environment."""
    return str(Path(sys.executable).with_name(name))


def daily_cycle_under_daemon(home: Path, day: dt.date) -> dict:
    """The day's load launched as the 06:00 schedule would queue it, then everything the daily
    cycle's sensor starts after it: seconds from the load's run being queued to the end of the
    last run, each run's wait in the queue and its own seconds, and the gaps between runs."""
    import dagster as dg

    from orchestration.instance import prepare_dagster_home

    dagster_home = home / "dagster_daemon"
    shutil.rmtree(dagster_home, ignore_errors=True)
    prepare_dagster_home(dagster_home)
    env = os.environ | {
        "DAGSTER_HOME": str(dagster_home),
        "CDP_HOME": str(home),
        "CDP_WAREHOUSE_PATH": str(home / "ingest.duckdb"),
    }
    code = ["-m", "orchestration.definitions"]

    def dagster(*args: str) -> None:
        subprocess.run([_dagster_command("dagster"), *args, *code], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip

    daemon = subprocess.Popen(
        [_dagster_command("dagster-daemon"), "run", *code],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        dagster("sensor", "start", "daily_cycle_sensor")
        with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
            _wait_for_the_daemon(instance)
            dagster("job", "launch", "-j", "ingest_raw_job",
                    "--tags", json.dumps({"dagster/partition": day.isoformat()}))  # fmt: skip
            runs = _runs_until_the_cycle_ends(instance)
            milestones = _milestones(instance, runs)
    finally:
        os.killpg(daemon.pid, 15)
        daemon.wait(timeout=120)
    return _timeline(runs, milestones) | {"business_date": str(day)}


def _wait_for_the_daemon(instance) -> None:
    """Until the daemon's sensor loop and run queue have both reported, as in a deployment
    whose daemon is always up (its start is no part of a day)."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        beating = set(instance.get_daemon_heartbeats())
        if {"SENSOR", "QUEUED_RUN_COORDINATOR"} <= beating:
            return
        time.sleep(POLL_S)
    raise TimeoutError("the Dagster daemon did not start within 300 s")


def _runs_until_the_cycle_ends(instance) -> list:
    """The run records once every run has ended and the last one started nothing more."""
    import dagster as dg

    ended = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}
    deadline, quiet_since = time.monotonic() + TIMEOUT_S, None
    while time.monotonic() < deadline:
        records = instance.get_run_records()
        if records and all(r.dagster_run.status in ended for r in records):
            failed = [r.dagster_run.job_name for r in records
                      if r.dagster_run.status != dg.DagsterRunStatus.SUCCESS]  # fmt: skip
            if failed:
                raise RuntimeError(f"the daily cycle failed in {failed}")
            # the sensor ticks every 5 s: a minute with nothing new means nothing follows
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since > 60:
                return sorted(records, key=lambda r: r.create_timestamp)
        else:
            quiet_since = None
        time.sleep(POLL_S)
    raise TimeoutError(f"the daily cycle did not end within {TIMEOUT_S} s")


def _milestones(instance, records: list) -> dict[str, dict]:
    """Per run id: when the run entered the queue and when the queue handed it to its process
    (epoch seconds), how many events it stored, and its slowest steps (a day's docs regenerated
    or a load that waited shows there, not only in the run's total)."""
    milestones = {}
    for record in records:
        logs = instance.all_logs(record.dagster_run.run_id)
        at = {e.dagster_event.event_type_value: e.timestamp for e in logs if e.is_dagster_event}
        steps = {
            s.step_key: round(s.end_time - s.start_time, 1)
            for s in instance.get_run_step_stats(record.dagster_run.run_id)
            if s.end_time
        }
        milestones[record.dagster_run.run_id] = {
            "enqueued": at["PIPELINE_ENQUEUED"],
            "starting": at["PIPELINE_STARTING"],
            "events": len(logs),
            "slowest_steps_s": dict(sorted(steps.items(), key=lambda kv: -kv[1])[:SLOWEST_STEPS]),
        }
    return milestones


def _timeline(records: list, milestones: dict[str, dict]) -> dict:
    """Seconds of the cycle from the first run being queued to the last run's end, and per run
    its wait from being queued to starting, its own seconds and the gap after the run before.
    The wait in three: from the run's creation to the queue (Dagster stores a planned event for
    each of its assets and checks), in the queue, and the run's process loading the code."""
    runs, previous_end = {}, None
    for record in records:
        queued = record.create_timestamp.timestamp()
        at = milestones[record.dagster_run.run_id]
        runs[record.dagster_run.job_name] = {
            "after_previous_s": round(queued - previous_end, 1) if previous_end else None,
            "queued_s": round(record.start_time - queued, 1),
            "to_queue_s": round(at["enqueued"] - queued, 1),
            "in_queue_s": round(at["starting"] - at["enqueued"], 1),
            "process_start_s": round(record.start_time - at["starting"], 1),
            "run_s": round(record.end_time - record.start_time, 1),
            "events": at["events"],
            "slowest_steps_s": at["slowest_steps_s"],
        }
        previous_end = record.end_time
    first = records[0].create_timestamp.timestamp()
    waiting = sum(r["queued_s"] + (r["after_previous_s"] or 0) for r in runs.values())
    return {
        "cycle_s": round(previous_end - first, 1),
        "waiting_s": round(waiting, 1),
        "runs": runs,
    }
