"""The daemon stage's timeline: a day's seconds from its load being queued to the last run's end,
split into the runs' own seconds and the waits around them."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from benchmarks.daemon import _timeline

T0 = dt.datetime(2026, 12, 7, 6, 0, tzinfo=dt.UTC)


def record(job: str, queued: float, started: float, ended: float) -> SimpleNamespace:
    """A run record as ``get_run_records`` gives it: creation a datetime, start and end epochs."""
    base = T0.timestamp()
    return SimpleNamespace(
        dagster_run=SimpleNamespace(job_name=job),
        create_timestamp=T0 + dt.timedelta(seconds=queued),
        start_time=base + started,
        end_time=base + ended,
    )


def test_the_cycle_is_its_runs_and_the_waits_before_and_between_them():
    timeline = _timeline(
        [record("ingest_raw_job", 0, 11, 39), record("daily_cycle_job", 50, 60.5, 136)]
    )
    assert timeline["cycle_s"] == 136
    assert timeline["runs"] == {
        "ingest_raw_job": {"after_previous_s": None, "queued_s": 11, "run_s": 28},
        "daily_cycle_job": {"after_previous_s": 11, "queued_s": 10.5, "run_s": 75.5},
    }
    assert timeline["waiting_s"] == 11 + 11 + 10.5
    assert timeline["waiting_s"] + 28 + 75.5 == timeline["cycle_s"]
