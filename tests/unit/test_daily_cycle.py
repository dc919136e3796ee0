"""The daily cycle: which run each stage's success requests, when it waits, one run at a time."""

from __future__ import annotations

import datetime as dt
import uuid

import dagster as dg
import pytest

from orchestration.defs.daily_cycle import (
    CYCLE_STAGES,
    CYCLE_TAG,
    DAILY_CYCLE_JOB,
    NEXT_STAGE,
    next_stage_request,
    stages_after,
)
from orchestration.instance import INSTANCE_CONFIG, ConcurrentRunsAllowed, prepare_dagster_home

MONDAY, SUNDAY = dt.date(2026, 11, 30), dt.date(2026, 12, 6)


@pytest.fixture
def instance():
    with dg.DagsterInstance.ephemeral() as instance:
        yield instance


def add_run(instance, job_name, status=dg.DagsterRunStatus.SUCCESS, tags=None) -> dg.DagsterRun:
    run = dg.DagsterRun(job_name=job_name, run_id=str(uuid.uuid4()), status=status, tags=tags)
    instance.add_run(run)
    return run


def test_a_load_starts_the_whole_cycle_as_one_run_that_starts_nothing_more(instance):
    load = add_run(instance, "ingest_raw_job")
    request = next_stage_request(instance, load, MONDAY)
    assert request.job_name == DAILY_CYCLE_JOB
    assert request.tags[CYCLE_TAG] == request.tags["cdp/after_run"] == load.run_id
    assert request.run_key == f"{DAILY_CYCLE_JOB}:after:{load.run_id}"
    assert DAILY_CYCLE_JOB not in NEXT_STAGE
    assert stages_after("ingest_raw_job") == [DAILY_CYCLE_JOB]  # the benchmark's daily stage


def test_a_stage_run_by_hand_starts_the_stages_after_it_and_each_names_the_first(instance):
    first = add_run(instance, "resolve_clients_job")
    finished, jobs = first, []
    while finished.job_name in NEXT_STAGE:
        request = next_stage_request(instance, finished, MONDAY)
        assert isinstance(request, dg.RunRequest)
        assert request.tags[CYCLE_TAG] == first.run_id
        assert request.tags["cdp/after_run"] == finished.run_id
        jobs.append(request.job_name)
        finished = add_run(instance, request.job_name, tags=request.tags)
    assert ["resolve_clients_job", *jobs] == CYCLE_STAGES


@pytest.mark.parametrize(
    ("day", "config"),
    [
        (MONDAY, {"data_tests_scope": "recent", "unit_tests": False}),
        (SUNDAY, {"data_tests_scope": "all", "unit_tests": True}),
    ],
)
@pytest.mark.parametrize(
    ("finished", "requested"),
    [("ingest_raw_job", DAILY_CYCLE_JOB), ("resolve_clients_job", "build_warehouse_job")],
)
def test_the_build_tests_the_recent_rows_on_weekdays_and_everything_on_sunday(
    instance, day, config, finished, requested
):
    request = next_stage_request(instance, add_run(instance, finished), day)
    assert request.job_name == requested
    assert request.run_config["ops"]["dbt_warehouse"]["config"] == config


def test_retraining_publishes_its_scores(instance):
    request = next_stage_request(instance, add_run(instance, "train_models_job"), MONDAY)
    assert request.job_name == "publish_serving_job"


def test_a_burst_of_loads_runs_the_cycle_once_while_the_next_run_waits(instance):
    waiting = add_run(instance, DAILY_CYCLE_JOB, status=dg.DagsterRunStatus.NOT_STARTED)
    skipped = next_stage_request(instance, add_run(instance, "ingest_raw_job"), MONDAY)
    assert isinstance(skipped, dg.SkipReason)
    assert waiting.run_id in skipped.skip_message


def test_a_run_of_the_next_stage_already_started_does_not_absorb_the_request(instance):
    """It may have read the raw tables before this load finished."""
    add_run(instance, DAILY_CYCLE_JOB, status=dg.DagsterRunStatus.STARTED)
    request = next_stage_request(instance, add_run(instance, "ingest_raw_job"), MONDAY)
    assert isinstance(request, dg.RunRequest)


def test_the_instance_starts_one_run_at_a_time_and_refuses_settings_that_allow_more(tmp_path):
    installed = prepare_dagster_home(tmp_path / "fresh")
    assert installed.read_text() == INSTANCE_CONFIG.read_text()
    with dg.DagsterInstance.from_config(str(tmp_path / "fresh")) as instance:
        # the daily cycle's run waits in the queue behind the load: looked for every second
        assert instance.run_coordinator.dequeue_interval_seconds == 1
    own = tmp_path / "own"
    own.mkdir()
    (own / "dagster.yaml").write_text("concurrency:\n  runs:\n    max_concurrent_runs: 2\n")
    with pytest.raises(ConcurrentRunsAllowed, match="lets 2 runs start at once"):
        prepare_dagster_home(own)
