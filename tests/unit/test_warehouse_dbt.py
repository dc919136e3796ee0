"""The dbt side of the warehouse: generated staging files, folder config, the translator, the
build config and the parse state kept between dbt commands."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import pytest
import yaml

from cdp.settings import load_settings
from ingestion.contracts import CONTRACTS
from ingestion.contracts.dbt_staging import model_sql, render, stale_files
from orchestration.defs.warehouse import (
    DAILY_BUILD,
    PARSE_STATE_FILE,
    WarehouseBuildConfig,
    WarehouseTranslator,
    dbt_environment,
    parse_state_kept,
    parse_states,
    translator,
)

pytestmark = pytest.mark.unit

DBT_PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"


def test_staging_files_are_current():
    rendered = render()
    stale = [p.name for p, text in rendered.items() if p.read_text(encoding="utf-8") != text]
    assert stale == [], "run `uv run python -m ingestion.contracts.dbt_staging` and commit"
    assert stale_files(rendered) == []


def test_entity_tables_keep_the_latest_version_and_events_every_row():
    for contract in CONTRACTS:
        sql = model_sql(contract)
        assert ("qualify row_number()" in sql) == contract.versioned, contract.table
        assert "_business_date,\n        _load_id,\n        _line_number\n" in sql


def test_naive_local_timestamps_become_utc_and_placeholders_null():
    by_table = {c.table: model_sql(c) for c in CONTRACTS}
    in_utc = "{{ local_to_utc('started_at', 'Europe/Moscow') }} as started_at"
    assert in_utc in by_table["contact_center__calls"]
    assert "local_to_utc(" not in by_table["dbo__sessions"]  # delivered in UTC already
    assert "nullif(birth_date, date '1900-01-01') as birth_date" in by_table["abs__clients"]


def test_every_model_folder_sets_its_schema_materialization_and_group():
    config = yaml.safe_load((DBT_PROJECT / "dbt_project.yml").read_text(encoding="utf-8"))
    folders = config["models"]["bank_cdp"]
    expected = {"staging": "view", "intermediate": "view", "marts": "table"}
    assert {name: folders[name]["+materialized"] for name in expected} == expected
    for name in expected:
        assert folders[name]["+schema"] == name
        assert folders[name]["+meta"]["dagster"]["group"]
        assert (DBT_PROJECT / "models" / name).is_dir()


def _model(name: str, schema: str, meta: dict | None = None) -> dict:
    return {
        "resource_type": "model",
        "name": name,
        "schema": schema,
        "config": {"schema": schema, "meta": meta or {}},
        "meta": meta or {},
    }


def test_a_model_is_keyed_by_its_relation_and_grouped_by_its_folder():
    props = _model("stg_abs__clients", "staging", {"dagster": {"group": "staging"}})
    assert WarehouseTranslator().get_asset_key(props) == dg.AssetKey(
        ["staging", "stg_abs__clients"]
    )
    assert WarehouseTranslator().get_group_name(props) == "staging"


def test_an_intermediate_model_joins_the_group_its_folder_names():
    props = _model("int_client_records_unioned", "intermediate", {"dagster": {"group": "identity"}})
    assert WarehouseTranslator().get_asset_key(props).path == [
        "intermediate",
        "int_client_records_unioned",
    ]
    assert WarehouseTranslator().get_group_name(props) == "identity"


def test_a_model_without_a_group_falls_back_to_its_schema():
    assert WarehouseTranslator().get_group_name(_model("dim_clients", "marts")) == "marts"


def test_a_source_keeps_the_raw_asset_key_its_yaml_maps_it_to():
    meta = {"dagster": {"asset_key": ["raw", "abs__clients"]}}
    props = {
        "resource_type": "source",
        "source_name": "raw",
        "name": "abs__clients",
        "config": {"meta": meta},
        "meta": meta,
    }
    assert WarehouseTranslator().get_asset_key(props) == dg.AssetKey(["raw", "abs__clients"])


def test_the_constraints_a_column_s_contract_declares_are_in_the_catalog():
    props = _model("mart_kpi_daily", "marts") | {
        "columns": {
            "activity_date": {
                "name": "activity_date",
                "data_type": "date",
                "description": "The day.",
                "constraints": [{"type": "not_null"}],
            },
            "nps": {"name": "nps", "data_type": "decimal(5,2)", "constraints": []},
            "churn_rate_pct": {
                "name": "churn_rate_pct",
                "data_type": "decimal(5,2)",
                "constraints": [
                    {"type": "not_null"},
                    {"type": "check", "expression": "churn_rate_pct between 0 and 100"},
                ],
            },
            "new_clients_count": {
                "name": "new_clients_count",
                "data_type": "bigint",
                "constraints": [{"type": "check", "expression": "new_clients_count >= 0"}],
            },
        }
    }
    schema = WarehouseTranslator().get_metadata(props)["dagster/column_schema"]
    assert [
        (c.name, c.type, c.description, c.constraints.nullable, c.constraints.other)
        for c in schema.columns
    ] == [
        ("activity_date", "date", "The day.", False, []),
        ("nps", "decimal(5,2)", None, True, []),
        (
            "churn_rate_pct",
            "decimal(5,2)",
            None,
            False,
            ["check (churn_rate_pct between 0 and 100)"],
        ),
        ("new_clients_count", "bigint", None, True, ["check (new_clients_count >= 0)"]),
    ]


def test_source_tests_run_as_asset_checks():
    assert translator().settings.enable_source_tests_as_checks
    assert translator().settings.enable_asset_checks


def test_dbt_sees_the_settings_warehouse_path_only_while_it_runs(tiny_settings, monkeypatch):
    monkeypatch.setenv("CDP_WAREHOUSE_PATH", "/elsewhere.duckdb")
    with dbt_environment(tiny_settings):
        assert os.environ["CDP_WAREHOUSE_PATH"] == str(tiny_settings.warehouse_path)
        assert Path(os.environ["CDP_WAREHOUSE_PATH"]).is_absolute()
    assert os.environ["CDP_WAREHOUSE_PATH"] == "/elsewhere.duckdb"


def test_a_dbt_command_starts_from_the_last_parse_given_the_same_vars(tmp_path):
    store = parse_states(load_settings(home=tmp_path / "home"))
    daily = ["build", "--vars", '{"data_tests_scope": "recent"}']
    weekly = ["build", "--vars", '{"data_tests_scope": "all"}']
    with parse_state_kept(store, daily, tmp_path / "monday"):
        (tmp_path / "monday").mkdir()
        (tmp_path / "monday" / PARSE_STATE_FILE).write_bytes(b"monday's parse")
    with parse_state_kept(store, weekly, tmp_path / "sunday"):
        assert not (tmp_path / "sunday" / PARSE_STATE_FILE).exists()
    with parse_state_kept(store, daily, tmp_path / "tuesday"):
        assert (tmp_path / "tuesday" / PARSE_STATE_FILE).read_bytes() == b"monday's parse"
        (tmp_path / "tuesday" / PARSE_STATE_FILE).write_bytes(b"tuesday's parse")
    with parse_state_kept(store, ["docs", "generate"], tmp_path / "docs"):
        assert not (tmp_path / "docs" / PARSE_STATE_FILE).exists()
    with parse_state_kept(store, daily, tmp_path / "wednesday"):
        assert (tmp_path / "wednesday" / PARSE_STATE_FILE).read_bytes() == b"tuesday's parse"


def test_the_daily_build_leaves_unit_tests_to_ci_and_the_weekly_build():
    assert "unit_test" not in WarehouseBuildConfig().dbt_args()
    assert DAILY_BUILD.dbt_args()[-2:] == ["--exclude-resource-type", "unit_test"]
