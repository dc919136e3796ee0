"""A number changed in the app reaches the АБС client record: in the snapshot as the record's
own number, after it as a second row of the change's day."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import numpy as np
import polars as pl
import pytest

from simulator.extracts import abs_files
from simulator.extracts.landing import DATE
from simulator.lifecycle import NEVER_DAY
from simulator.population import days

pytestmark = pytest.mark.unit

SNAPSHOT, BUSINESS = dt.date(2026, 10, 21), dt.date(2026, 10, 31)


def _digits(phone: str) -> str:
    return "".join(c for c in phone if c.isdigit())[-10:]


def _updates(monkeypatch, change_days: list[int], churn_days: list[int] | None = None):
    monkeypatch.setattr(abs_files, "SHARE_PHONE_CHANGE_REACHES_ABS", 1.0)
    monkeypatch.setattr(abs_files, "PHONE_CHANGE_REACHES_ABS_DAYS", 0)
    n = len(change_days)
    ids = [f"1000000{i}" for i in range(n)]
    individuals = pl.DataFrame(
        {
            "КОД_КЛИЕНТА": ids,
            "ТЕЛ_МОБ": ["89160000000"] * n,
            "ДАТА_АКТУАЛ_АНКЕТЫ": ["01.01.2020"] * n,
            DATE: [dt.date(2020, 1, 1)] * n,
        }
    )
    extracts = SimpleNamespace(
        params=SimpleNamespace(seed=1, snapshot_date=SNAPSHOT, business_date=BUSINESS),
        identity=SimpleNamespace(abs_client_id_column=pl.Series(ids)),
    )
    changes = SimpleNamespace(
        phone_change_day=np.array(change_days, dtype=np.int64),
        new_phone=np.array([f"+7926111223{i}" for i in range(n)], dtype=object),
    )
    churn = np.array(churn_days or [NEVER_DAY] * n, dtype=np.int64)
    life = SimpleNamespace(churn_day=churn)
    return abs_files.AbsExtracts._phone_updates(extracts, individuals, life, changes)


def test_a_change_before_the_snapshot_is_the_records_own_number(monkeypatch):
    base, later = _updates(monkeypatch, [days(dt.date(2026, 5, 4)), NEVER_DAY])
    assert later.is_empty()
    changed, unchanged = base.row(0, named=True), base.row(1, named=True)
    assert _digits(changed["ТЕЛ_МОБ"]) == "9261112230"
    assert changed["ДАТА_АКТУАЛ_АНКЕТЫ"] == "04.05.2026"
    assert changed[DATE] == dt.date(2020, 1, 1)
    assert unchanged["ТЕЛ_МОБ"] == "89160000000"


def test_a_change_after_the_snapshot_is_a_second_row_of_its_day(monkeypatch):
    base, later = _updates(monkeypatch, [days(dt.date(2026, 10, 25))])
    assert base["ТЕЛ_МОБ"].to_list() == ["89160000000"]
    [row] = later.rows(named=True)
    assert row["КОД_КЛИЕНТА"] == "10000000"
    assert _digits(row["ТЕЛ_МОБ"]) == "9261112230"
    assert (row["ДАТА_АКТУАЛ_АНКЕТЫ"], row[DATE]) == ("25.10.2026", dt.date(2026, 10, 25))


def test_no_change_reaches_the_core_after_the_business_date_or_the_client_left(monkeypatch):
    after_business_date = days(dt.date(2026, 11, 2))
    change, left = days(dt.date(2026, 10, 25)), days(dt.date(2026, 10, 24))
    base, later = _updates(monkeypatch, [after_business_date, change], [NEVER_DAY, left])
    assert later.is_empty() and base["ТЕЛ_МОБ"].to_list() == ["89160000000"] * 2
