"""The one Definitions object loads, names follow the conventions, the landing asset runs."""

from __future__ import annotations

import json
import re

import dagster as dg
import pytest

from ingestion.contracts import CONTRACTS
from orchestration.definitions import build_definitions
from orchestration.defs.daily_cycle import CYCLE_STAGES, DAILY_CYCLE_JOB, NEXT_STAGE
from orchestration.defs.warehouse import (
    dbt_command,
    dbt_project,
    dbt_resource,
    prepare_manifest,
)
from orchestration.runner import PIPELINE

pytestmark = pytest.mark.integration

ASSET_KEY_RULES = {
    "landing": r"[a-z_]+",
    "raw": r"(abs|cards|dbo|contact_center)__[a-z_]+s",
    "quarantine": r"(abs|cards|dbo|contact_center)__[a-z_]+s",
    "staging": r"stg_(abs|cards|dbo|contact_center)__[a-z_]+s",
    "intermediate": r"int_[a-z_]+s_[a-z]+ed",
    # a crosswalk maps every source record to its dimension member (dim_client_crosswalk)
    # a fact may name its grain after the entity (fct_balances_daily)
    "marts": r"(dim|fct)_[a-z_]+s|fct_[a-z_]+s_daily|dim_[a-z_]+_crosswalk|mart_[a-z0-9_]+",
    "identity": r"[a-z]+(_[a-z]+)*",
    # the load audit every raw asset appends to (no one asset writes it): a source of the
    # incremental client tables, in the graph as an external asset
    "audit": r"file_loads",
    "ml": r"ml_(features|scores)__[a-z_]+",
    # trained models in the registry ($CDP_HOME/models/<model>), not relations
    "models": r"[a-z_]+",
    "exports": r"export_[a-z_]+__[a-z_]+",
    # files published for readers, not relations of the warehouse
    "serving": r"[a-z_]+",
}


def test_definitions_load_and_asset_keys_follow_conventions(tiny_settings):
    defs = build_definitions(tiny_settings)
    graph = defs.resolve_asset_graph()
    keys = list(graph.get_all_asset_keys())
    assert keys
    for key in keys:
        schema, name = key.path
        assert schema in ASSET_KEY_RULES, key
        assert re.fullmatch(ASSET_KEY_RULES[schema], name), key
    for job in PIPELINE:
        assert defs.resolve_job_def(job)


def test_dbt_models_are_grouped_by_layer_and_every_source_is_a_raw_asset(tiny_settings):
    graph = build_definitions(tiny_settings).resolve_asset_graph()
    staging = [k for k in graph.get_all_asset_keys() if k.path[0] == "staging"]
    assert len(staging) == len(CONTRACTS)
    for key in staging:
        node = graph.get(key)
        assert node.group_name == "staging"
        [upstream] = node.parent_keys
        assert upstream == dg.AssetKey(["raw", key.path[1].removeprefix("stg_")])
        assert graph.get(upstream).is_materializable  # the raw stage's asset, not a stub


def test_module_level_definitions_load_lazily(monkeypatch, tmp_path):
    monkeypatch.setenv("CDP_HOME", str(tmp_path))
    from orchestration import definitions

    assert isinstance(definitions.defs(), dg.Definitions)


def test_landing_asset_materializes_in_process(tiny_settings, tmp_path):
    settings = tiny_settings.model_copy(
        update={
            "sim_persons": 300,
            "sim_months": 4,
            "landing_dir": tmp_path / "landing",
            "truth_dir": tmp_path / "truth",
        }
    )
    defs = build_definitions(settings)
    result = defs.resolve_job_def("simulate_bank_job").execute_in_process()
    assert result.success
    [event] = result.get_asset_materialization_events()
    assert event.asset_key == dg.AssetKey(["landing", "bank_extracts"])
    assert event.materialization.metadata["rows"].value > 1000
    assert any((tmp_path / "landing" / "abs").iterdir())
    assert (tmp_path / "truth" / "persons.parquet").exists()


def test_raw_loads_run_no_dbt_step_and_the_warehouse_job_runs_the_source_tests(tiny_settings):
    """dbt's source tests check the raw assets, but run with dbt, not inside every raw load."""
    defs = build_definitions(tiny_settings)
    ingest = defs.resolve_job_def("ingest_raw_job")
    assert [n.name for n in ingest.graph.node_defs if n.name.startswith("dbt")] == []
    build = defs.resolve_job_def("build_warehouse_job")
    checked = {key.asset_key for key in build.asset_layer.asset_graph.asset_check_keys}
    assert {dg.AssetKey(["raw", c.table]) for c in CONTRACTS} <= checked


@pytest.mark.parametrize(
    ("finished", "requested"),
    [("ingest_raw_job", DAILY_CYCLE_JOB), ("resolve_clients_job", "build_warehouse_job")],
)
def test_the_daily_cycle_sensor_requests_the_next_run_with_a_valid_run_config(
    tiny_settings, finished, requested
):
    """The sensor in the definitions follows a real run's success; the run it requests takes
    its run config, and every job it follows or requests exists."""
    defs = build_definitions(tiny_settings)
    sensor = defs.resolve_sensor_def("daily_cycle_sensor")
    assert set(NEXT_STAGE) | set(NEXT_STAGE.values()) <= {j.name for j in defs.jobs}

    @dg.job(name=finished)
    def succeeded():
        dg.op(name="noop")(lambda: None)()

    with dg.DagsterInstance.ephemeral() as instance:
        result = succeeded.execute_in_process(instance=instance)
        context = dg.build_run_status_sensor_context(
            sensor_name=sensor.name,
            dagster_instance=instance,
            dagster_run=result.dagster_run,
            dagster_event=result.get_run_success_event(),
        )
        request = sensor(context)
    assert request.job_name == requested
    assert dg.validate_run_config(defs.resolve_job_def(request.job_name), request.run_config)


def test_the_daily_cycle_job_runs_every_asset_and_check_of_its_stages_and_nothing_else(
    tiny_settings,
):
    defs = build_definitions(tiny_settings)

    def selected(job_name: str) -> tuple[set, set]:
        layer = defs.resolve_job_def(job_name).asset_layer
        return set(layer.selected_asset_keys), set(layer.asset_graph.asset_check_keys)

    cycle_assets, cycle_checks = selected(DAILY_CYCLE_JOB)
    stages = [selected(stage) for stage in CYCLE_STAGES]
    assert cycle_assets == set().union(*(assets for assets, _ in stages))
    assert cycle_checks == set().union(*(checks for _, checks in stages))
    assert dg.AssetKey(["serving", "warehouse_copy"]) in cycle_assets
    # one dbt command, after the resolution: no dbt check of a raw table holds the resolution
    # back, which would split the dbt step in two, the first without the run config
    nodes = defs.resolve_job_def(DAILY_CYCLE_JOB).graph.nodes
    assert [n.name for n in nodes if n.definition.name == "dbt_warehouse"] == ["dbt_warehouse"]
    # one run builds the features, then scores them: each scores asset is downstream of its table
    graph = defs.resolve_asset_graph()
    scored = selected("score_clients_job")[0]
    assert {k.path[-1] for k in scored} == {"ml_scores__churn", "ml_scores__cross_sell",
                                            "ml_scores__lead_priority"}  # fmt: skip
    for scores in scored:
        features = scores.path[-1].replace("ml_scores__", "ml_features__")
        assert dg.AssetKey(["ml", features]) in graph.get(scores).parent_keys


def test_a_dbt_command_starts_dbt_once_and_no_adapter_in_the_dagster_process(
    tiny_settings, monkeypatch
):
    """The dbt resource skips dagster-dbt's `dbt --version` run and its in-process adapter
    (8.5 s before every dbt command): `dbt parse` through it starts neither."""
    import dagster_dbt.core.resource
    import dbt.adapters.factory

    versions, adapters = [], []
    monkeypatch.setattr(
        dagster_dbt.core.resource, "check_output", lambda *a, **k: versions.append(a)
    )
    monkeypatch.setattr(
        dbt.adapters.factory, "register_adapter", lambda *a, **k: adapters.append(a)
    )
    assert prepare_manifest(tiny_settings).exists()
    assert versions == [] and adapters == []


def test_the_second_dbt_command_with_the_same_vars_parses_only_what_changed(
    tiny_settings, tmp_path
):
    """dagster-dbt seeds each command with setup's parse (no vars), which dbt throws away for
    a build given vars (8 s); the parse state kept per vars lets the next build reuse it."""
    args = ["parse", "--vars", json.dumps({"data_tests_scope": "recent", "test": tmp_path.name})]
    logs = []
    for command in ("first", "second"):
        target = tmp_path / command
        with dbt_command(tiny_settings, args, target):
            dbt_resource(dbt_project()).cli(args, target_path=target).wait()
        logs.append((target / "dbt.log").read_text())
    assert "Partial parsing enabled" not in logs[0]
    assert "Unable to do partial parsing" not in logs[1]
    assert "Partial parsing enabled" in logs[1]
