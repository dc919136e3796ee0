"""A number changed in the app reaches another system's record: in the snapshot as the record's
own number, after it as a second row of the change's day; never after the business date or the
client's leaving, never on a record that takes no updates."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import numpy as np
import polars as pl
import pytest

from simulator.extracts.landing import DATE
from simulator.extracts.phone_updates import PhoneUpdates, apply, plan
from simulator.lifecycle import NEVER_DAY
from simulator.population import days

pytestmark = pytest.mark.unit

PARAMS = SimpleNamespace(
    seed=1, snapshot_date=dt.date(2026, 10, 21), business_date=dt.date(2026, 10, 31)
)
ALWAYS_AT_ONCE = PhoneUpdates(
    stream="test", share=1.0, max_lag_days=0, phone_column="PHONE", styles={"plain_8": 1},
    updated_column="UPDATED",
)  # fmt: skip
OLD = "89160000000"


def _updates(change_days, churn_days=None, person=None):
    n = len(change_days)
    records = pl.DataFrame(
        {
            "ID": [str(i) for i in range(n)],
            "PHONE": [OLD] * n,
            "UPDATED": ["01.01.2020"] * n,
            DATE: [dt.date(2020, 1, 1)] * n,
        }
    )
    changes = SimpleNamespace(
        phone_change_day=np.array(change_days, dtype=np.int64),
        new_phone=np.array([f"+7926111223{i}" for i in range(n)], dtype=object),
    )
    life = SimpleNamespace(churn_day=np.array(churn_days or [NEVER_DAY] * n, dtype=np.int64))
    person = np.arange(n) if person is None else np.array(person)
    planned = plan(person, ALWAYS_AT_ONCE, changes, life, PARAMS)
    rows = apply(records, planned, ALWAYS_AT_ONCE)
    later = rows[DATE] > dt.date(2020, 1, 1)
    return planned, rows.filter(~later), rows.filter(later)


def test_a_change_before_the_snapshot_is_the_records_own_number():
    planned, snapshot, later = _updates([days(dt.date(2026, 5, 4)), NEVER_DAY])
    assert later.is_empty()
    assert planned.in_snapshot_mask(2).tolist() == [True, False]  # no defect goes on record 0
    assert snapshot.rows() == [
        ("0", "89261112230", "04.05.2026", dt.date(2020, 1, 1)),
        ("1", OLD, "01.01.2020", dt.date(2020, 1, 1)),
    ]


def test_a_change_after_the_snapshot_is_a_second_row_of_its_day():
    planned, snapshot, later = _updates([days(dt.date(2026, 10, 25))])
    assert not planned.in_snapshot_mask(1).any()
    assert snapshot["PHONE"].to_list() == [OLD]
    assert later.rows() == [("0", "89261112230", "25.10.2026", dt.date(2026, 10, 25))]


def test_no_change_reaches_after_the_business_date_after_leaving_or_a_record_without_updates():
    change = days(dt.date(2026, 10, 25))
    _, snapshot, later = _updates(
        [days(dt.date(2026, 11, 2)), change, change],
        churn_days=[NEVER_DAY, days(dt.date(2026, 10, 24)), NEVER_DAY],
        person=[0, 1, -1],
    )
    assert later.is_empty()
    assert snapshot["PHONE"].to_list() == [OLD] * 3
