"""A raw gate's verdict on a day's rows: a shortfall blocks when it is more than chance."""

from __future__ import annotations

import datetime as dt

import pytest

from data_quality import gx_run
from ingestion.contracts import CONTRACTS
from tests.ingestion_samples import raw_table

CALLS = next(c for c in CONTRACTS if c.table == "contact_center__calls")
DAY = dt.date(2026, 10, 28)
PHONE_GATE = "caller_phone_is_a_valid_mobile_phone_in_90_percent_of_rows"
STARTED_GATE = "started_at_is_filled_in_95_percent_of_rows"


def _gates(valid: int, invalid: int, missing: int = 0, *, started_missing: int = 0) -> dict:
    """The calls gates on one day of ``valid`` + ``invalid`` + ``missing`` caller phones."""
    phones = ["+79161234567"] * valid + ["123"] * invalid + [None] * missing
    with raw_table(CALLS) as con:
        con.executemany(
            f"insert into raw.{CALLS.table} (caller_phone, started_at, _business_date) "
            "values (?, ?, ?)",
            [
                (phone, None if i < started_missing else "2026-10-28 10:00:00", DAY)
                for i, phone in enumerate(phones)
            ],
        )
        results = gx_run.validate(CALLS, gx_run.sample(con, CALLS, DAY, DAY))
    return {r.gate.check_name: r for r in results}


def test_a_small_days_shortfall_within_chance_only_warns():
    """31 calls, 4 invalid phones (87 %): a source at 90 % does this more than one day in three."""
    gate = _gates(27, 4)[PHONE_GATE]
    assert not gate.success
    assert gate.severity == "WARN"
    assert gate.observed["shortfall_p_value"] == pytest.approx(0.3762, abs=1e-4)


def test_a_shortfall_beyond_chance_keeps_the_gates_severity():
    gate = _gates(35, 15)[PHONE_GATE]
    assert not gate.success
    assert gate.severity == "ERROR"
    assert gate.observed["shortfall_p_value"] < 0.001


def test_empty_phones_are_not_judged_by_the_validity_gate():
    """9 empty phones leave 31 judged, as above — not 40 with 13 failing."""
    gate = _gates(27, 4, missing=9)[PHONE_GATE]
    assert gate.observed["missing_count"] == 9
    assert gate.observed["shortfall_p_value"] == pytest.approx(0.3762, abs=1e-4)


def test_a_mandatory_fields_nulls_are_its_failures():
    gates = _gates(40, 0, started_missing=12)
    assert gates[PHONE_GATE].success
    started = gates[STARTED_GATE]
    assert not started.success
    assert started.severity == "ERROR"
    assert started.observed["shortfall_p_value"] < 0.001


def test_a_gate_met_passes_with_its_severity():
    gate = _gates(30, 0)[PHONE_GATE]
    assert gate.success
    assert gate.severity == "ERROR"
    assert "shortfall_p_value" not in gate.observed
