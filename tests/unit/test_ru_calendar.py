from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from cdp.ru_calendar import add_working_days, holidays

pytestmark = pytest.mark.unit


def _day(d: dt.date) -> int:
    return (d - dt.date(1970, 1, 1)).days


def _date(n: int) -> dt.date:
    return dt.date(1970, 1, 1) + dt.timedelta(days=int(n))


def test_statutory_holidays_and_weekend_carry_over():
    h = set(holidays().astype(dt.date))
    assert dt.date(2026, 1, 5) in h and dt.date(2026, 6, 12) in h
    assert dt.date(2026, 3, 9) in h  # 8 March 2026 is a Sunday: moved to Monday
    assert dt.date(2026, 5, 11) in h  # 9 May 2026 is a Saturday: moved to Monday
    assert all(d.weekday() < 5 for d in h)


def test_fifteen_working_days_skip_weekends_and_holidays():
    received = np.array([_day(dt.date(2026, 10, 30)), _day(dt.date(2025, 12, 26))])
    due = [_date(d) for d in add_working_days(received, 15)]
    # 30 Oct 2026 (Fri): November has the 4th off, so the 15th working day is 23 Nov.
    assert due[0] == dt.date(2026, 11, 23)
    # 26 Dec 2025 (Fri): 29–31 Dec count, 1–8 January do not, so the 15th is 26 January.
    assert due[1] == dt.date(2026, 1, 26)
