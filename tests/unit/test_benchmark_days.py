"""The benchmark's daily stages pick their business dates from what the landing zone holds."""

from __future__ import annotations

import datetime as dt

import pytest

from benchmarks.stages import _last_business_date, _ordinary_day

pytestmark = pytest.mark.unit


def _deliver(landing, day: dt.date) -> None:
    folder = landing / "abs" / day.isoformat()
    folder.mkdir(parents=True)
    (folder / f"TRANSACTIONS_{day:%Y%m%d}.csv").write_text("")


@pytest.mark.parametrize(
    ("last", "ordinary"),
    [
        (dt.date(2026, 10, 31), dt.date(2026, 10, 28)),  # a Saturday month end
        (dt.date(2026, 10, 30), dt.date(2026, 10, 28)),  # a Friday
        (dt.date(2026, 10, 28), dt.date(2026, 10, 21)),  # a Wednesday: the week before
    ],
)
def test_the_ordinary_day_is_the_wednesday_before_the_last_business_date(tmp_path, last, ordinary):
    for day in (dt.date(2026, 10, 17), ordinary, last):
        _deliver(tmp_path, day)
    assert _last_business_date(tmp_path) == last
    assert _ordinary_day(tmp_path) == ordinary
    assert ordinary.weekday() == 2


def test_a_landing_zone_without_that_wednesday_has_no_ordinary_day(tmp_path):
    for day in (dt.date(2026, 10, 17), dt.date(2026, 10, 31)):
        _deliver(tmp_path, day)
    with pytest.raises(RuntimeError, match="no extract is dated 2026-10-28"):
        _ordinary_day(tmp_path)
