"""Point-in-time proof for the ML features: cut a copy of the warehouse after a date, rebuild
the features on it and compare with the full build (test_ml_stage, test_ml_lead_priority)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from benchmarks.equivalence import dbt_on_copy, warehouse_copy
from models_ml.feature_tables import FEATURE_ROW
from tests.warehouse_queries import SOLE_PROPRIETORS_SINCE

MOSCOW_DATE = "cast(timezone('Europe/Moscow', timezone('UTC', {})) as date)"
CORE_CUTS = (
    "delete from marts.fct_transactions where posting_date > $cutoff",
    "delete from marts.fct_card_transactions "
    f"where {MOSCOW_DATE.format('transaction_at')} > $cutoff",
    "delete from marts.fct_interactions where occurred_date > $cutoff",
    "delete from marts.fct_balances_daily where balance_date > $cutoff",
    "delete from marts.fct_contracts where start_date > $cutoff",
    "update marts.fct_contracts set closed_date = null where closed_date > $cutoff",
)
"""Every core fact dated after the cutoff deleted, contracts closed after it reopened."""
SOLE_PROPRIETOR_CUTS = (
    "update marts.dim_clients set client_type = 'ФЛ', is_sole_proprietor = false "
    "where golden_client_id in "
    f"(select golden_client_id from ({SOLE_PROPRIETORS_SINCE}) where since > $cutoff)",
    "delete from raw.abs__clients where client_type = 'ИП' and registration_date > $cutoff",
)
"""The persons whose every ИП record was registered with the bank after the cutoff made ФЛ
again, as the golden record stood before them, and those records deleted."""


def rebuilt_after_cut(
    warehouse_path: Path,
    tmp_path: Path,
    cutoff: dt.date,
    cuts: tuple[str, ...],
    models: tuple[str, ...],
) -> Path:
    """A copy of the warehouse with the ``cuts`` applied (``$cutoff`` bound) and ``models``
    rebuilt on it by dbt, from scratch (the feature tables are incremental)."""
    copy = warehouse_copy(warehouse_path, tmp_path)
    with duckdb.connect(str(copy)) as con:
        for statement in cuts:
            con.execute(statement, {"cutoff": cutoff})
    run = dbt_on_copy(copy, tmp_path, "run", "--full-refresh", "--select", *models)
    assert run.returncode == 0, run.stdout[-3000:]
    return copy


def compare_up_to(
    copy: Path, warehouse_path: Path, table: str, cutoff: dt.date
) -> tuple[int, int, int]:
    """(rows of the cut build up to ``cutoff``, rows only the full build has, rows only the cut
    build has) of ``table``, as-of dates up to ``cutoff``."""
    with duckdb.connect(str(copy), read_only=True) as con:
        con.execute(f"attach '{warehouse_path}' as full_build (read_only)")
        query = f"select {FEATURE_ROW} from {{}} where as_of_date <= $cutoff"
        truncated, full = query.format(table), query.format(f"full_build.{table}")
        params = {"cutoff": cutoff}
        [rows] = con.execute(f"select count(*) from ({truncated})", params).fetchone()
        [only_full] = con.execute(
            f"select count(*) from ({full} except all {truncated})", params
        ).fetchone()
        [only_cut] = con.execute(
            f"select count(*) from ({truncated} except all {full})", params
        ).fetchone()
    return rows, only_full, only_cut
