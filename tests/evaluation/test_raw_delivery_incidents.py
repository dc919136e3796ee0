"""Each delivery incident the simulator staged shows in the load audit as it really happened."""

from __future__ import annotations

import polars as pl
import pytest

pytestmark = pytest.mark.evaluation


@pytest.fixture
def incidents(raw_bank) -> dict[str, dict]:
    settings, _ = raw_bank
    events = pl.read_parquet(settings.truth_dir / "delivery_events.parquet")
    return {row["kind"]: row for row in events.to_dicts()}


def audit(con, table: str, business_date=None) -> list[dict]:
    query = "select * from audit.file_loads where table_name = ?"
    params = [table]
    if business_date is not None:
        query += " and business_date = ?"
        params.append(business_date)
    cursor = con.execute(query + " order by business_date, delivery_date", params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def test_duplicate_delivery_is_recognised_and_loaded_once(incidents, warehouse):
    event = incidents["duplicate_file"]
    rows = audit(warehouse, f"{event['system']}__{event['entity']}", event["business_date"])
    assert [r["status"] for r in rows] == ["loaded", "duplicate"]
    assert rows[1]["delivery_date"] == event["delivered_on"]
    assert rows[0]["sha256"] == rows[1]["sha256"]


def test_late_file_lands_in_its_own_business_date(incidents, warehouse):
    event = incidents["late_file"]
    [row] = audit(warehouse, f"{event['system']}__{event['entity']}", event["business_date"])
    assert row["status"] == "loaded" and row["delivery_date"] == event["delivered_on"]
    assert row["rows_loaded"] > 0


def test_skipped_day_arrives_with_the_next_one(incidents, warehouse):
    event = incidents["missing_day"]
    for table in ("dbo__sessions", "dbo__events"):
        [row] = audit(warehouse, table, event["business_date"])
        assert row["status"] == "loaded" and row["delivery_date"] == event["delivered_on"]


def test_encoding_switch_is_detected_and_recorded(incidents, warehouse):
    event = incidents["encoding_change"]
    rows = audit(warehouse, f"{event['system']}__{event['entity']}")
    before = {r["detected_encoding"] for r in rows if r["business_date"] < event["business_date"]}
    after = {r["detected_encoding"] for r in rows if r["business_date"] >= event["business_date"]}
    assert before == {"cp1251"} and after == {event["detail"]}
    assert {r["status"] for r in rows} == {"loaded"}


def test_added_column_is_tolerated_and_loaded_from_its_first_file(incidents, warehouse):
    event = incidents["column_added"]
    table = f"{event['system']}__{event['entity']}"
    rows = audit(warehouse, table)
    for row in rows:
        lacks = event["detail"] in row["missing_optional_columns"]
        assert lacks == (row["business_date"] < event["business_date"]), row["file_name"]
    first_filled = warehouse.execute(
        f"select min(_business_date) from raw.{table} where {event['detail']} is not null"
    ).fetchone()[0]
    assert first_filled == event["business_date"]
