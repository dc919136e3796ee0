"""Raw stage: one partitioned asset per source table, loaded from the landing zone.

Each asset writes ``raw.<system>__<entity>s`` and its ``quarantine`` twin for the business
dates of the run (one run can cover a range: a backfill runs as one step) and reports its
checks: reconciliation and contract checks from the load audit, then the table's Great
Expectations gates. ERROR checks are blocking: a failed one stops downstream assets.
"""

import datetime as dt

import dagster as dg

from cdp.settings import Settings
from cdp.warehouse import WarehouseHold, connect
from data_quality import gx_run, load_checks
from data_quality.gx_suites import gates_for
from ingestion.contracts import CONTRACTS, FileContract
from ingestion.load import load_partitions
from orchestration.defs.sensors import build_landing_sensor

LANDING = dg.AssetKey(["landing", "bank_extracts"])


def business_date_partitions(settings: Settings) -> dg.DailyPartitionsDefinition:
    """One partition per business date, from the initial snapshot to the business date."""
    return dg.DailyPartitionsDefinition(
        start_date=settings.snapshot_date.isoformat(),
        end_date=(settings.business_date + dt.timedelta(days=1)).isoformat(),
    )


def _check_specs(contract: FileContract) -> list[dg.AssetCheckSpec]:
    key = dg.AssetKey(["raw", contract.table])
    specs = [
        dg.AssetCheckSpec(c.name, asset=key, blocking=c.blocking, description=c.description)
        for c in load_checks.CHECKS
    ]
    specs += [
        dg.AssetCheckSpec(g.check_name, asset=key, blocking=True, description=g.description)
        for g in gates_for(contract)
    ]
    return specs


def _check_result(key, name, passed, severity, description, metadata) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        asset_key=key,
        check_name=name,
        passed=passed,
        severity=dg.AssetCheckSeverity(severity),
        description=description,
        metadata={k: dg.MetadataValue.json(v) if isinstance(v, list | dict) else v
                  for k, v in metadata.items()},
    )  # fmt: skip


def _dates(context: dg.AssetExecutionContext) -> list[dt.date]:
    window = context.partition_time_window
    days = (window.end - window.start).days
    return [window.start.date() + dt.timedelta(days=i) for i in range(days)]


def build_raw_asset(contract: FileContract, partitions: dg.PartitionsDefinition):
    raw_key = dg.AssetKey(["raw", contract.table])
    quarantine_key = dg.AssetKey(["quarantine", contract.table])
    upstream = [LANDING, *(dg.AssetKey(["raw", t]) for t in contract.depends_on)]
    columns = dg.TableSchema(
        columns=[
            dg.TableColumn(c.name, c.duckdb_type, description=f"{c.source}: {c.description}")
            for c in contract.columns
        ]
    )

    @dg.multi_asset(
        name=f"load_{contract.table}",
        specs=[
            dg.AssetSpec(
                raw_key,
                deps=upstream,
                group_name="raw",
                kinds={"duckdb"},
                description=f"{contract.description} Grain: one row per record delivered in "
                f"{contract.file_pattern}, partitioned by business date; rejected rows are in "
                f"quarantine.{contract.table}.",
                metadata={"dagster/column_schema": columns, "file_pattern": contract.file_pattern},
            ),
            dg.AssetSpec(
                quarantine_key,
                deps=upstream,
                group_name="raw",
                kinds={"duckdb"},
                description=f"Rows of {contract.file_pattern} that could not be loaded (rejected) "
                "or were loaded with a field-level finding (flagged): file, line, field, reason "
                "and the raw text.",
            ),
        ],
        check_specs=_check_specs(contract),
        partitions_def=partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
    )
    def _load(
        context: dg.AssetExecutionContext,
        settings: dg.ResourceParam[Settings],
        warehouse_hold: dg.ResourceParam[WarehouseHold],
    ):
        dates = _dates(context)
        warehouse_hold.hold(memory_limit=settings.ingest_memory_limit)
        with connect(settings, memory_limit=settings.ingest_memory_limit) as con:
            loads = load_partitions(con, contract, dates, settings.landing_dir)
            audit = [row for load in loads for row in load.audit]
            outcomes = load_checks.evaluate(
                con,
                contract.table,
                audit,
                settings.quarantine_warn_rate,
                settings.quarantine_error_rate,
            )
            gates = gx_run.validate(contract, gx_run.sample(con, contract, dates[0], dates[-1]))
        totals = {k: sum(r[k] or 0 for r in audit) for k in ("rows_read", "rows_loaded")}
        statuses = sorted({r["status"] for r in audit})
        yield dg.MaterializeResult(
            asset_key=raw_key,
            metadata={
                "business_dates": f"{dates[0]} … {dates[-1]}",
                "files": len(audit),
                "file_statuses": ", ".join(statuses),
                **totals,
            },
        )
        yield dg.MaterializeResult(
            asset_key=quarantine_key,
            metadata={
                "rows_quarantined": sum(r["rows_quarantined"] or 0 for r in audit),
                "rows_flagged": sum(r["rows_flagged"] or 0 for r in audit),
            },
        )
        for o in outcomes:
            yield _check_result(raw_key, o.name, o.passed, o.severity, o.description, o.metadata)
        for g in gates:
            yield _check_result(
                raw_key, g.gate.check_name, g.success, g.severity, g.gate.description,
                g.observed,
            )  # fmt: skip

    return _load


def build_defs(settings: Settings) -> dg.Definitions:
    partitions = business_date_partitions(settings)
    assets = [build_raw_asset(contract, partitions) for contract in CONTRACTS]
    # Only the checks this stage reports: dbt's source tests also check the raw assets, and would
    # otherwise run a dbt step inside every raw load (the warehouse job runs them).
    own_checks = dg.AssetSelection.checks(*(key for a in assets for key in a.check_keys))
    ingest_job = dg.define_asset_job(
        "ingest_raw_job",
        selection=dg.AssetSelection.groups("raw").without_checks() | own_checks,
        description="Load the landing files of the selected business dates into raw.",
    )
    return dg.Definitions(
        assets=assets,
        jobs=[ingest_job],
        sensors=[build_landing_sensor(settings, ingest_job.name, partitions)],
        schedules=[
            dg.build_schedule_from_partitioned_job(ingest_job, hour_of_day=6, minute_of_hour=0)
        ],
    )
