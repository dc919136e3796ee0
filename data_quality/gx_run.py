"""Run a raw table's expectation suite on a sample of its rows with GX's pandas engine.

GX 1.x through SQL on DuckDB returns empty metrics (see ``../shared/reference/stack-facts.md``),
so the rows are sampled out of DuckDB into pandas; a fixed-size reservoir sample keeps memory
flat however big the partition is, and is far more than the thresholds need.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from dataclasses import dataclass

import duckdb
import pandas as pd
import polars as pl

from data_quality.gx_suites import (
    SHORTFALL_SIGNIFICANCE,
    Gate,
    gates_for,
    shortfall_p_value,
    validity_column,
)
from ingestion import field_rules
from ingestion.contracts.model import FileContract

SAMPLE_ROWS = 200_000
SAMPLE_SEED = 42


@dataclass(frozen=True)
class GateResult:
    gate: Gate
    success: bool
    severity: str
    """The gate's own severity, or ``WARN`` for a shortfall within chance."""
    observed: dict


def judged(gate: Gate, success: bool, counts: dict) -> GateResult:
    """GX's verdict on one gate, with the severity its shortfall earns. GX leaves nulls out
    of a value-set expectation (``missing_count``) and counts them as the failures of a
    not-null one, so the rows judged are the elements less the missing."""
    observed = {
        k: v
        for k, v in counts.items()
        if k in ("element_count", "unexpected_count", "unexpected_percent", "missing_count")
    }
    if success:
        return GateResult(gate, True, gate.severity, observed)
    rows = counts["element_count"] - (counts.get("missing_count") or 0)
    p_value = shortfall_p_value(rows, counts["unexpected_count"], gate.mostly)
    observed["shortfall_p_value"] = round(p_value, 6)
    severity = gate.severity if p_value < SHORTFALL_SIGNIFICANCE else "WARN"
    return GateResult(gate, False, severity, observed)


def sample(
    con: duckdb.DuckDBPyConnection, contract: FileContract, first: dt.date, last: dt.date
) -> pd.DataFrame:
    """Up to ``SAMPLE_ROWS`` rows of the partitions, with a validity column per checked field.
    The partitions are selected first: DuckDB samples a query's FROM before its WHERE, which
    made a day's gates judge the day's share of a sample of the whole table (454 of 15,739
    postings at 100 k) after reading every row of it."""
    frame = con.execute(
        f"select * from (select * from raw.{contract.table} where _business_date between ? and ?) "
        f"using sample reservoir({SAMPLE_ROWS} rows) repeatable ({SAMPLE_SEED})",
        [first, last],
    ).pl()
    validity = []
    for column in contract.columns:
        for check in column.checks:
            valid = ~pl.Series(range(frame.height)).is_in(
                pl.Series(field_rules.failing(frame[column.name], check)).implode()
            )
            validity.append(valid.alias(validity_column(column.name)))
            validity[-1] = pl.when(frame[column.name].is_not_null()).then(validity[-1])
    if validity:
        frame = frame.with_columns(validity)
    return frame.to_pandas()


@functools.cache
def _context():
    """One ephemeral GX context per process: creating one costs ≈ 0.15 s, once per table.
    GX is imported here, not with the module (≈ 3 s, see ``gx_suites.Gate``)."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def validate(contract: FileContract, rows: pd.DataFrame) -> list[GateResult]:
    from great_expectations import ExpectationSuite

    gates = gates_for(contract)
    if not gates:
        return []
    context = _context()
    source = context.data_sources.add_or_update_pandas(name=contract.table)
    batch = (
        source.add_dataframe_asset(name=contract.table)
        .add_batch_definition_whole_dataframe("sample")
        .get_batch(batch_parameters={"dataframe": rows})
    )
    suite = context.suites.add_or_update(
        ExpectationSuite(name=contract.table, expectations=[g.expectation() for g in gates])
    )
    report = batch.validate(suite)
    return [
        judged(gate, bool(outcome.success), outcome.result or {})
        for gate, outcome in zip(gates, report.results, strict=True)
    ]
