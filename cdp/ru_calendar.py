"""Russian non-working holidays (Labour Code art. 112), for deadlines counted in working days.

Statutory holidays: 1–8 January, 23 February, 8 March, 1 May, 9 May, 12 June, 4 November. A
holiday that falls on a Saturday or Sunday moves to the next working day (January holidays
excepted). The government's yearly decrees that swap further days are not modelled.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

import numpy as np

FIXED_HOLIDAYS = ((2, 23), (3, 8), (5, 1), (5, 9), (6, 12), (11, 4))


@cache
def holidays(first_year: int = 2000, last_year: int = 2035) -> np.ndarray:
    """Non-working weekdays as ``datetime64[D]``, for ``numpy.busday_offset(holidays=...)``."""
    days: set[dt.date] = set()
    for year in range(first_year, last_year + 1):
        days.update(dt.date(year, 1, d) for d in range(1, 9))
        for month, day in FIXED_HOLIDAYS:
            holiday = dt.date(year, month, day)
            while holiday.weekday() >= 5 or holiday in days:
                holiday += dt.timedelta(days=1)
            days.add(holiday)
    return np.array(sorted(d for d in days if d.weekday() < 5), dtype="datetime64[D]")


def add_working_days(days: np.ndarray, working_days) -> np.ndarray:
    """Day numbers (since 1970-01-01) ``working_days`` (one number, or one per day) working
    days after each day, counting
    from the next working day when the day itself is not one."""
    d = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    return np.busday_offset(d, working_days, roll="backward", holidays=holidays()).astype(np.int64)
