"""The benchmark's comparison of an incremental warehouse with a full build of the same data."""

from __future__ import annotations

import duckdb
import pytest

from benchmarks.equivalence import compare

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
    assert compare(incremental, full, ["marts.client_days"]) == {}


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
    differing = compare(incremental, full, ["marts.client_days"])
    assert differing == {
        "marts.client_days": {
            "rows_incremental": 3 + only_incremental - only_full,
            "rows_full": 3,
            "only_incremental": only_incremental,
            "only_full": only_full,
        }
    }
