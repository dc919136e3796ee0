"""The raw stage materialized on the tiny bank: reconciliation, checks, sensor, idempotency."""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from ingestion.contracts import CONTRACTS
from orchestration.definitions import build_definitions
from orchestration.defs.sensors import run_requests
from tests.landing_files import trailer

pytestmark = pytest.mark.integration


def test_every_raw_table_materializes_and_its_checks_pass(raw_bank):
    _, result = raw_bank
    assert result.success
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    for contract in CONTRACTS:
        assert dg.AssetKey(["raw", contract.table]) in materialized
        assert dg.AssetKey(["quarantine", contract.table]) in materialized
    evaluations = [
        e.event_specific_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    ]
    failed_errors = [
        (e.asset_key.to_user_string(), e.check_name)
        for e in evaluations
        if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR
    ]
    assert not failed_errors
    assert len(evaluations) > 5 * len(CONTRACTS)


def test_every_landing_file_has_one_audit_row(raw_bank, warehouse):
    settings, _ = raw_bank
    files = {
        str(p.relative_to(settings.landing_dir))
        for p in settings.landing_dir.rglob("*")
        if p.is_file()
    }
    audited = warehouse.execute(
        "select file_path, status from audit.file_loads where file_path is not null"
    ).fetchall()
    assert {path for path, _ in audited} == files
    assert len(audited) == len(files)
    assert {status for _, status in audited} <= {"loaded", "duplicate"}


def test_rows_read_match_the_source_systems_own_counts(raw_bank, warehouse):
    """Trailers (АБС, cards), physical lines (ДБО) and a CSV reader (contact centre) agree."""
    settings, _ = raw_bank
    audit = {
        path: (read, loaded, quarantined)
        for path, read, loaded, quarantined in warehouse.execute(
            "select file_path, rows_read, rows_loaded, rows_quarantined from audit.file_loads "
            "where status = 'loaded'"
        ).fetchall()
    }
    for path, (read, loaded, quarantined) in audit.items():
        full = settings.landing_dir / path
        system = path.split("/")[0]
        if system == "abs" and full.suffix == ".csv":
            expected = int(trailer(full)[1])
        elif system == "cards":
            expected = int(full.read_text(encoding="utf-8").rstrip("\n").rsplit("\n", 1)[1]
                           .split("|")[1])  # fmt: skip
        elif system == "dbo":
            expected = full.read_bytes().count(b"\n")
        elif system == "contact_center":
            with full.open(encoding="utf-8-sig", newline="") as handle:
                expected = sum(1 for _ in csv.reader(handle)) - 1
        else:
            continue
        assert read == expected == loaded + quarantined, path


def test_raw_rows_keep_their_lineage(warehouse):
    row = warehouse.execute(
        "select r._line_number, a.file_name, a.business_date = r._business_date "
        "from raw.abs__clients r join audit.file_loads a on a.load_id = r._load_id "
        "order by r._business_date, r._line_number limit 1"
    ).fetchone()
    assert row == (2, row[1], True) and row[1].startswith("CLIENTS_")


def test_reloading_a_partition_through_dagster_is_idempotent(raw_bank):
    settings, _ = raw_bank
    query = (
        "select count(*), sum(amount) from raw.abs__transactions "
        "where _business_date = '2026-10-25'"
    )
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        before = con.execute(query).fetchone()
    defs = build_definitions(settings)
    job = defs.resolve_job_def("ingest_raw_job")
    selection = [dg.AssetKey([s, "abs__transactions"]) for s in ("raw", "quarantine")]
    result = job.execute_in_process(partition_key="2026-10-25", asset_selection=selection)
    assert result.success
    # the run held the warehouse open between its steps and released it at its end: written
    # into the file, nothing left in DuckDB's log
    assert not Path(f"{settings.warehouse_path}.wal").exists()
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        assert con.execute(query).fetchone() == before


def test_blocking_check_stops_downstream_tables(tiny_bank, tmp_path):
    """A truncated clients file fails its ERROR check; accounts, which need clients, wait;
    another source's table loads all the same."""
    settings, _ = tiny_bank
    day = "2026-10-25"
    landing = tmp_path / "landing"
    for system, name in (
        ("abs", "CLIENTS_20261025.csv"),
        ("abs", "ACCOUNTS_20261025.csv"),
        ("contact_center", "calls_20261025.csv"),
    ):
        target = landing / system / day / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(settings.landing_dir / system / day / name, target)
    clients = landing / "abs" / day / "CLIENTS_20261025.csv"
    clients.write_bytes(clients.read_bytes()[:-20])
    isolated = settings.model_copy(
        update={"landing_dir": landing, "warehouse_path": tmp_path / "w.duckdb"}
    )
    job = build_definitions(isolated).resolve_job_def("ingest_raw_job")
    tables = ("abs__clients", "abs__accounts", "contact_center__calls")
    keys = [dg.AssetKey([s, t]) for t in tables for s in ("raw", "quarantine")]
    result = job.execute_in_process(partition_key=day, asset_selection=keys, raise_on_error=False)
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert dg.AssetKey(["raw", "abs__clients"]) in materialized
    assert dg.AssetKey(["raw", "abs__accounts"]) not in materialized
    assert dg.AssetKey(["raw", "contact_center__calls"]) in materialized
    assert not result.success, "a blocked table fails the run, so `cdp run` reports it"
    [failed] = [
        e.event_specific_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
        and e.event_specific_data.check_name == "every_file_meets_its_contract"
        and e.event_specific_data.asset_key == dg.AssetKey(["raw", "abs__clients"])
    ]
    assert not failed.passed
    assert "CLIENTS_20261025.csv" in json.dumps(failed.metadata["rejected_files"].value)


def test_landing_sensor_requests_each_new_file_once(raw_bank):
    settings, _ = raw_bank
    defs = build_definitions(settings)
    sensor = defs.resolve_sensor_def("landing_files_sensor")
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(instance=instance, definitions=defs)
        first = sensor(context)
        assert {r.partition_key for r in first} == set(
            defs.resolve_job_def("ingest_raw_job").partitions_def.get_partition_keys()
        )
        context = dg.build_sensor_context(
            instance=instance, definitions=defs, cursor=context.cursor
        )
        assert isinstance(sensor(context), dg.SkipReason)
        late = settings.landing_dir / "cards" / "2026-10-30" / "auth_20261030.txt"
        os.utime(late, ns=(late.stat().st_atime_ns, late.stat().st_mtime_ns + 10**9))
        context = dg.build_sensor_context(
            instance=instance, definitions=defs, cursor=context.cursor
        )
        [request] = sensor(context)
        assert request.partition_key == "2026-10-30"
        assert dg.AssetKey(["raw", "cards__authorizations"]) in request.asset_selection


def test_files_dated_outside_the_partitions_are_not_requested():
    current = {"abs/x/CLIENTS_20300101.csv": ["abs__clients", "2030-01-01", 1, 1]}
    assert run_requests({}, current, {"2026-10-31"}) == []


def test_daily_schedule_targets_the_raw_job(raw_bank):
    settings, _ = raw_bank
    schedule = build_definitions(settings).resolve_schedule_def("ingest_raw_job_schedule")
    assert schedule.job_name == "ingest_raw_job"
    assert schedule.cron_schedule == "0 6 * * *"


def _calls_loaded_with_invalid_phones(tiny_bank, tmp_path, invalid_of):
    """The tiny bank's calls of one day loaded alone, every caller phone valid but the first
    ``invalid_of(calls)``: the run's result and the valid-phone gate's evaluation."""
    settings, _ = tiny_bank
    day, name = "2026-10-28", "calls_20261028.csv"
    source = settings.landing_dir / "contact_center" / day / name
    with source.open(encoding="utf-8-sig", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    assert len(rows) >= 10
    phone, invalid = header.index("ani"), invalid_of(len(rows))
    for i, row in enumerate(rows):
        row[phone] = "123" if i < invalid else "+79161234567"
    target = tmp_path / "landing" / "contact_center" / day / name
    target.parent.mkdir(parents=True)
    with target.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows([header, *rows])
    isolated = settings.model_copy(
        update={"landing_dir": tmp_path / "landing", "warehouse_path": tmp_path / "w.duckdb"}
    )
    job = build_definitions(isolated).resolve_job_def("ingest_raw_job")
    keys = [dg.AssetKey([s, "contact_center__calls"]) for s in ("raw", "quarantine")]
    result = job.execute_in_process(partition_key=day, asset_selection=keys, raise_on_error=False)
    [gate] = [
        e.event_specific_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
        and e.event_specific_data.check_name
        == "caller_phone_is_a_valid_mobile_phone_in_90_percent_of_rows"
    ]
    return result, gate


def test_a_days_phones_invalid_beyond_chance_block_the_load(tiny_bank, tmp_path):
    """Half the day's caller phones invalid: no source at 90 % delivers that."""
    result, gate = _calls_loaded_with_invalid_phones(tiny_bank, tmp_path, lambda n: n // 2)
    assert not gate.passed
    assert gate.severity == dg.AssetCheckSeverity.ERROR
    assert gate.metadata["shortfall_p_value"].value < 0.001
    assert not result.success


def test_a_small_days_shortfall_within_chance_warns_and_loads(tiny_bank, tmp_path):
    """Just under 90 % valid on a day of a few dozen calls: what a source at 90 % delivers."""
    from data_quality.gx_suites import SHORTFALL_SIGNIFICANCE

    result, gate = _calls_loaded_with_invalid_phones(
        tiny_bank, tmp_path, lambda n: int(n * 0.1) + 1
    )
    assert not gate.passed
    assert gate.severity == dg.AssetCheckSeverity.WARN
    assert gate.metadata["shortfall_p_value"].value >= SHORTFALL_SIGNIFICANCE
    assert result.success
