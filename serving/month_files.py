"""Big facts served as one Parquet file per month, and a month's file reused while its rows stay
the same.

A publication used to write every table whole; at bank-1m that is 8.3 GB of Parquet and about
four minutes every day, though a day's loads change one month of each fact. A fact whose dbt
YAML declares ``config: meta: serving: {files_by_month_of: <date column>}`` is written as
``<schema>/<table>/<YYYY-MM>.parquet`` (and ``undated.parquet`` for rows without a date, which
also carries the schema of an empty table). Each month's file has a fingerprint: a digest of
the masked ``select`` that writes it (columns, masking rules), the Parquet options, the DuckDB
version, the masking key's digest, and the month's rows — their count and the XOR of every
row's hash, one scan of the table. A month whose fingerprint is the previous publication's
is hard-linked from it instead of written again.

Golden-id merges re-point rows in every month of the facts most days, so a golden id stored in
the files would change every month's fingerprint. A fact that also declares
``golden_client_id_by: <record key column>`` leaves ``golden_client_id`` out of its files; the
serving view looks it up in the published crosswalk (``marts.dim_client_crosswalk``), exactly
as the warehouse's post-hook ``refresh_golden_client_ids`` sets it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import duckdb

GOLDEN_ID = "golden_client_id"
CROSSWALK = ("marts", "dim_client_crosswalk")
"""Where a served fact looks its golden id up: record_key → golden_client_id, unique by key."""
CROSSWALK_KEY = "record_key"
UNDATED = "undated"


@dataclass(frozen=True)
class MonthFiles:
    """How a table is laid out in a publication: one file per month of ``date_column``."""

    date_column: str
    golden_client_id_by: str | None = None
    """Record key column whose crosswalk entry gives the row's golden client; when set,
    ``golden_client_id`` is not stored in the files."""


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
            date_column=declared["files_by_month_of"],
            golden_client_id_by=declared.get("golden_client_id_by"),
        )
    return layouts


def file_columns(columns: list[str], layout: MonthFiles) -> list[str]:
    """The columns stored in the files: all but the golden id when the view looks it up."""
    if layout.golden_client_id_by is None:
        return columns
    missing = {GOLDEN_ID, layout.golden_client_id_by} - set(columns)
    if missing:
        raise ValueError(f"a golden id looked up by record key needs the columns {sorted(missing)}")
    return [c for c in columns if c != GOLDEN_ID]


def month_filter(date_sql: str, month: str) -> str:
    """The rows of ``month`` as a range on the date column, so DuckDB skips other row groups."""
    if month == UNDATED:
        return f"{date_sql} is null"
    start = dt.date.fromisoformat(f"{month}-01")
    end = (start + dt.timedelta(days=31)).replace(day=1)
    return f"{date_sql} >= date '{start}' and {date_sql} < date '{end}'"


def month_contents(
    con: duckdb.DuckDBPyConnection, source: str, date_sql: str, value_sqls: list[str]
) -> dict[str, tuple[int, int]]:
    """Month → (rows, XOR of every row's hash over ``value_sqls``), ``undated`` always present.

    XOR is order-free and a changed, added or removed row changes it (a 64-bit collision
    aside); with the row count beside it, two identical rows cannot cancel out unseen."""
    rows = con.execute(
        f"select coalesce(strftime({date_sql}, '%Y-%m'), '{UNDATED}'), count(*), "
        f"bit_xor(hash({', '.join(value_sqls)})) from {source} group by 1"
    ).fetchall()
    return {UNDATED: (0, 0)} | {month: (count, digest) for month, count, digest in rows}


def fingerprint(select_sql: str, writer: str, key_digest: str, month: str, content) -> str:
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
