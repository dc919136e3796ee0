"""Load one business date of one file type into raw and quarantine, idempotently.

Re-loading a partition replaces it. Files are planned before anything is read:

- a file whose bytes equal an earlier delivery of the same date is a ``duplicate``;
- of two different files with the same name (a re-delivery), the later delivery wins and the
  earlier one is ``superseded``;
- no file at all for the date is recorded as ``missing``.

A partition is replaced in transactions of at most ``COMMIT_ROWS`` rows: DuckDB holds a
transaction's appends in memory, so one transaction per 20 M-row snapshot would not stream.
Raw is read from the published serving copy, never while the pipeline writes, and every row
carries its ``_load_id``: a rejected file's rows are deleted again, so it leaves nothing behind
but its audit row, and a load cut short is replaced whole by the next load of the partition.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from cdp.warehouse import as_arrow
from ingestion.contracts.model import FileContract
from ingestion.errors import FileRejected
from ingestion.landing import LandingFile, files_for, sha256
from ingestion.parse import FileParser, ParsedBatch
from ingestion.reader import ahead
from ingestion.warehouse import AUDIT_COLUMNS, AUDIT_TABLE, ensure_tables, table_exists

COMMIT_ROWS = 2_000_000
"""Rows per transaction: DuckDB holds a transaction's appends in memory. Loading the 20.8 M-row
transactions snapshot of a 300 k-person bank in one transaction peaked at 13.3 GB; a commit per
1 M-row batch took 1.7x as long; with 250 k-row parser batches, 4 M rows per commit peaked at
5.2 GB and 2 M at 4.5 GB in the same time (87–90 s)."""
INSERT_ROWS = 1_000_000
"""Parsed batches are joined up to this many rows before an insert: DuckDB compresses and writes
the row groups of one insert on both cores, and a parser batch (≈ 160 k rows of a 32 MB chunk)
fills barely one. bank-300k postings, 1.9 M rows: 12.3 s in 160 k-row inserts, 4.3 s in 1 M.
Never more: every row held between the parser and DuckDB costs memory (joining batches past
1 M, two 1 M-row batches per insert peaked at 7.9 GB on the 20.8 M-row snapshot)."""


@dataclass
class PartitionLoad:
    """Outcome of one (table, business date): the audit rows written and their totals."""

    table: str
    business_date: dt.date
    audit: list[dict] = field(default_factory=list)

    def total(self, key: str) -> int:
        return sum(row[key] or 0 for row in self.audit)

    def with_status(self, status: str) -> list[dict]:
        return [row for row in self.audit if row["status"] == status]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _audit_row(contract, business_date, landing_dir, file: LandingFile | None, **values) -> dict:
    row = dict.fromkeys(AUDIT_COLUMNS)
    row.update(
        load_id=uuid.uuid4().hex[:16],
        table_name=contract.table,
        business_date=business_date,
        started_at=_now(),
    )
    if file is not None:
        row.update(
            file_path=str(file.path.relative_to(landing_dir)),
            file_name=file.name,
            delivery_date=file.delivery_date,
            size_bytes=file.size,
        )
    row.update(values)
    row["finished_at"] = row["finished_at"] or _now()
    return row


def _plan(files: list[LandingFile], landing_dir: Path, hashing: ThreadPoolExecutor):
    """(file, checksum, action, other file) per file, in delivery order.

    A lone file (the usual day) needs no checksum to decide: its checksum, for the audit, is
    computed on another thread while the file is parsed (hashlib releases the GIL)."""
    if len(files) == 1:
        return [(files[0], hashing.submit(sha256, files[0].path), "load", None)]
    checksums = [sha256(file.path) for file in files]
    latest = {file.name: checksum for file, checksum in zip(files, checksums, strict=True)}
    first_seen: dict[str, str] = {}
    plan = []
    for file, checksum in zip(files, checksums, strict=True):
        relative = str(file.path.relative_to(landing_dir))
        if checksum in first_seen:
            plan.append((file, checksum, "duplicate", first_seen[checksum]))
        elif latest[file.name] != checksum:
            plan.append((file, checksum, "superseded", "a later delivery of " + file.name))
        else:
            plan.append((file, checksum, "load", None))
        first_seen.setdefault(checksum, relative)
    return plan


def reference_keys(con, contract: FileContract, business_date: dt.date) -> dict[str, pl.Series]:
    """Known keys of each referenced table up to this business date."""
    keys = {}
    for column in contract.columns:
        if not column.references:
            continue
        table, key = column.references
        if table_exists(con, f"raw.{table}"):
            keys[column.name] = con.execute(
                f'select distinct "{key}" from raw.{table} where _business_date <= ?',
                [business_date],
            ).pl()[key]
    return keys


def _insert(con, table: str, frame: pl.DataFrame, **constants) -> None:
    if frame.height == 0:
        return
    con.register("incoming", as_arrow(frame))
    extra = "".join(f", ? as {name}" for name in constants)
    con.execute(
        f"insert into {table} by name select *{extra} from incoming", list(constants.values())
    )
    con.unregister("incoming")


def _commit_every(con, rows: int):
    """Commit and reopen the transaction once ``COMMIT_ROWS`` rows have gone in."""
    pending = 0

    def inserted(count: int) -> None:
        nonlocal pending
        pending += count
        if pending >= rows:
            con.execute("commit")
            con.execute("begin transaction")
            pending = 0

    return inserted


def gathered(batches: Iterator[ParsedBatch], rows: int) -> Iterator[ParsedBatch]:
    """``batches`` joined, in order, into batches of at most ``rows`` loaded rows (a bigger
    batch goes alone). Joining keeps each part's memory (no copy): a batch is held once."""
    pending: list[ParsedBatch] = []
    held = 0
    for batch in batches:
        if pending and held + batch.rows.height > rows:
            yield _joined(pending)
            pending, held = [], 0
        pending.append(batch)
        held += batch.rows.height
    if pending:
        yield _joined(pending)


def _joined(batches: list[ParsedBatch]) -> ParsedBatch:
    if len(batches) == 1:
        return batches[0]
    return ParsedBatch(
        pl.concat([b.rows for b in batches], rechunk=False),
        pl.concat([b.quarantine for b in batches], rechunk=False),
    )


def load_file(con, contract, business_date, landing_dir, file, checksum, keys) -> dict:
    """Parse and insert one file; the audit row says what happened."""
    started = _now()
    load_id = uuid.uuid4().hex[:16]
    parser = FileParser(contract, file.path, keys)
    inserted = _commit_every(con, COMMIT_ROWS)
    try:
        for batch in gathered(ahead(parser.batches()), INSERT_ROWS):
            _insert(
                con,
                f"raw.{contract.table}",
                batch.rows,
                _business_date=business_date,
                _load_id=load_id,
            )
            _insert(
                con,
                f"quarantine.{contract.table}",
                batch.quarantine,
                _business_date=business_date,
                _load_id=load_id,
                file_name=file.name,
            )
            inserted(batch.rows.height)
    except FileRejected as error:
        for schema in ("raw", "quarantine"):
            con.execute(f"delete from {schema}.{contract.table} where _load_id = ?", [load_id])
        status, reason, message = "rejected", error.reason, str(error)
    else:
        status, reason, message = "loaded", None, None
    outcome = parser.outcome
    loaded = status == "loaded"
    if not isinstance(checksum, str):
        checksum = checksum.result()
    return _audit_row(
        contract, business_date, landing_dir, file,
        load_id=load_id, sha256=checksum, detected_encoding=outcome.encoding,
        rows_read=outcome.rows_read,
        rows_loaded=outcome.rows_loaded if loaded else 0,
        rows_quarantined=outcome.rows_rejected if loaded else 0,
        rows_flagged=outcome.rows_flagged if loaded else 0,
        trailer_rows=outcome.trailer_rows, trailer_sum=outcome.trailer_sum,
        computed_sum=outcome.computed_sum, extra_columns=outcome.extra_columns,
        missing_optional_columns=outcome.missing_optional_columns,
        status=status, error_reason=reason, error=message, started_at=started,
    )  # fmt: skip


def load_partitions(
    con: duckdb.DuckDBPyConnection,
    contract: FileContract,
    business_dates: list[dt.date],
    landing_dir: Path,
) -> list[PartitionLoad]:
    """Replace these business dates of ``raw.<table>`` and ``quarantine.<table>``."""
    ensure_tables(con, contract)
    loads = []
    with _bulk_insert_settings(con), ThreadPoolExecutor(1) as hashing:
        for business_date in business_dates:
            con.execute("begin transaction")
            try:
                loads.append(
                    _load_partition(con, contract, business_date, Path(landing_dir), hashing)
                )
            except BaseException:
                con.execute("rollback")
                raise
            con.execute("commit")
    return loads


@contextlib.contextmanager
def _bulk_insert_settings(con: duckdb.DuckDBPyConnection):
    """Let DuckDB insert without keeping row order: rows carry ``_line_number``, and keeping the
    order of an Arrow scan costs 3–4× the CPU of the insert itself. The caller's setting is put
    back afterwards (it is global to the database instance)."""
    (previous,) = con.execute("select current_setting('preserve_insertion_order')").fetchone()
    con.execute("set preserve_insertion_order = false")
    try:
        yield
    finally:
        con.execute(f"set preserve_insertion_order = {bool(previous)}")


def _load_partition(con, contract, business_date, landing_dir, hashing) -> PartitionLoad:
    for schema in ("raw", "quarantine"):
        con.execute(
            f"delete from {schema}.{contract.table} where _business_date = ?", [business_date]
        )
    result = PartitionLoad(contract.table, business_date)
    files = files_for(landing_dir, contract, business_date)
    if not files:
        result.audit.append(
            _audit_row(contract, business_date, landing_dir, None, status="missing",
                       error_reason="no_file",
                       error=f"no {contract.file_pattern} for {business_date} in the landing zone")
        )  # fmt: skip
    keys = reference_keys(con, contract, business_date)
    for file, checksum, action, other in _plan(files, landing_dir, hashing):
        if action == "load":
            result.audit.append(
                load_file(con, contract, business_date, landing_dir, file, checksum, keys)
            )
        else:
            result.audit.append(
                _audit_row(contract, business_date, landing_dir, file, sha256=checksum,
                           status=action, duplicate_of=other,
                           error=f"{file.name}: {action} of {other}, not loaded")
            )  # fmt: skip
    _insert(con, AUDIT_TABLE, pl.DataFrame(result.audit, schema=_audit_schema()))
    return result


def _audit_schema() -> dict[str, pl.DataType]:
    kinds = {
        "VARCHAR": pl.String,
        "DATE": pl.Date,
        "BIGINT": pl.Int64,
        "DECIMAL(38,2)": pl.Decimal(38, 2),
        "VARCHAR[]": pl.List(pl.String),
        "TIMESTAMP": pl.Datetime("us"),
    }
    return {name: kinds[kind] for name, kind in AUDIT_COLUMNS.items()}
