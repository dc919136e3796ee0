"""The quarantine-rate check: a load's rejected share blocks only beyond chance."""

from __future__ import annotations

import duckdb
import pytest

from data_quality.load_checks import evaluate

WARN_RATE, ERROR_RATE = 0.001, 0.02


def _rate_check(read: int, rejected: int):
    """The quarantine-rate outcome of one loaded file of ``read`` rows, ``rejected`` of them
    rejected, with raw and quarantine holding exactly those rows (so it reconciles)."""
    con = duckdb.connect()
    con.execute("create schema raw; create schema quarantine")
    con.execute("create table raw.t as select 'L1' as _load_id from range(?)", [read - rejected])
    con.execute(
        "create table quarantine.t as select 'L1' as _load_id, true as is_rejected from range(?)",
        [rejected],
    )
    audit = [
        {
            "load_id": "L1",
            "status": "loaded",
            "file_path": "abs/2026-10-28/t.csv",
            "business_date": "2026-10-28",
            "error": None,
            "rows_read": read,
            "rows_loaded": read - rejected,
            "rows_quarantined": rejected,
        }
    ]
    outcomes = {o.name: o for o in evaluate(con, "t", audit, WARN_RATE, ERROR_RATE)}
    assert outcomes["every_row_read_is_loaded_or_quarantined"].passed
    return outcomes["quarantine_rate_is_within_limits"]


def test_one_broken_line_of_a_small_delta_warns():
    """1 of 31 (3.2 %): a source rejecting 2 % does that about every other day."""
    check = _rate_check(31, 1)
    assert not check.passed
    assert check.severity == "WARN"
    assert check.metadata["excess_p_value"] == pytest.approx(1 - 0.98**31, abs=1e-4)


def test_a_fifth_of_a_small_file_rejected_blocks():
    """Before, a file under 1,000 rows only warned whatever its share."""
    check = _rate_check(100, 20)
    assert (check.passed, check.severity) == (False, "ERROR")
    assert check.metadata["excess_p_value"] < 0.001


def test_a_big_file_just_over_the_error_rate_warns():
    """35 of 1,500 (2.3 %, 30 expected at 2 %) is within chance; it blocked before."""
    check = _rate_check(1500, 35)
    assert (check.passed, check.severity) == (False, "WARN")
    assert check.metadata["excess_p_value"] > 0.05


def test_a_big_file_well_over_the_error_rate_blocks():
    check = _rate_check(2000, 200)
    assert (check.passed, check.severity) == (False, "ERROR")


def test_a_share_within_the_warn_rate_passes_without_a_test():
    check = _rate_check(5000, 3)
    assert check.passed
    assert "excess_p_value" not in check.metadata
