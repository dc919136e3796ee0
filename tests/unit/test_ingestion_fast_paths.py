"""The fast paths of the loader keep what the slow ones promised: rows stay with their lines,
checksums are recorded, the caller's DuckDB settings come back."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import duckdb
import polars as pl

from ingestion.contracts import contract_for
from ingestion.load import load_partitions
from ingestion.parse import FileParser

DAY = dt.date(2026, 10, 20)


def _event(i: int) -> str:
    return json.dumps(
        {"event_id": str(i), "session_id": f"s{i}", "client_login_id": f"L{i}",
         "ts": "2026-10-20T10:00:00.000Z", "event_type": "login", "screen": None,
         "product_code": None, "amount": i, "status": "ok", "offer_id": None,
         "campaign_id": None}
    )  # fmt: skip


def _events_file(tmp_path):
    lines = [_event(i) for i in range(1, 200)]
    lines[9] = "{not json"
    lines[99] = "[1, 2]"
    folder = tmp_path / "dbo" / DAY.isoformat()
    folder.mkdir(parents=True)
    path = folder / f"events_{DAY:%Y%m%d}.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_json_rows_keep_their_own_line_and_bad_lines_are_rejected(tmp_path):
    path = _events_file(tmp_path)
    batches = list(FileParser(contract_for("dbo__events"), path).batches())
    rows = pl.concat([b.rows for b in batches])
    quarantine = pl.concat([b.quarantine for b in batches])
    assert sorted(quarantine["line_number"].to_list()) == [10, 100]
    assert set(quarantine["reason"]) == {"invalid_json"}
    assert rows.height == 197
    assert (rows["event_id"].cast(int) == rows["_line_number"]).all()
    assert (rows["amount_rub"].cast(float) == rows["_line_number"].cast(float)).all()


def test_load_records_the_checksum_and_gives_back_the_insertion_order_setting(tmp_path):
    path = _events_file(tmp_path)
    con = duckdb.connect()
    [load] = load_partitions(con, contract_for("dbo__events"), [DAY], tmp_path)
    [audit] = load.audit
    assert audit["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert (audit["rows_read"], audit["rows_loaded"], audit["rows_quarantined"]) == (199, 197, 2)
    assert con.execute("select current_setting('preserve_insertion_order')").fetchone()[0]
    loaded = con.execute("select count(*) from raw.dbo__events").fetchone()[0]
    assert loaded == 197
