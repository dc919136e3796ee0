"""The dbt warehouse built by Dagster on the tiny bank: staging reconciles with raw."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest

from ingestion.contracts import CONTRACTS
from orchestration.defs.warehouse import WarehouseBuildConfig, kept_parse_state, parse_states

pytestmark = pytest.mark.integration

VERSIONED = [c for c in CONTRACTS if c.versioned]


def _checks(result) -> list:
    return [
        e.event_specific_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    ]


def test_every_staging_model_materializes_and_no_blocking_check_fails(warehouse_bank):
    _, result = warehouse_bank
    assert result.success
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    staging = {dg.AssetKey(["staging", f"stg_{c.table}"]) for c in CONTRACTS}
    assert staging <= materialized
    checks = _checks(result)
    failed_errors = [
        (c.asset_key.to_user_string(), c.check_name)
        for c in checks
        if not c.passed and c.severity == dg.AssetCheckSeverity.ERROR
    ]
    assert failed_errors == []
    checked = {c.asset_key for c in checks}
    assert staging <= checked
    assert {dg.AssetKey(["raw", c.table]) for c in CONTRACTS} <= checked  # source tests


def test_the_build_keeps_its_parse_for_the_next_build(warehouse_bank):
    settings, _ = warehouse_bank
    kept = kept_parse_state(parse_states(settings), WarehouseBuildConfig().dbt_args())
    assert kept.stat().st_size > 0


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda c: c.table)
def test_staging_holds_one_row_per_grain_of_raw(built, contract):
    grain = ", ".join(contract.grain_columns)
    staged, distinct = built.execute(
        f"select count(*), count(distinct ({grain})) from staging.stg_{contract.table}"
    ).fetchone()
    [raw_grains] = built.execute(
        f"select count(distinct ({grain})) from raw.{contract.table}"
    ).fetchone()
    assert staged == distinct == raw_grains


@pytest.mark.parametrize("contract", VERSIONED, ids=lambda c: c.table)
def test_an_entity_is_staged_as_its_latest_version(built, contract):
    keys = " and ".join(f"r.{c} = s.{c}" for c in contract.grain_columns)
    [stale] = built.execute(
        f"select count(*) from staging.stg_{contract.table} s "
        f"where s._business_date < (select max(r._business_date) from raw.{contract.table} r "
        f"where {keys})"
    ).fetchone()
    assert stale == 0


def test_the_tiny_bank_has_entities_with_several_versions(built):
    """Otherwise the latest-version tests above could not fail."""
    [contracts, latest] = built.execute(
        "select (select count(*) from raw.abs__contracts), "
        "(select count(*) from staging.stg_abs__contracts)"
    ).fetchone()
    assert contracts > latest > 0


def test_moscow_timestamps_are_staged_in_utc(built):
    shifts = built.execute(
        "select distinct r.started_at - s.started_at from raw.contact_center__calls r "
        "join staging.stg_contact_center__calls s using (call_id)"
    ).fetchall()
    assert shifts == [(dt.timedelta(hours=3),)]


def test_the_unknown_birth_date_placeholder_is_staged_as_null(built):
    raw_placeholders, staged_placeholders = built.execute(
        "select (select count(*) from raw.abs__clients where birth_date = date '1900-01-01'), "
        "(select count(*) from staging.stg_abs__clients where birth_date = date '1900-01-01')"
    ).fetchone()
    assert raw_placeholders > 0
    assert staged_placeholders == 0
