"""Big tables served as one Parquet file per month, and a month's file reused while its rows stay
the same.

A publication used to write every table whole; at bank-1m that is 8.3 GB of Parquet and more
than three minutes every day, though a day's loads change one month of each fact. A model whose
dbt YAML declares ``config: meta: serving: {files_by_month_of: <date column>, rows_keyed_by:
[<key columns>]}`` is written as ``<schema>/<table>/<YYYY-MM>.parquet`` (and ``undated.parquet``
for rows without a date, which also carries the schema of an empty table). Each month's file has
a fingerprint: a digest of the masked ``select`` that writes it (columns, masking rules), the
Parquet options, the DuckDB version, the masking key's digest, and the month's rows — their
count and the XOR of the hashes of every row's key and ``_written_by``, one scan of a few
columns. A month whose fingerprint is the previous publication's is hard-linked from it instead
of written again.

``_written_by`` is the dbt invocation that last wrote the row (``dbt_project/macros/
written_by.sql``): every insert and update of these tables sets it, so a month holds the same
values as long as the same rows under the same writers are in it — an added, removed or
rewritten row changes the count or the XOR. Hashing every value instead cost 60 of the 84 s of a
daily publication at bank-1m (``fct_transactions`` 27 s, by key and writer 2 s). A month that a
run rewrote with the same values is written again, which a full rebuild does for every month.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import duckdb

from cdp.warehouse import WRITTEN_BY, row_hash

UNDATED = "undated"


class UnmarkedTable(ValueError):
    """A table served by month whose rows do not say which run wrote them."""


@dataclass(frozen=True)
class MonthFiles:
    """How a table is laid out in a publication: one file per month of ``date_column``; its rows
    are told apart by ``row_key``."""

    date_column: str
    row_key: tuple[str, ...]


@dataclass(frozen=True)
class MonthFile:
    month: str
    """``YYYY-MM`` or ``undated``."""
    file: str
    """Path relative to the publication folder."""
    rows: int
    fingerprint: str
    bytes: int
    sha256: str
    reused: bool


def declared_month_files(manifest_path: Path) -> dict[tuple[str, str], MonthFiles]:
    """(schema, table) → its month layout, for every dbt model whose meta declares one."""
    manifest = json.loads(Path(manifest_path).read_text(encoding="utf-8"))
    layouts = {}
    for node in manifest["nodes"].values():
        declared = (node.get("config", {}).get("meta") or node.get("meta") or {}).get("serving")
        if node["resource_type"] != "model" or not declared:
            continue
        table = node.get("alias") or node["name"]
        layouts[(node["schema"].lower(), table.lower())] = MonthFiles(
            declared["files_by_month_of"], tuple(declared["rows_keyed_by"])
        )
    return layouts


def month_filter(date_sql: str, month: str) -> str:
    """The rows of ``month`` as a range on the date column, so DuckDB skips other row groups."""
    if month == UNDATED:
        return f"{date_sql} is null"
    start = dt.date.fromisoformat(f"{month}-01")
    end = (start + dt.timedelta(days=31)).replace(day=1)
    return f"{date_sql} >= date '{start}' and {date_sql} < date '{end}'"


def month_contents(
    con: duckdb.DuckDBPyConnection, source: str, date_sql: str, key_sqls: list[str]
) -> dict[str, tuple[int, int]]:
    """Month → (rows, XOR of the hash of every row's key and writer), ``undated`` always present.

    The key makes each row's hash its own: rows of one writer, XORed without it, would cancel
    in pairs — and so would two rows' writers without ``row_hash``'s second hash. With the
    count beside it, a removed row cannot go unseen."""
    rows = con.execute(
        f"select date_trunc('month', {date_sql}), count(*), "
        f"bit_xor({row_hash(*key_sqls, WRITTEN_BY)}) from {source} group by 1"
    ).fetchall()
    return {UNDATED: (0, 0)} | {
        (UNDATED if month is None else month.strftime("%Y-%m")): (count, digest)
        for month, count, digest in rows
    }


def fingerprint(
    select_sql: str, writer: str, key_digest: str, month: str, content: tuple[int, int]
) -> str:
    """What a month's file is a function of; equal fingerprints, equal files' rows."""
    text = json.dumps([select_sql, writer, duckdb.__version__, key_digest, month, list(content)])
    return hashlib.sha256(text.encode()).hexdigest()


def previous_files(publication_dir: Path | None) -> dict[tuple[str, str], dict[str, tuple]]:
    """(schema, table) → month → (file path, manifest entry) of a finished publication."""
    manifest = publication_dir and publication_dir / "manifest.json"
    if manifest is None or not manifest.exists():
        return {}
    tables = json.loads(manifest.read_text(encoding="utf-8"))["tables"]
    return {
        (t["schema"], t["table"]): {
            f["month"]: (publication_dir / f["file"], f) for f in t.get("month_files", [])
        }
        for t in tables
    }
