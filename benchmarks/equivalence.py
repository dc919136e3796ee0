"""Does the warehouse the daily increments left equal a full build of the same data?

The tiny bank's tests plant each case an increment must handle (docs/warehouse.md,
"Incremental client tables"); a bench bank brings the ones nobody planted — a year of merges,
late files, new clients and month ends. This builds the same warehouse whole, on a copy, and
compares every table dbt stores with the incremental one, row for row — and the scores, which a
daily scoring keeps for unchanged feature rows (models_ml/score_reuse.py), with a scoring of
every row there.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import duckdb

from cdp.warehouse import BUILD_STAMPS, row_hash
from models_ml.score_reuse import SCORED_FROM

NOT_COMPARED = (*BUILD_STAMPS, "_evaluated_through", SCORED_FROM)
"""Columns an incremental build may leave other than a full build: the build stamps, the
segment memberships' latest as-of date at the build that wrote the row (a stamp of that table
alone, so not in ``BUILD_STAMPS``, which the lead features exclude by name), and the build
stamp of the feature row a score was computed from. The tiny bank's incremental tests compare
by the same list."""

DOUBLE_DIGITS = 6
"""Decimal places a DOUBLE is compared at: a sum's last bits depend on the order DuckDB's threads
add its rows in, which differs between any two builds."""


def warehouse_copy(warehouse: Path, folder: Path) -> Path:
    """``warehouse`` copied into ``folder`` under the same file name: the staging views name
    their catalog after it."""
    copy = folder / warehouse.name
    shutil.copy(warehouse, copy)
    return copy


def dbt_on_copy(copy: Path, artifacts: Path, *args: str) -> subprocess.CompletedProcess:
    """One dbt command of the project on a copy of the warehouse, its target and logs in
    ``artifacts``.

    dbt parses the whole project again whenever the warehouse path in its profile changes
    (≈ 13 s on this machine, against ≈ 5 s starting from the last parse), and every copy has a
    path of its own. So dbt opens the copy through a link at one path kept for the process,
    and starts from the last parse made through it with the same ``--vars``."""
    from orchestration.defs.warehouse import DBT_PROJECT_DIR, dbt_executable, parse_state_kept

    link = _copies_folder() / copy.name
    link.unlink(missing_ok=True)
    # DuckDB keeps its write-ahead log beside the path it opened: one a failed command left
    # belongs to the copy before.
    link.with_name(f"{link.name}.wal").unlink(missing_ok=True)
    link.symlink_to(copy.resolve())
    target = artifacts / "target"
    with parse_state_kept(_copies_folder() / "parse_state", args, target):
        return subprocess.run(
            [dbt_executable(), *args, "--profiles-dir", ".",
             "--target-path", str(target), "--log-path", str(artifacts / "logs")],
            cwd=DBT_PROJECT_DIR,
            env={**os.environ, "CDP_WAREHOUSE_PATH": str(link)},
            capture_output=True,
            text=True,
            check=False,
        )  # fmt: skip


@functools.cache
def _copies_folder() -> Path:
    """The folder, one per process and removed at its exit, through which ``dbt_on_copy``
    points dbt at its copies and keeps their parses."""
    folder = Path(tempfile.mkdtemp(prefix="cdp-dbt-on-copy-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def full_build(copy: Path, artifacts: Path) -> float:
    """Every dbt model built from scratch on ``copy`` (its incremental tables dropped first, or
    they would only be topped up); the build's seconds."""
    started = time.perf_counter()
    run = dbt_on_copy(copy, artifacts, "run", "--full-refresh")
    if run.returncode != 0:
        raise RuntimeError(f"the full build of the copy failed:\n{run.stdout[-3000:]}")
    return time.perf_counter() - started


def compared_values(con: duckdb.DuckDBPyConnection, source: str) -> list[str]:
    """The expressions a row of ``source`` (a table, or a ``read_parquet``) is compared by: every
    column but the build stamps, a DOUBLE rounded to ``DOUBLE_DIGITS`` places."""
    columns = con.execute(f"describe select * from {source}").fetchall()
    return [
        f'round("{name}", {DOUBLE_DIGITS})' if kind in ("DOUBLE", "FLOAT") else f'"{name}"'
        for name, kind, *_ in columns
        if name not in NOT_COMPARED
    ]


def differences(con: duckdb.DuckDBPyConnection, incremental: str, full: str) -> dict | None:
    """The rows of two sources of one table — each side's count, the rows only the incremental
    side holds and those only the full one holds (as multisets of the compared values, told
    apart by their ``row_hash``: an EXCEPT ALL of the rows themselves ran out of 4 GB on a
    7 M-row fact) — or None when they agree."""
    hashed = row_hash(", ".join(compared_values(con, incremental)))
    sides = [
        con.execute(f"select count(*), sum({hashed}) from {source}").fetchone()
        for source in (incremental, full)
    ]
    if sides[0] == sides[1]:
        return None
    [only_incremental, only_full] = con.execute(
        f"""
        select
            coalesce(sum(greatest(incremental_rows - full_rows, 0)), 0),
            coalesce(sum(greatest(full_rows - incremental_rows, 0)), 0)
        from (
            select
                row_value,
                count(*) filter (where side = 'incremental') as incremental_rows,
                count(*) filter (where side = 'full') as full_rows
            from (
                select {hashed} as row_value, 'incremental' as side from {incremental}
                union all
                select {hashed}, 'full' from {full}
            )
            group by row_value
        )
        """
    ).fetchone()
    return {
        "rows_incremental": sides[0][0],
        "rows_full": sides[1][0],
        "only_incremental": int(only_incremental),
        "only_full": int(only_full),
    }


def _connection(spill: Path, memory_limit: str) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB under ``memory_limit`` that spills to ``spill`` (an in-memory
    database has nowhere to spill by default)."""
    return duckdb.connect(
        config={
            "memory_limit": memory_limit,
            "temp_directory": str(spill),
            "preserve_insertion_order": False,
        }
    )


def compare(
    incremental: Path, full: Path, relations: list[str], spill: Path, memory_limit: str = "4GB"
) -> dict[str, dict]:
    """Per ``schema.table`` of two warehouses that differs, its ``differences``; tables that
    agree are left out."""
    with _connection(spill, memory_limit) as con:
        con.execute(f"attach '{incremental}' as incremental (read_only)")
        con.execute(f"attach '{full}' as full_build (read_only)")
        found = {r: differences(con, f"incremental.{r}", f"full_build.{r}") for r in relations}
    return {relation: found for relation, found in found.items() if found}


def served_sources(publication_dir: Path) -> dict[str, str]:
    """``schema.table`` → a ``read_parquet`` of its files, for every table a publication
    (serving/publish.py) serves: its manifest names one file, or one per month."""
    manifest = json.loads((publication_dir / "manifest.json").read_text(encoding="utf-8"))
    sources = {}
    for table in manifest["tables"]:
        files = [f["file"] for f in table.get("month_files") or []] or [table["parquet"]]
        paths = ", ".join(f"'{publication_dir / file}'" for file in files)
        sources[f"{table['schema']}.{table['table']}"] = f"read_parquet([{paths}])"
    return sources


def compare_publications(
    daily: Path, fresh: Path, spill: Path, memory_limit: str = "4GB"
) -> dict[str, dict]:
    """Per served table that differs between the ``daily`` publication (months linked from the
    publications before) and a ``fresh`` one of an equal warehouse (every file written), its
    ``differences`` (incremental = daily) or the side that alone serves it."""
    daily_sources, fresh_sources = served_sources(daily), served_sources(fresh)
    differing: dict[str, dict] = {
        table: {"served_only_by": "daily" if table in daily_sources else "fresh"}
        for table in sorted(daily_sources.keys() ^ fresh_sources.keys())
    }
    with _connection(spill, memory_limit) as con:
        for table in sorted(daily_sources.keys() & fresh_sources.keys()):
            found = differences(con, daily_sources[table], fresh_sources[table])
            if found:
                differing[table] = found
    return differing
