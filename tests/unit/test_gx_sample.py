"""The rows a raw table's gates judge: the loaded dates' own rows, sampled beyond the cap."""

from __future__ import annotations

import datetime as dt

import pytest

from data_quality import gx_run
from ingestion.contracts import CONTRACTS
from tests.ingestion_samples import raw_table

CALLS = next(c for c in CONTRACTS if c.table == "contact_center__calls")
DAY, OTHER_DAY = dt.date(2026, 10, 28), dt.date(2026, 10, 27)


@pytest.fixture
def con():
    """A raw calls table: 300 rows of the day, 30,000 of the day before."""
    con = raw_table(CALLS)
    for day, rows in ((DAY, 300), (OTHER_DAY, 30_000)):
        con.execute(
            f"insert into raw.{CALLS.table} (_business_date) select ? from range({rows})", [day]
        )
    yield con
    con.close()


def test_a_day_under_the_cap_is_judged_on_every_row_of_it(con):
    assert len(gx_run.sample(con, CALLS, DAY, DAY)) == 300


def test_a_day_over_the_cap_is_sampled_from_its_own_rows(con, monkeypatch):
    monkeypatch.setattr(gx_run, "SAMPLE_ROWS", 100)
    assert len(gx_run.sample(con, CALLS, DAY, DAY)) == 100
    assert len(gx_run.sample(con, CALLS, OTHER_DAY, DAY)) == 100
