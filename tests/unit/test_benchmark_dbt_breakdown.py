"""The benchmark splits a dbt build's time by node type from its run results."""

from __future__ import annotations

import json

import pytest

from benchmarks.stages import dbt_build_breakdown

pytestmark = pytest.mark.unit


def _run_results(folder, which: str, generated_at: str, times: dict[str, float]) -> None:
    folder.mkdir(parents=True)
    results = [
        {"unique_id": node, "execution_time": t, "status": "pass"} for node, t in times.items()
    ]
    (folder / "run_results.json").write_text(
        json.dumps(
            {
                "args": {"which": which},
                "metadata": {"generated_at": generated_at},
                "elapsed_time": sum(times.values()) + 1,
                "results": results,
            }
        )
    )


def test_the_newest_build_is_split_into_models_tests_and_unit_tests(tmp_path):
    _run_results(tmp_path / "old", "build", "2026-12-01T00:00:00Z", {"model.p.a": 9.0})
    _run_results(tmp_path / "docs", "generate", "2026-12-03T00:00:00Z", {"model.p.a": 5.0})
    _run_results(
        tmp_path / "new",
        "build",
        "2026-12-02T00:00:00Z",
        {
            "model.p.fct_a": 2.0,
            "model.p.dim_b": 3.0,
            "test.p.unique_a.1f": 0.5,
            "test.p.not_null_b.2e": 0.25,
            "unit_test.p.fct_a.rules": 0.4,
        },
    )
    (tmp_path / "parse_state").mkdir()
    assert dbt_build_breakdown(tmp_path) == {
        "elapsed_s": 7.2,
        "seconds_by_node_type": {"model": 5.0, "test": 0.8, "unit_test": 0.4},
        "slowest_models_s": {"dim_b": 3.0, "fct_a": 2.0},
    }


def test_no_build_on_record_gives_nothing(tmp_path):
    assert dbt_build_breakdown(tmp_path) == {}


def _log(folder, *events: tuple[str, str, str]) -> None:
    (folder / "dbt.log").write_text(
        "".join(
            json.dumps({"info": {"ts": ts, "code": code, "msg": msg}}) + "\n"
            for ts, code, msg in events
        )
        + "not json: a line dbt wrote without the JSON format\n"
    )


def test_the_start_of_a_build_and_why_it_parsed_everything_are_reported(tmp_path):
    _run_results(tmp_path / "run", "build", "2026-12-02T00:00:00Z", {"model.p.a": 1.0})
    reparsed = "Unable to do partial parsing because a project config has changed"
    _log(
        tmp_path / "run",
        ("2026-12-07T10:18:58.843916Z", "A001", "Running with dbt=1.11.16"),
        ("2026-12-07T10:18:59.979357Z", "I024", reparsed),
        ("2026-12-07T10:19:08.488671Z", "Q027", "Concurrency: 1 threads (target='local')"),
        ("2026-12-07T10:19:09.244025Z", "Q024", "Began running node seed.p.s"),
    )
    breakdown = dbt_build_breakdown(tmp_path)
    assert breakdown["start_s"] == 9.6
    assert breakdown["full_parse"] == "a project config has changed"


def test_a_build_that_parsed_only_what_changed_names_no_reason(tmp_path):
    _run_results(tmp_path / "run", "build", "2026-12-02T00:00:00Z", {"model.p.a": 1.0})
    _log(
        tmp_path / "run",
        ("2026-12-07T10:00:00.000000Z", "A001", "Running with dbt=1.11.16"),
        ("2026-12-07T10:00:01.750000Z", "Q027", "Concurrency: 1 threads (target='local')"),
    )
    breakdown = dbt_build_breakdown(tmp_path)
    assert (breakdown["start_s"], breakdown["full_parse"]) == (1.8, None)
