"""Checks on a raw load: nothing lost, files met their contract, deliveries arrived once.

Each check is a plain function of the load's audit rows (and the warehouse, to recount), so
Dagster only turns the outcomes into asset-check results.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from data_quality.gx_suites import SHORTFALL_SIGNIFICANCE, shortfall_p_value


@dataclass(frozen=True)
class CheckOutcome:
    name: str
    passed: bool
    severity: str
    """``ERROR`` blocks downstream assets when the check fails; ``WARN`` records."""
    description: str
    metadata: dict = field(default_factory=dict)


@dataclass(frozen=True)
class CheckDefinition:
    name: str
    blocking: bool
    description: str


CHECKS = (
    CheckDefinition(
        "every_row_read_is_loaded_or_quarantined",
        True,
        "For every loaded file: rows read = rows in raw + rows rejected to quarantine, recounted "
        "in the warehouse.",
    ),
    CheckDefinition(
        "every_file_meets_its_contract",
        True,
        "No file was rejected whole (unreadable encoding, missing column, truncated, empty, "
        "trailer mismatch).",
    ),
    CheckDefinition(
        "quarantine_rate_is_within_limits",
        True,
        "Share of the load's rows rejected to quarantine: WARN above the warn rate, ERROR above "
        "the error rate (settings) beyond chance — when a source rejecting at the error rate "
        "would reject so many less than 5 % of the time; a small delta's few broken lines warn.",
    ),
    CheckDefinition(
        "each_business_date_has_a_file",
        False,
        "A file arrived for every business date loaded (WARN: a missing day is often late).",
    ),
    CheckDefinition(
        "no_file_was_delivered_twice",
        False,
        "No duplicate (same bytes) or superseded (re-sent, different bytes) delivery.",
    ),
)


def _files(rows: list[dict]) -> list[str]:
    return [f"{r['file_path'] or r['business_date']}: {r['error']}" for r in rows]


def rows_reconcile(con: duckdb.DuckDBPyConnection, table: str, audit: list[dict]):
    loaded = [row for row in audit if row["status"] == "loaded"]
    mismatches = []
    for row in loaded:
        raw_rows = con.execute(
            f"select count(*) from raw.{table} where _load_id = ?", [row["load_id"]]
        ).fetchone()[0]
        rejected = con.execute(
            f"select count(*) from quarantine.{table} where _load_id = ? and is_rejected",
            [row["load_id"]],
        ).fetchone()[0]
        if not (row["rows_read"] == raw_rows + rejected == row["rows_loaded"] + rejected):
            mismatches.append(
                f"{row['file_path']}: read {row['rows_read']}, raw {raw_rows}, "
                f"quarantined {rejected}"
            )
    return not mismatches, {
        "files_checked": len(loaded),
        "rows_read": sum(r["rows_read"] for r in loaded),
        "rows_loaded": sum(r["rows_loaded"] for r in loaded),
        "rows_quarantined": sum(r["rows_quarantined"] for r in loaded),
        "mismatches": mismatches,
    }


def evaluate(
    con: duckdb.DuckDBPyConnection,
    table: str,
    audit: list[dict],
    warn_rate: float,
    error_rate: float,
) -> list[CheckOutcome]:
    """Outcomes of ``CHECKS`` for the audit rows of one load (one or more business dates)."""

    def by_status(status: str) -> list[dict]:
        return [row for row in audit if row["status"] == status]

    reconciled, counts = rows_reconcile(con, table, audit)
    rejected = by_status("rejected")
    loaded = by_status("loaded")
    read = sum(r["rows_read"] for r in loaded)
    quarantined = sum(r["rows_quarantined"] for r in loaded)
    rate = quarantined / read if read else 0.0
    # as the raw gates judge a share (gx_run.judged): the loaded rows against a source that
    # keeps 1 - error_rate of them
    excess_p_value = (
        shortfall_p_value(read, quarantined, 1 - error_rate) if rate > error_rate else None
    )
    severe = excess_p_value is not None and excess_p_value < SHORTFALL_SIGNIFICANCE
    missing = by_status("missing")
    twice = by_status("duplicate") + by_status("superseded")
    descriptions = {c.name: c.description for c in CHECKS}
    return [
        CheckOutcome(CHECKS[0].name, reconciled, "ERROR", descriptions[CHECKS[0].name], counts),
        CheckOutcome(
            CHECKS[1].name, not rejected, "ERROR", descriptions[CHECKS[1].name],
            {"rejected_files": _files(rejected)},
        ),
        CheckOutcome(
            CHECKS[2].name, rate <= warn_rate, "ERROR" if severe else "WARN",
            descriptions[CHECKS[2].name],
            {"quarantine_rate": round(rate, 6), "rows_read": read, "warn_rate": warn_rate,
             "error_rate": error_rate,
             **({} if excess_p_value is None
                else {"excess_p_value": round(excess_p_value, 6)})},
        ),
        CheckOutcome(
            CHECKS[3].name, not missing, "WARN", descriptions[CHECKS[3].name],
            {"missing": [str(r["business_date"]) for r in missing]},
        ),
        CheckOutcome(
            CHECKS[4].name, not twice, "WARN", descriptions[CHECKS[4].name],
            {"not_loaded": _files(twice)},
        ),
    ]  # fmt: skip
