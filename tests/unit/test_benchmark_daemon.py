"""The daemon stage's timeline: a day's seconds from its load being queued to the last run's end,
split into the runs' own seconds and the waits around them."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from benchmarks.daemon import SLOWEST_STEPS, _milestones, _timeline

T0 = dt.datetime(2026, 12, 7, 6, 0, tzinfo=dt.UTC)


def record(job: str, queued: float, started: float, ended: float) -> SimpleNamespace:
    """A run record as ``get_run_records`` gives it: creation a datetime, start and end epochs."""
    base = T0.timestamp()
    return SimpleNamespace(
        dagster_run=SimpleNamespace(job_name=job, run_id=job),
        create_timestamp=T0 + dt.timedelta(seconds=queued),
        start_time=base + started,
        end_time=base + ended,
    )


def test_the_cycle_is_its_runs_and_the_waits_before_and_between_them():
    base = T0.timestamp()
    timeline = _timeline(
        [record("ingest_raw_job", 0, 11, 39), record("daily_cycle_job", 50, 60.5, 136)],
        {
            "ingest_raw_job": {
                "enqueued": base + 3,
                "starting": base + 4,
                "events": 790,
                "slowest_steps_s": {"load_abs__balances": 3.6},
            },
            "daily_cycle_job": {
                "enqueued": base + 53.5,
                "starting": base + 55,
                "events": 985,
                "slowest_steps_s": {"dbt_warehouse": 36.2},
            },
        },
    )
    assert timeline["cycle_s"] == 136
    assert timeline["runs"] == {
        "ingest_raw_job": {
            "after_previous_s": None, "queued_s": 11, "to_queue_s": 3, "in_queue_s": 1,
            "process_start_s": 7, "run_s": 28, "events": 790,
            "slowest_steps_s": {"load_abs__balances": 3.6},
        },
        "daily_cycle_job": {
            "after_previous_s": 11, "queued_s": 10.5, "to_queue_s": 3.5, "in_queue_s": 1.5,
            "process_start_s": 5.5, "run_s": 75.5, "events": 985,
            "slowest_steps_s": {"dbt_warehouse": 36.2},
        },
    }  # fmt: skip
    assert timeline["waiting_s"] == 11 + 11 + 10.5
    assert timeline["waiting_s"] + 28 + 75.5 == timeline["cycle_s"]


def test_a_runs_milestones_name_its_slowest_steps_first():
    base = T0.timestamp()
    events = [
        SimpleNamespace(
            is_dagster_event=True,
            dagster_event=SimpleNamespace(event_type_value=kind),
            timestamp=base + at,
        )
        for kind, at in (("PIPELINE_ENQUEUED", 3), ("PIPELINE_STARTING", 4))
    ]
    steps = [
        SimpleNamespace(step_key=f"step_{i}", start_time=base, end_time=base + i)
        for i in range(1, SLOWEST_STEPS + 3)
    ] + [SimpleNamespace(step_key="still_running", start_time=base, end_time=None)]
    instance = SimpleNamespace(
        all_logs=lambda run_id: events, get_run_step_stats=lambda run_id: steps
    )
    [milestones] = _milestones(instance, [record("daily_cycle_job", 0, 5, 20)]).values()
    assert milestones["events"] == 2
    assert list(milestones["slowest_steps_s"].items()) == [
        (f"step_{i}", i) for i in range(SLOWEST_STEPS + 2, 2, -1)
    ]
