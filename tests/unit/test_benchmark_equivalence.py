"""The benchmark's comparison of an incremental warehouse with a full build of the same data."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import duckdb
import pytest

from benchmarks import equivalence
from benchmarks.equivalence import compare, compare_publications
from orchestration.defs.warehouse import PARSE_STATE_FILE

pytestmark = pytest.mark.unit

ROWS = """
select * from (values
    (1, date '2026-10-30', 10.25::decimal(18, 2), 0.1 + 0.2, 'run-1', timestamp '2026-10-30'),
    (2, date '2026-10-31', 3.00::decimal(18, 2), 1.0 / 3, 'run-1', timestamp '2026-10-30'),
    (2, date '2026-10-31', 3.00::decimal(18, 2), 1.0 / 3, 'run-1', timestamp '2026-10-30')
) as t (client_id, as_of_date, amount_rub, share, _written_by, _loads_through)
"""


def _warehouse(path, *changes: str):
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(f"create table marts.client_days as {ROWS}")
        for change in changes:
            con.execute(change)
    return path


def test_tables_equal_but_for_build_stamps_and_a_double_s_last_bits_agree(tmp_path):
    full = _warehouse(tmp_path / "full.duckdb")
    incremental = _warehouse(
        tmp_path / "incremental.duckdb",
        "update marts.client_days set _written_by = 'run-2', "
        "_loads_through = timestamp '2026-10-31', share = share + 1e-12 where client_id = 1",
    )
    assert compare(incremental, full, ["marts.client_days"], tmp_path) == {}


@pytest.mark.parametrize(
    ("change", "only_incremental", "only_full"),
    [
        ("update marts.client_days set amount_rub = 10.26 where client_id = 1", 1, 1),
        ("update marts.client_days set share = 0.31 where client_id = 1", 1, 1),
        ("delete from marts.client_days where client_id = 1", 0, 1),
        # a duplicated row is a difference even when the set of distinct rows is the same
        ("insert into marts.client_days select * from marts.client_days where client_id = 1", 1, 0),
        ("delete from marts.client_days where rowid = 2", 0, 1),
    ],
)
def test_a_row_that_differs_is_counted_on_its_side(tmp_path, change, only_incremental, only_full):
    full = _warehouse(tmp_path / "full.duckdb")
    incremental = _warehouse(tmp_path / "incremental.duckdb", change)
    differing = compare(incremental, full, ["marts.client_days"], tmp_path)
    assert differing == {
        "marts.client_days": {
            "rows_incremental": 3 + only_incremental - only_full,
            "rows_full": 3,
            "only_incremental": only_incremental,
            "only_full": only_full,
        }
    }


def _publication(folder, months: dict[str, str], extra_table: bool = False):
    """A publication folder serving ``marts.client_days`` one file per month (each month's rows
    a ``select`` of ROWS) and ``marts.dim_clients`` as one file."""
    (folder / "marts" / "client_days").mkdir(parents=True)
    tables = [{"schema": "marts", "table": "client_days", "parquet": "marts/client_days",
               "month_files": []}]  # fmt: skip
    with duckdb.connect() as con:
        for month, where in months.items():
            file = f"marts/client_days/{month}.parquet"
            con.execute(f"copy (select * from ({ROWS}) where {where}) to '{folder / file}'")
            tables[0]["month_files"].append({"month": month, "file": file})
        names = ["dim_clients", "dim_accounts"] if extra_table else ["dim_clients"]
        for name in names:
            con.execute(f"copy (select 1 as client_id) to '{folder / 'marts' / name}.parquet'")
            tables.append({"schema": "marts", "table": name, "parquet": f"marts/{name}.parquet"})
    (folder / "manifest.json").write_text(json.dumps({"tables": tables}))
    return folder


def test_publications_serving_the_same_rows_in_other_files_agree(tmp_path):
    daily = _publication(
        tmp_path / "daily",
        {"2026-10": "as_of_date < date '2026-10-31'", "2026-10b": "as_of_date = date '2026-10-31'"},
    )
    fresh = _publication(tmp_path / "fresh", {"2026-10": "true"})
    assert compare_publications(daily, fresh, tmp_path) == {}


def test_a_stale_month_file_and_a_table_served_once_are_named(tmp_path):
    daily = _publication(tmp_path / "daily", {"2026-10": "client_id = 2"}, extra_table=True)
    fresh = _publication(tmp_path / "fresh", {"2026-10": "true"})
    assert compare_publications(daily, fresh, tmp_path) == {
        "marts.client_days": {
            "rows_incremental": 2,
            "rows_full": 3,
            "only_incremental": 0,
            "only_full": 1,
        },
        "marts.dim_accounts": {"served_only_by": "daily"},
    }


def test_dbt_runs_on_every_copy_through_one_path_and_from_the_last_parse(tmp_path, monkeypatch):
    """dbt parses the whole project again when its warehouse path changes: each copy is opened
    through the same link, and a command starts from the parse the one before left."""
    seen = []

    def dbt(command, env, **_):
        target = Path(command[command.index("--target-path") + 1])
        state = target / PARSE_STATE_FILE
        seen.append((env["CDP_WAREHOUSE_PATH"], Path(env["CDP_WAREHOUSE_PATH"]).resolve(),
                     state.read_bytes() if state.exists() else None))  # fmt: skip
        target.mkdir(parents=True, exist_ok=True)
        state.write_bytes(f"parse {len(seen)}".encode())
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(equivalence.subprocess, "run", dbt)
    (tmp_path / "links").mkdir()
    monkeypatch.setattr(equivalence, "_copies_folder", lambda: tmp_path / "links")
    copies = [tmp_path / side / "ingest.duckdb" for side in ("full", "incremental")]
    for copy in copies:
        copy.parent.mkdir()
        copy.touch()
        equivalence.dbt_on_copy(copy, copy.parent / "artifacts", "run", "--select", "dim_dates")
    (first_path, first_file, first_state), (second_path, second_file, second_state) = seen
    assert first_path == second_path
    assert (first_file, second_file) == tuple(c.resolve() for c in copies)
    assert (first_state, second_state) == (None, b"parse 1")
