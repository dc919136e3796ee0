"""Publish the warehouse's consumer schemas to a serving copy that readers open while the next
build writes the warehouse (DuckDB allows one writer per file, and a reader blocks the writer).

Layout of the serving folder (``settings.serving_dir``)::

    cdp_serving.duckdb              the current serving database, replaced whole (os.replace)
    publications/<id>/manifest.json what a publication holds: tables, rows, checksums, masking
    publications/<id>/<schema>/<table>.parquet
    current -> publications/<id>    symlink to the current publication, switched atomically
    docs/                           dbt docs of the warehouse (``serving.docs``)

Readers find a publication only through the serving file and ``current``, both replaced whole
and last, so a reader sees either the previous publication or the next one, whole, and a failed
publication leaves the previous one in place:

1. every table is written once, masked, from the warehouse to ``publications/<id>/<schema>/
   <table>.parquet``; a new database file ``.cdp_serving.duckdb.<id>.tmp`` gets a view per table
   over that file (the data is written once, not into a DuckDB file and again into Parquet),
   then the manifest, written last;
2. the database file is renamed over ``cdp_serving.duckdb`` (``os.replace``, atomic on POSIX):
   a reader who opened the old file keeps reading it — the old inode lives until they close it,
   and its views read the old publication's files — and the next reader opens the new one;
3. the ``current`` symlink is replaced by a new one pointing at ``publications/<id>`` (again
   ``os.replace``). A symlink rather than a pointer file: DuckDB, Polars, Spark and BI tools
   read ``current/marts/dim_clients.parquet`` as a plain path, without first reading a pointer;
4. a row goes to ``audit.serving_publications`` in the warehouse, and publications beyond the
   newest ``keep`` are deleted (a reader still reading a deleted file keeps its open handle).

A publication folder without a manifest is one that died half-way; the next publication
removes it with the other temporary files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import duckdb

from cdp.warehouse import WRITTEN_BY
from serving.masking import KEY_VARIABLE, MASK_RULES, mask_expression
from serving.month_files import (
    MonthFile,
    MonthFiles,
    UnmarkedTable,
    fingerprint,
    month_contents,
    month_filter,
    previous_files,
)

SERVING_DATABASE = "cdp_serving.duckdb"
"""Not named like a schema inside it: a file ``marts.duckdb`` makes ``marts.x`` ambiguous."""
PUBLICATIONS = "publications"
CURRENT = "current"
MANIFEST = "manifest.json"
AUDIT_TABLE = "audit.serving_publications"

STORAGE_VERSION = "v1.0.0"
"""Written for every DuckDB 1.x reader (storage format 64, read by 0.10 and 1.0 onwards). BI
drivers (DuckDB JDBC in DBeaver, ODBC) lag behind the Python package, and a newer storage
version makes an older reader refuse the file outright. DuckDB 1.4 writes this format by
default, but its default follows the library: pinning it keeps the serving file readable when
the pipeline upgrades DuckDB (2.0 files cannot be opened by 1.x clients). The cost is the
compression added in newer formats (zstd among them); Parquet is there for tools that want it."""

PARQUET_OPTIONS = "format parquet, compression zstd, compression_level 1"
"""zstd's fastest level: at bank-1m 10–15 % faster than DuckDB's default level 3 and no larger
(``fct_transactions`` 76.7 / 70.6 → 69.3 / 62.2 s, 3,003 → 2,902 MiB; card transactions
29.3 → 24.8 s). Encoding, not compression, is most of the cost (snappy: 23.8 s, 55 % larger)."""

_SERVING_ALIAS = "serving_new"

AUDIT_COLUMNS = {
    "publication_id": "VARCHAR",
    "published_at": "TIMESTAMP",
    "source_built_at": "TIMESTAMP",
    "tables": "INTEGER",
    "total_rows": "BIGINT",
    "masked_columns": "INTEGER",
    "skipped_tables": "VARCHAR[]",
    "serving_database": "VARCHAR",
    "publication_dir": "VARCHAR",
    "seconds": "DOUBLE",
}


@dataclass(frozen=True)
class PublishedTable:
    schema: str
    table: str
    rows: int
    columns: list[str]
    masked_columns: dict[str, str]
    """column → PII kind; the rule per kind is in ``serving.masking.MASK_RULES``."""
    parquet: str
    """Path relative to the publication folder: a file, or the folder of a table's month files."""
    parquet_bytes: int
    parquet_sha256: str
    """Of the file; of the month files' digests, in month order, for a folder."""
    month_files: list[MonthFile] = field(default_factory=list)


@dataclass(frozen=True)
class Publication:
    publication_id: str
    published_at: dt.datetime
    source_built_at: dt.datetime | None
    serving_database: Path
    serving_database_bytes: int
    serving_database_sha256: str
    publication_dir: Path
    tables: list[PublishedTable]
    skipped_tables: list[str] = field(default_factory=list)
    """Tables of the published schemas that dbt does not declare: their columns carry no PII
    tags, so nothing says what to mask, and they are not published."""
    seconds: float = 0.0

    @property
    def total_rows(self) -> int:
        return sum(t.rows for t in self.tables)

    @property
    def masked_column_count(self) -> int:
        return sum(len(t.masked_columns) for t in self.tables)

    @property
    def reused_month_files(self) -> int:
        return sum(f.reused for t in self.tables for f in t.month_files)

    @property
    def bytes_written(self) -> int:
        """Parquet written by this publication; reused month files are links, not writes."""
        return sum(t.parquet_bytes for t in self.tables) - sum(
            f.bytes for t in self.tables for f in t.month_files if f.reused
        )

    def manifest(self) -> dict:
        return {
            "publication_id": self.publication_id,
            "published_at": self.published_at.isoformat(),
            "source_built_at": self.source_built_at and self.source_built_at.isoformat(),
            "storage_version": STORAGE_VERSION,
            "duckdb_version": duckdb.__version__,
            "serving_database": {
                "file": self.serving_database.name,
                "bytes": self.serving_database_bytes,
                "sha256": self.serving_database_sha256,
            },
            "masking": {
                kind: {"method": MASK_RULES[kind].method, "rule": MASK_RULES[kind].why}
                for kind in sorted({k for t in self.tables for k in t.masked_columns.values()})
            },
            "tables": [asdict(t) for t in self.tables],
            "skipped_tables": self.skipped_tables,
        }


def serving_database_path(serving_dir: Path) -> Path:
    return serving_dir / SERVING_DATABASE


def current_publication_dir(serving_dir: Path) -> Path | None:
    """The folder ``current`` points at, or None before the first publication."""
    link = serving_dir / CURRENT
    return link.resolve() if link.is_symlink() else None


def new_publication_id(now: dt.datetime) -> str:
    """Sortable and unique per microsecond: ``20261031T061502.123456Z``."""
    return now.strftime("%Y%m%dT%H%M%S.%fZ")


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sql_string(text: str | Path) -> str:
    """A path as a SQL string literal: ATTACH and COPY take no bound parameters for it."""
    return "'" + str(text).replace("'", "''") + "'"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_dir(path: Path) -> None:
    """Make a rename durable: the directory entry, not just the file, must reach the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def set_mask_key(con: duckdb.DuckDBPyConnection, mask_key: str) -> None:
    """Bind the masking key to the session; an empty key would silently hash to nothing."""
    if not mask_key:
        raise ValueError("the serving mask key is empty")
    con.execute(f"set variable {KEY_VARIABLE} = ?", [mask_key])


def published_schema_tables(
    con: duckdb.DuckDBPyConnection, schemas: Iterable[str]
) -> list[tuple[str, str]]:
    """Tables and views of the given schemas in the connection's own database, in name order."""
    return con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_catalog = current_database() and list_contains(?, table_schema) "
        "order by 1, 2",
        [list(schemas)],
    ).fetchall()


def table_columns(con: duckdb.DuckDBPyConnection, catalog: str, schema: str, table: str):
    return [
        row[0]
        for row in con.execute(
            "select column_name from information_schema.columns "
            "where table_catalog = ? and table_schema = ? and table_name = ? "
            "order by ordinal_position",
            [catalog, schema, table],
        ).fetchall()
    ]


def masked_values(columns: list[str], pii: Mapping[str, str]) -> list[str]:
    """The warehouse's columns as SQL expressions, every PII column under its kind's rule."""
    return [
        mask_expression(pii[c.lower()], quote_identifier(c)) if c.lower() in pii
        else quote_identifier(c)
        for c in columns
    ]  # fmt: skip


def masked_select(
    catalog: str, schema: str, table: str, columns: list[str], pii: Mapping[str, str]
) -> str:
    """``select`` of a warehouse table with every PII column under its kind's rule."""
    projection = ", ".join(
        f"{value} as {quote_identifier(c)}"
        for value, c in zip(masked_values(columns, pii), columns, strict=True)
    )
    return f"select {projection} from {qualified_name(catalog, schema, table)}"


def qualified_name(*parts: str) -> str:
    return ".".join(quote_identifier(part) for part in parts)


@dataclass(frozen=True)
class _Target:
    """Where and how one publication writes: its folder, the masking key's digest (part of a
    month file's fingerprint) and the previous publication's month files."""

    folder: Path
    key_digest: str
    previous: Mapping[tuple[str, str], Mapping[str, tuple[Path, dict]]]


def _serve_table(
    con: duckdb.DuckDBPyConnection,
    catalog: str,
    schema: str,
    table: str,
    pii: Mapping[str, str],
    layout: MonthFiles | None,
    target: _Target,
) -> PublishedTable:
    """The table written masked to Parquet — one file, or one per month — and a view over it in
    the staged serving database, typed as in the warehouse: Parquet has no HUGEINT (DuckDB
    writes a double, exact for the counts and sums it holds, far below 2^53), so the view casts
    back the columns the files type differently."""
    columns = table_columns(con, catalog, schema, table)
    masked = {c: pii[c.lower()] for c in columns if c.lower() in pii}
    select = masked_select(catalog, schema, table, columns, pii)
    built_types = con.execute(f"describe {select}").fetchall()
    if layout is None:
        parquet = target.folder / schema / f"{table}.parquet"
        parquet.parent.mkdir(parents=True, exist_ok=True)
        con.execute(f"copy ({select}) to {sql_string(parquet)} ({PARQUET_OPTIONS})")
        source = f"read_parquet({sql_string(parquet)})"
        [rows] = con.execute(f"select count(*) from {source}").fetchone()
        month_files, size, digest = [], parquet.stat().st_size, _sha256(parquet)
    else:
        parquet = target.folder / schema / table
        month_files = _write_month_files(
            con, catalog, schema, table, columns, select, layout, target
        )
        source = (
            "read_parquet(["
            + ", ".join(sql_string(target.folder / f.file) for f in month_files)
            + "])"
        )
        rows = sum(f.rows for f in month_files)
        size = sum(f.bytes for f in month_files)
        digest = hashlib.sha256("".join(f.sha256 for f in month_files).encode()).hexdigest()
    served_types = con.execute(f"describe select * from {source}").fetchall()
    projection = ", ".join(
        quote_identifier(name)
        if kind == served_kind
        else f"cast({quote_identifier(name)} as {kind}) as {quote_identifier(name)}"
        for (name, kind, *_), (_, served_kind, *_) in zip(built_types, served_types, strict=True)
    )
    con.execute(f"create schema if not exists {_SERVING_ALIAS}.{quote_identifier(schema)}")
    con.execute(
        f"create view {qualified_name(_SERVING_ALIAS, schema, table)} as "
        f"select {projection} from {source}"
    )
    return PublishedTable(
        schema=schema,
        table=table,
        rows=rows,
        columns=columns,
        masked_columns=masked,
        parquet=str(parquet.relative_to(target.folder)),
        parquet_bytes=size,
        parquet_sha256=digest,
        month_files=month_files,
    )


def _write_month_files(
    con: duckdb.DuckDBPyConnection,
    catalog: str,
    schema: str,
    table: str,
    columns: list[str],
    select: str,
    layout: MonthFiles,
    target: _Target,
) -> list[MonthFile]:
    """Each month of the table to its own file: hard-linked from the previous publication when
    its fingerprint is unchanged, written by the masked ``select`` otherwise
    (``serving/month_files.py``)."""
    if WRITTEN_BY not in columns:
        raise UnmarkedTable(
            f"{schema}.{table} is served a file per month but has no {WRITTEN_BY} column, which "
            f"tells the months rewritten since the last publication: it was built before the "
            f"column existed; rebuild it with `dbt build --full-refresh --select {table}`"
        )
    date_sql = quote_identifier(layout.date_column)
    contents = month_contents(
        con,
        qualified_name(catalog, schema, table),
        date_sql,
        [quote_identifier(c) for c in layout.row_key],
    )
    folder = target.folder / schema / table
    folder.mkdir(parents=True, exist_ok=True)
    previous = target.previous.get((schema, table), {})
    files = []
    for month, content in sorted(contents.items()):
        digest = fingerprint(select, PARQUET_OPTIONS, target.key_digest, month, content)
        path = folder / f"{month}.parquet"
        old_path, old = previous.get(month, (None, {}))
        reused = old.get("fingerprint") == digest and old_path.exists()
        if reused:
            os.link(old_path, path)
        else:
            con.execute(
                f"copy ({select} where {month_filter(date_sql, month)}) "
                f"to {sql_string(path)} ({PARQUET_OPTIONS})"
            )
        files.append(
            MonthFile(
                month=month,
                file=str(path.relative_to(target.folder)),
                rows=content[0],
                fingerprint=digest,
                bytes=path.stat().st_size,
                sha256=old["sha256"] if reused else _sha256(path),
                reused=reused,
            )
        )
    return files


def _remove_leftovers(serving_dir: Path) -> None:
    """Files of a publication that died half-way (killed process, full disk): temporary names,
    and publication folders without the manifest a publication writes last."""
    publications = serving_dir / PUBLICATIONS
    unfinished = [p for p in publications.iterdir() if p.is_dir() and not (p / MANIFEST).exists()]
    for path in {*serving_dir.glob(".*.tmp*"), *publications.glob(".*.tmp"), *unfinished}:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def _switch_current(serving_dir: Path, publication_dir: Path) -> None:
    link = serving_dir / CURRENT
    staged = serving_dir / f".{CURRENT}.{publication_dir.name}.tmp"
    staged.symlink_to(publication_dir.relative_to(serving_dir), target_is_directory=True)
    os.replace(staged, link)
    _fsync_dir(publication_dir.parent)
    _fsync_dir(serving_dir)


def prune_publications(serving_dir: Path, keep: int) -> list[str]:
    """Delete all but the newest ``keep`` publication folders; never the current one."""
    current = current_publication_dir(serving_dir)
    folders = sorted(
        p
        for p in (serving_dir / PUBLICATIONS).iterdir()
        if p.is_dir() and not p.name.startswith(".")
    )
    removed = [p for p in folders[:-keep] if p != current]
    for path in removed:
        shutil.rmtree(path)
    return [p.name for p in removed]


def _write_audit(con: duckdb.DuckDBPyConnection, publication: Publication) -> None:
    con.execute("create schema if not exists audit")
    body = ", ".join(f"{name} {kind}" for name, kind in AUDIT_COLUMNS.items())
    con.execute(f"create table if not exists {AUDIT_TABLE} ({body})")
    con.execute(
        f"insert into {AUDIT_TABLE} ({', '.join(AUDIT_COLUMNS)}) "
        f"values ({', '.join('?' for _ in AUDIT_COLUMNS)})",
        [
            publication.publication_id,
            publication.published_at.replace(tzinfo=None),
            publication.source_built_at and publication.source_built_at.replace(tzinfo=None),
            len(publication.tables),
            publication.total_rows,
            publication.masked_column_count,
            publication.skipped_tables,
            str(publication.serving_database),
            str(publication.publication_dir),
            publication.seconds,
        ],
    )


def publish(
    con: duckdb.DuckDBPyConnection,
    *,
    serving_dir: Path,
    schemas: Iterable[str],
    relations: Mapping[tuple[str, str], Mapping[str, str]],
    mask_key: str,
    keep: int,
    layouts: Mapping[tuple[str, str], MonthFiles] | None = None,
    source_built_at: dt.datetime | None = None,
    memory_limit: str | None = None,
) -> Publication:
    """Publish every declared table of ``schemas`` from the warehouse ``con`` (read-write: the
    audit row is written there) into ``serving_dir``, PII masked by kind.

    ``relations`` is ``serving.masking.declared_relations`` of dbt's manifest: (schema, table)
    → {column: pii kind}. ``layouts`` (``serving.month_files.declared_month_files``) names the
    tables written one file per month, unchanged months linked from the current publication.
    ``source_built_at`` is when the published tables were last built;
    ``memory_limit`` caps DuckDB's memory while copying (it spills beyond it).
    One publication runs at a time: the publisher holds the warehouse's write lock, so removing
    a previous attempt's temporary files can never hit a publication in progress."""
    started = time.perf_counter()
    published_at = dt.datetime.now(dt.UTC)
    publication_id = new_publication_id(published_at)
    serving_dir.mkdir(parents=True, exist_ok=True)
    (serving_dir / PUBLICATIONS).mkdir(exist_ok=True)
    _remove_leftovers(serving_dir)

    database = serving_database_path(serving_dir)
    staged_database = serving_dir / f".{SERVING_DATABASE}.{publication_id}.tmp"
    # Written under its own name from the start, since the views name their files; a reader
    # finds it through ``current`` or the serving file only once it is complete.
    folder = serving_dir / PUBLICATIONS / publication_id
    [catalog] = con.execute("select current_database()").fetchone()
    set_mask_key(con, mask_key)
    attached = False
    try:
        # Rows of a published table carry their keys; keeping the warehouse's row order costs
        # time and buys readers nothing (fct_transactions at bank-100k: 14.7 s → 11.6 s to
        # Parquet).
        con.execute("set preserve_insertion_order = false")
        if memory_limit:
            con.execute(f"set memory_limit = {sql_string(memory_limit)}")
        con.execute(
            f"attach {sql_string(staged_database)} as {_SERVING_ALIAS} "
            f"(storage_version {sql_string(STORAGE_VERSION)})"
        )
        attached = True
        layouts = layouts or {}
        target = _Target(
            folder=folder,
            key_digest=hashlib.sha256(mask_key.encode()).hexdigest(),
            previous=previous_files(current_publication_dir(serving_dir)),
        )
        tables, skipped = [], []
        for schema, table in published_schema_tables(con, schemas):
            key = (schema.lower(), table.lower())
            if key not in relations:
                skipped.append(f"{schema}.{table}")
                continue
            layout = layouts.get(key)
            tables.append(_serve_table(con, catalog, schema, table, relations[key], layout, target))
        con.execute(f"detach {_SERVING_ALIAS}")  # checkpoints: the file is complete, no WAL
        attached = False
        publication = Publication(
            publication_id=publication_id,
            published_at=published_at,
            source_built_at=source_built_at,
            serving_database=database,
            serving_database_bytes=staged_database.stat().st_size,
            serving_database_sha256=_sha256(staged_database),
            publication_dir=folder,
            tables=tables,
            skipped_tables=skipped,
        )
        folder.mkdir(parents=True, exist_ok=True)
        (folder / MANIFEST).write_text(
            json.dumps(publication.manifest(), ensure_ascii=False, indent=2), encoding="utf-8"
        )
        os.replace(staged_database, database)
        _switch_current(serving_dir, folder)
    finally:
        if attached:
            con.execute(f"detach {_SERVING_ALIAS}")
        con.execute(f"reset variable {KEY_VARIABLE}")
        con.execute("reset preserve_insertion_order")
        con.execute("reset memory_limit")
        _remove_leftovers(serving_dir)
    publication = replace(publication, seconds=round(time.perf_counter() - started, 3))
    _write_audit(con, publication)
    prune_publications(serving_dir, keep)
    return publication
