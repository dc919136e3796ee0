"""Partition loads: idempotent, duplicates recognised, late files in their own date, audit."""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl
import pytest

from ingestion import load, reader
from ingestion.contracts import contract_for
from ingestion.load import gathered, load_partitions
from ingestion.parse import ParsedBatch
from tests.ingestion_samples import ACCOUNT_ROW, ACCOUNTS_HEADER

pytestmark = pytest.mark.unit

DAY = dt.date(2026, 10, 20)
ACCOUNTS = contract_for("abs__accounts")


def deliver(landing, folder: str, business_date: dt.date, rows: list[str], trailer_rows=None):
    path = landing / "abs" / folder / f"ACCOUNTS_{business_date:%Y%m%d}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    count = len(rows) if trailer_rows is None else trailer_rows
    lines = [ACCOUNTS_HEADER, *rows, f"ИТОГО;{count};0,00"]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1251"))
    return path


def account(number: int) -> str:
    return ACCOUNT_ROW.replace("0006411;", f"{number:07d};", 1)


@pytest.fixture
def con(tmp_path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as connection:
        yield connection


def counts(con, business_date=DAY) -> tuple[int, int]:
    raw = con.execute(
        "select count(*) from raw.abs__accounts where _business_date = ?", [business_date]
    ).fetchone()[0]
    quarantined = con.execute(
        "select count(*) from quarantine.abs__accounts where _business_date = ?", [business_date]
    ).fetchone()[0]
    return raw, quarantined


def test_reloading_a_partition_replaces_it(tmp_path, con):
    landing = tmp_path / "landing"
    deliver(landing, "2026-10-20", DAY, [account(1), account(2), "broken;row"])
    load_partitions(con, ACCOUNTS, [DAY], landing)
    first = counts(con)
    [load] = load_partitions(con, ACCOUNTS, [DAY], landing)
    assert counts(con) == first == (2, 1)
    assert load.total("rows_read") == 3
    audit_rows = con.execute("select count(*) from audit.file_loads").fetchone()[0]
    assert audit_rows == 2, "every attempt is audited"


def test_same_file_delivered_twice_is_loaded_once(tmp_path, con):
    landing = tmp_path / "landing"
    deliver(landing, "2026-10-20", DAY, [account(1)])
    deliver(landing, "2026-10-21", DAY, [account(1)])
    [load] = load_partitions(con, ACCOUNTS, [DAY], landing)
    assert [r["status"] for r in load.audit] == ["loaded", "duplicate"]
    assert load.audit[1]["duplicate_of"] == "abs/2026-10-20/ACCOUNTS_20261020.csv"
    assert counts(con) == (1, 0)


def test_a_re_sent_file_with_new_content_supersedes_the_earlier_one(tmp_path, con):
    landing = tmp_path / "landing"
    deliver(landing, "2026-10-20", DAY, [account(1)])
    deliver(landing, "2026-10-22", DAY, [account(1), account(2)])
    [load] = load_partitions(con, ACCOUNTS, [DAY], landing)
    assert [r["status"] for r in load.audit] == ["superseded", "loaded"]
    assert counts(con) == (2, 0)


def test_late_file_lands_in_its_own_business_date(tmp_path, con):
    landing = tmp_path / "landing"
    next_day = DAY + dt.timedelta(days=1)
    deliver(landing, "2026-10-21", next_day, [account(3)])
    deliver(landing, "2026-10-21", DAY, [account(1)])
    loads = load_partitions(con, ACCOUNTS, [DAY, next_day], landing)
    assert [load.audit[0]["delivery_date"] for load in loads] == [next_day, next_day]
    assert counts(con, DAY) == (1, 0) and counts(con, next_day) == (1, 0)


def test_missing_day_is_recorded(tmp_path, con):
    [load] = load_partitions(con, ACCOUNTS, [DAY], tmp_path / "landing")
    [row] = load.audit
    assert row["status"] == "missing" and "ACCOUNTS_{date}.csv" in row["error"]


def test_rejected_file_leaves_nothing_but_its_audit_row(tmp_path, con):
    landing = tmp_path / "landing"
    deliver(landing, "2026-10-20", DAY, [account(1), account(2)], trailer_rows=7)
    [load] = load_partitions(con, ACCOUNTS, [DAY], landing)
    [row] = load.audit
    assert row["status"] == "rejected" and row["error_reason"] == "trailer_mismatch"
    assert "ACCOUNTS_20261020.csv" in row["error"] and "7 rows" in row["error"]
    assert (row["rows_read"], row["rows_loaded"]) == (2, 0)
    assert counts(con) == (0, 0)


def test_audit_records_size_checksum_encoding_and_counts(tmp_path, con):
    landing = tmp_path / "landing"
    path = deliver(landing, "2026-10-20", DAY, [account(1), "x;y"])
    load_partitions(con, ACCOUNTS, [DAY], landing)
    row = con.execute(
        "select size_bytes, length(sha256), detected_encoding, rows_read, rows_loaded, "
        "rows_quarantined, status, started_at <= finished_at from audit.file_loads"
    ).fetchone()
    assert row == (path.stat().st_size, 64, "cp1251", 2, 1, 1, "loaded", True)


def test_parsed_batches_are_joined_in_order_up_to_the_insert_size():
    def batch(first: int, rows: int) -> ParsedBatch:
        numbers = list(range(first, first + rows))
        return ParsedBatch(pl.DataFrame({"n": numbers}), pl.DataFrame({"q": numbers[:1]}))

    parts = [batch(0, 3), batch(3, 1), batch(4, 2), batch(6, 7), batch(13, 2), batch(15, 1)]
    joined = list(gathered(iter(parts), 5))
    assert [b.rows["n"].to_list() for b in joined] == [
        list(range(4)),
        [4, 5],
        list(range(6, 13)),
        list(range(13, 16)),
    ], "up to 5 rows, never more, unless one batch alone is bigger"
    assert [b.quarantine["q"].to_list() for b in joined] == [[0, 3], [4], [6], [13, 15]]


def test_a_file_read_in_many_chunks_loads_every_row_once(tmp_path, con, monkeypatch):
    """Chunks of a few lines, joined into inserts of 7 rows: every good row loaded once, every
    bad one quarantined once, whatever the batch boundaries."""
    monkeypatch.setattr(reader, "CHUNK_BYTES", 600)
    monkeypatch.setattr(load, "INSERT_ROWS", 7)
    rows = [account(n) if n % 9 else "x;y" for n in range(1, 41)]
    deliver(tmp_path / "landing", "2026-10-20", DAY, rows)
    [loaded] = load_partitions(con, ACCOUNTS, [DAY], tmp_path / "landing")
    assert loaded.total("rows_read") == 40
    assert counts(con) == (36, 4)
    [(distinct_lines,)] = con.execute(
        "select count(distinct _line_number) from raw.abs__accounts"
    ).fetchall()
    assert distinct_lines == 36
