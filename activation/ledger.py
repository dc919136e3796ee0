"""The export ledger: one append-only row per export and the clients each export chose.

A DuckDB file of its own (``CDP_ACTIVATION_LEDGER_PATH``), not the warehouse: exports run while
the warehouse may be open for reading only (the serving copy's readers, the next build), and the
ledger must outlive warehouse rebuilds. Code only ever inserts; a re-run of the same export finds
its row and adds nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa

DDL = """
create schema if not exists audit;
create table if not exists audit.export_ledger (
    export_id varchar primary key,
    exported_at timestamp not null,      -- UTC
    exported_by varchar not null,
    purpose varchar not null,
    campaign_id varchar not null,
    segment_name varchar not null,
    segment_version integer not null,
    segment_hash varchar not null,
    channel varchar not null,
    recipient_system varchar not null,
    file_format varchar not null,
    file_path varchar not null,
    file_sha256 varchar not null,
    manifest_path varchar not null,
    as_of_date date not null,
    policy_hash varchar not null,
    segment_rows bigint not null,
    eligible_rows bigint not null,
    holdout_rows bigint not null,
    rows bigint not null
);
create table if not exists audit.export_audience (
    export_id varchar not null,
    golden_client_id varchar not null,
    is_holdout boolean not null,         -- set aside as control: not in the file
    primary key (export_id, golden_client_id)
);
"""

WHO_RECEIVED = """
select l.exported_at, l.exported_by, l.purpose, l.campaign_id, l.segment_name, l.channel,
       l.recipient_system, l.file_path, l.export_id
from audit.export_audience a
join audit.export_ledger l using (export_id)
where a.golden_client_id = $golden_client_id and not a.is_holdout
order by l.exported_at
"""
"""Who received this client's data, when and why (docs/activation.md)."""


@contextlib.contextmanager
def open_ledger(path: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    if read_only and not path.exists():
        with duckdb.connect() as con:
            con.execute(DDL)
            yield con
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path), read_only=read_only) as con:
        if not read_only:
            con.execute(DDL)
        yield con


def find_export(con: duckdb.DuckDBPyConnection, export_id: str) -> dict | None:
    cursor = con.execute(
        "select * from audit.export_ledger where export_id = $id", {"id": export_id}
    )
    row = cursor.fetchone()
    return None if row is None else dict(zip([d[0] for d in cursor.description], row, strict=True))


def last_segment_rows(
    con: duckdb.DuckDBPyConnection, segment_hash: str, channel: str
) -> int | None:
    """Segment size at the last export of the same definition on the channel: a new version of
    a segment starts afresh, so only the data can make the size jump."""
    row = con.execute(
        "select segment_rows from audit.export_ledger where segment_hash = $segment_hash "
        "and channel = $channel order by exported_at desc limit 1",
        {"segment_hash": segment_hash, "channel": channel},
    ).fetchone()
    return None if row is None else row[0]


def append(con: duckdb.DuckDBPyConnection, row: dict, audience: pa.Table) -> None:
    """Insert the export's ledger row and its audience in one transaction."""
    columns = ", ".join(row)
    values = ", ".join(f"${name}" for name in row)
    con.execute("begin")
    try:
        con.execute(f"insert into audit.export_ledger ({columns}) values ({values})", row)
        con.register("export_audience_rows", audience)
        con.execute(
            "insert into audit.export_audience select $export_id, golden_client_id, is_holdout "
            "from export_audience_rows",
            {"export_id": row["export_id"]},
        )
        con.unregister("export_audience_rows")
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


def who_received(con: duckdb.DuckDBPyConnection, golden_client_id: str) -> list[dict]:
    cursor = con.execute(WHO_RECEIVED, {"golden_client_id": golden_client_id})
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
