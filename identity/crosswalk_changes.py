"""Records whose golden client changed in a resolution, for the warehouse's incremental tables.

A merge or split is a golden-id event (``identity.golden_id_history``), but a record can also
come to a client without one: a record seen for the first time whose rows the warehouse already
holds unattributed (ДБО sessions of a login whose profile arrives later), or a record a full
run clusters elsewhere while both clients keep their ids. The core facts re-point such rows
themselves; the client tables built from them must rebuild both clients, so every resolution
appends the difference between the crosswalk before and after it to
``identity.crosswalk_changes`` (``dbt_project/macros/client_refresh_scope.sql`` reads it).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator

import duckdb

from identity.resolution import exists

CHANGES_TABLE = "identity.crosswalk_changes"
CROSSWALK = "marts.dim_client_crosswalk"


@contextlib.contextmanager
def recorded(con: duckdb.DuckDBPyConnection, run_at: dt.datetime) -> Iterator[None]:
    """Around one resolution: the crosswalk rows it changed, added or dropped, stamped with its
    ``run_at``. The first resolution of a warehouse records nothing: no table is built yet."""
    con.execute("create schema if not exists identity")
    con.execute(
        f"create table if not exists {CHANGES_TABLE} (record_key varchar, "
        "previous_golden_client_id varchar, golden_client_id varchar, run_at timestamp)"
    )
    had_crosswalk = exists(con, *CROSSWALK.split("."))
    if had_crosswalk:
        con.execute(
            "create or replace temp table crosswalk_before as "
            f"select record_key, golden_client_id from {CROSSWALK}"
        )
    yield
    if had_crosswalk:
        con.execute(
            f"""
            insert into {CHANGES_TABLE}
            select
                coalesce(after.record_key, before.record_key),
                before.golden_client_id,
                after.golden_client_id,
                $run_at
            from {CROSSWALK} as after
            full join crosswalk_before as before on after.record_key = before.record_key
            where after.golden_client_id is distinct from before.golden_client_id
            """,
            {"run_at": run_at},
        )
        con.execute("drop table crosswalk_before")
