"""Does the warehouse the daily increments left equal a full build of the same data?

The tiny bank's tests plant each case an increment must handle (docs/warehouse.md,
"Incremental client tables"); a bench bank brings the ones nobody planted — a year of merges,
late files, new clients and month ends. This builds the same warehouse whole, on a copy, and
compares every table dbt stores with the incremental one, row for row — and the scores, which a
daily scoring keeps for unchanged feature rows (models_ml/score_reuse.py), with a scoring of
every row there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import duckdb

from cdp.warehouse import BUILD_STAMPS
from models_ml.score_reuse import SCORED_FROM

NOT_COMPARED = (*BUILD_STAMPS, "_evaluated_through", SCORED_FROM)
"""Columns an incremental build may leave other than a full build: the build stamps, the
segment memberships' latest as-of date at the build that wrote the row, and the build stamp of
the feature row a score was computed from."""

DOUBLE_DIGITS = 6
"""Decimal places a DOUBLE is compared at: a sum's last bits depend on the order DuckDB's threads
add its rows in, which differs between any two builds."""


def full_build_on_copy(
    warehouse: Path, scratch: Path, incremental: list[str]
) -> tuple[Path, float]:
    """The warehouse copied into ``scratch`` (same file name: the staging views name their
    catalog after it), its ``incremental`` tables dropped and every dbt model built from
    scratch there; the copy and the build's seconds."""
    from orchestration.defs.warehouse import DBT_PROJECT_DIR, dbt_executable

    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    copy = scratch / warehouse.name
    shutil.copy(warehouse, copy)
    with duckdb.connect(str(copy)) as con:
        for relation in incremental:
            con.execute(f"drop table if exists {relation}")
    started = time.perf_counter()
    run = subprocess.run(
        [dbt_executable(), "run", "--full-refresh", "--profiles-dir", ".",
         "--target-path", str(scratch / "target"), "--log-path", str(scratch / "logs")],
        cwd=DBT_PROJECT_DIR,
        env={**os.environ, "CDP_WAREHOUSE_PATH": str(copy)},
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    if run.returncode != 0:
        raise RuntimeError(f"the full build of the copy failed:\n{run.stdout[-3000:]}")
    return copy, time.perf_counter() - started


def compared_values(con: duckdb.DuckDBPyConnection, catalog: str, relation: str) -> list[str]:
    """The expressions a row of ``catalog.relation`` is compared by: every column but the build
    stamps, a DOUBLE rounded to ``DOUBLE_DIGITS`` places."""
    schema, table = relation.split(".")
    columns = con.execute(
        "select column_name, data_type from duckdb_columns() "
        "where database_name = ? and schema_name = ? and table_name = ? order by column_index",
        [catalog, schema, table],
    ).fetchall()
    return [
        f'round("{name}", {DOUBLE_DIGITS})' if kind in ("DOUBLE", "FLOAT") else f'"{name}"'
        for name, kind in columns
        if name not in NOT_COMPARED
    ]


def compare(incremental: Path, full: Path, relations: list[str]) -> dict[str, dict]:
    """Per ``schema.table`` that differs: its rows in each warehouse, the rows only the
    incremental one holds and those only the full build holds (as multisets of the compared
    values); tables that agree are left out."""
    differing = {}
    with duckdb.connect() as con:
        con.execute(f"attach '{incremental}' as incremental (read_only)")
        con.execute(f"attach '{full}' as full_build (read_only)")
        for relation in relations:
            values = ", ".join(compared_values(con, "incremental", relation))
            sides = {
                side: con.execute(
                    f"select count(*), sum(hash({values})) from {side}.{relation}"
                ).fetchone()
                for side in ("incremental", "full_build")
            }
            if sides["incremental"] == sides["full_build"]:
                continue
            only = {
                name: con.execute(
                    f"select count(*) from (select {values} from {a}.{relation} "
                    f"except all select {values} from {b}.{relation})"
                ).fetchone()[0]
                for name, a, b in (
                    ("only_incremental", "incremental", "full_build"),
                    ("only_full", "full_build", "incremental"),
                )
            }
            differing[relation] = {
                "rows_incremental": sides["incremental"][0],
                "rows_full": sides["full_build"][0],
                **only,
            }
    return differing
