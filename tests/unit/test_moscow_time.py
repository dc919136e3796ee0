"""The DuckDB macros for Moscow time (dbt_project/macros/cross_db) take a fixed three-hour offset
since Moscow's last change of offset and the time-zone database before it: they must agree with
the time-zone database over 1990–2040 and at every minute around the last change."""

from __future__ import annotations

from pathlib import Path

import duckdb
import jinja2
import pytest

MACROS = Path(__file__).resolve().parents[2] / "dbt_project" / "macros" / "cross_db"

HOURS = "range(timestamp '1990-01-01', timestamp '2040-01-01', interval 7 hour)"
"""Every seventh hour: each hour of the day, in every season."""
MINUTES_AROUND_CHANGES = (
    "range(timestamp '2014-10-25 18:00', timestamp '2014-10-26 06:00', interval 1 minute)"
)


@pytest.fixture(scope="module")
def macros():
    """The project's two macro files as one Jinja module (the Moscow bounds live in one)."""
    source = "\n".join(
        (MACROS / name).read_text(encoding="utf-8")
        for name in ("to_moscow_date.sql", "local_to_utc.sql")
    )
    return jinja2.Environment().from_string(source).module


def _disagreements(macro_sql: str, reference_sql: str, timestamps: str) -> list:
    con = duckdb.connect()
    return con.execute(
        f"select ts, {macro_sql}, {reference_sql} from (select unnest({timestamps}) as ts) "
        f"where ({macro_sql}) is distinct from ({reference_sql}) limit 5"
    ).fetchall()


@pytest.mark.parametrize("timestamps", [HOURS, MINUTES_AROUND_CHANGES])
def test_the_moscow_date_of_a_utc_time_is_the_time_zone_databases(macros, timestamps):
    reference = "cast(timezone('Europe/Moscow', timezone('UTC', ts)) as date)"
    assert _disagreements(str(macros.duckdb__to_moscow_date("ts")), reference, timestamps) == []


@pytest.mark.parametrize("timestamps", [HOURS, MINUTES_AROUND_CHANGES])
def test_a_moscow_local_time_in_utc_is_the_time_zone_databases(macros, timestamps):
    reference = "timezone('UTC', timezone('Europe/Moscow', ts))"
    rendered = str(macros.duckdb__local_to_utc("ts", "Europe/Moscow"))
    assert "interval 3 hour" in rendered
    assert _disagreements(rendered, reference, timestamps) == []


def test_other_time_zones_go_through_the_time_zone_database(macros):
    rendered = str(macros.duckdb__local_to_utc("ts", "Asia/Yekaterinburg"))
    assert "interval" not in rendered
    reference = "timezone('UTC', timezone('Asia/Yekaterinburg', ts))"
    assert _disagreements(rendered, reference, HOURS) == []
