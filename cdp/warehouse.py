"""The DuckDB warehouse file: one place that opens it, so every writer uses the same path."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa

from cdp.settings import Settings

QUERY_BATCH_ROWS = 1_000_000

WRITTEN_BY = "_written_by"
"""The dbt run that last wrote a row of a table served by month (dbt_project/macros/
written_by.sql); the publication tells changed months by it (serving/month_files.py)."""

BUILD_STAMPS = ("_loads_through", "_identity_through", WRITTEN_BY)
"""Columns that say when and by whom a row was built, not what it says: the incremental client
tables' watermarks (dbt_project/macros/client_refresh_scope.sql) and the writer."""


def row_hash(*expressions: str) -> str:
    """SQL for a hash of one row's ``expressions`` (or of a struct), to XOR or sum over rows.

    DuckDB combines the hashes of several values by an XOR, so over rows the same change in two
    rows cancels — one run's stamp replacing another's on two rows of a month (the serving copy
    kept a stale month file after a full build whenever the month held an even number of rows),
    the same age moving by a year on two rows. Hashing that hash again mixes it, so each row
    adds a value of its own."""
    return f"hash(hash({', '.join(expressions)}))"


def _config(memory_limit: str | None) -> dict[str, str | bool]:
    config: dict[str, str | bool] = {"allocator_background_threads": True}
    if memory_limit:
        config["memory_limit"] = memory_limit
    return config


def connect(
    settings: Settings, read_only: bool = False, memory_limit: str | None = None
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse; DuckDB allows one read-write process per file (see the README).
    ``memory_limit`` bounds DuckDB's buffer pool (default: 80 % of RAM). A hold of this file
    (``WarehouseHold``) opened with other settings is released first: DuckDB opens one file
    with one configuration per process.

    jemalloc's background threads return the memory a finished query freed to the system:
    without them it stays mapped while the connection is open (bank-1m lead priority: the
    training frame's query left 4.4 GB beside the 2 GB frame, through all of training)."""
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    config = _config(memory_limit)
    held = _HELD.get(settings.warehouse_path)
    if held is not None and (read_only or held[0] != config):
        WarehouseHold(settings).release()
    return duckdb.connect(str(settings.warehouse_path), read_only=read_only, config=config)


_HELD: dict[Path, tuple[dict[str, str | bool], duckdb.DuckDBPyConnection]] = {}
"""The held warehouse files of this process: the settings each was opened with, and the
connection that keeps it open."""


class WarehouseHold:
    """Keeps the warehouse open in this process between the connections of a run's steps.

    DuckDB checkpoints a file — writes what its log holds into the file — when the last
    connection to it closes, and that costs by the size of the file, not of the change: 0.3 s
    for one row on the bank-100k warehouse (3 GB), ≈ 0.5 s with 6 GB more. A run's steps that
    each open, write a little and close paid it each time (the day's 22 raw loads: 15–18 s at
    bank-100k, 6.4–7.1 s held, docs/performance.md). While held, a step's connection shares
    the open database, and DuckDB checkpoints when its log passes its threshold (16 MB) or at
    ``release``. A held file is locked for other processes: a step that starts one to write
    it (dbt) releases the hold first."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def hold(self, memory_limit: str | None = None) -> None:
        """Keep the warehouse open with these settings (``connect``'s) until ``release``."""
        path, config = self.settings.warehouse_path, _config(memory_limit)
        if path in _HELD and _HELD[path][0] == config:
            return
        self.release()
        _HELD[path] = (config, connect(self.settings, memory_limit=memory_limit))

    def release(self) -> None:
        """Close the held connection: DuckDB checkpoints once no other is open."""
        held = _HELD.pop(self.settings.warehouse_path, None)
        if held is not None:
            held[1].close()


@contextmanager
def duckdb_settings(con: duckdb.DuckDBPyConnection, **settings: str | bool) -> Iterator[None]:
    """DuckDB settings for the queries inside, put back afterwards (they are global to the
    database), also on error: e.g. a memory limit that keeps DuckDB's buffer pool beside the
    frames a step holds, or no insertion order for inserts whose rows carry their keys. A
    memory limit comes back as DuckDB prints it, to 0.1 MiB."""
    previous = {
        name: con.execute(f"select current_setting('{name}')").fetchone()[0] for name in settings
    }
    for name, value in settings.items():
        con.execute(f"set {name} = '{value}'")
    try:
        yield
    finally:
        for name, value in previous.items():
            con.execute(f"set {name} = '{value}'")


def as_arrow(frame: pl.DataFrame) -> pa.Table:
    """A Polars frame as Arrow without copying its strings: DuckDB reads Arrow string views,
    while the default conversion rewrites every string (measured at 1 M persons: +0.5 GB for
    four columns of the person records)."""
    return frame.to_arrow(compat_level=pl.CompatLevel.newest())


def query_frame(
    con: duckdb.DuckDBPyConnection, sql: str, parameters: dict | list | None = None
) -> pl.DataFrame:
    """A query's result as a Polars frame, by way of Arrow record batches: DuckDB's own
    ``.pl()`` peaked 1.2 GiB higher on bank-300k's churn features (3 M rows × 42 columns:
    2.9 GiB against 1.7 GiB for a 1.25 GiB frame), and a whole Arrow table is materialized in
    DuckDB first (bank-1m churn training frame, 10 M rows: 14.0 GB peak; streamed in batches
    under a 6 GB DuckDB limit, 7.1 GB). The batches are all read here, so nothing outlives the
    call holding the connection's database open."""
    reader = con.execute(sql, parameters).fetch_record_batch(QUERY_BATCH_ROWS)
    return pl.from_arrow(reader.read_all())


def query_frame_by_period(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    periods_sql: str,
    parameters: dict | None = None,
) -> pl.DataFrame:
    """The rows of ``sql`` for each period ``periods_sql`` lists, in its order, in one frame:
    ``sql`` keeps the rows of the period ``$period`` and orders them within it. A sorted read
    of a whole training table made DuckDB hold the sorted rows (up to its memory limit) beside
    the frame they were read into; one period at a time it holds one period's."""
    parameters = parameters or {}
    periods = [period for (period,) in con.execute(periods_sql).fetchall()]
    frames = [query_frame(con, sql, {**parameters, "period": period}) for period in periods]
    if not frames:  # no period: the query's columns, no rows
        frames = [query_frame(con, sql, {**parameters, "period": None})]
    return pl.concat(frames, rechunk=False)


@contextmanager
def temporary_table(
    con: duckdb.DuckDBPyConnection, name: str, sql: str, parameters: dict | None = None
) -> Iterator[None]:
    """``sql``'s rows as the temporary table ``name`` for the queries inside, dropped after."""
    con.execute(f"create or replace temp table {name} as {sql}", parameters)
    try:
        yield
    finally:
        con.execute(f"drop table if exists {name}")
