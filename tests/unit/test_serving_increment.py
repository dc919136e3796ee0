"""A publication that starts from the previous serving file equals one written from scratch."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pytest

from serving import publish as publishing
from serving.increment import declared_grains
from serving.publish import publish, serving_database_path

pytestmark = pytest.mark.unit

RELATIONS = {
    ("marts", "dim_people"): {"surname": "name", "phone": "phone"},
    ("marts", "fct_visits"): {},
    ("marts", "mart_days"): {},
}
GRAINS = {
    ("marts", "dim_people"): ("person_id",),
    ("marts", "fct_visits"): ("person_id", "visit_date"),
}
KEY = "unit-key"


@pytest.fixture
def warehouse(tmp_path):
    with duckdb.connect(str(tmp_path / "cdp.duckdb")) as con:
        con.execute("""
            create schema marts;
            create table marts.dim_people as
                select range as person_id, 'ИВАНОВ' || range as surname,
                       '+7916123' || lpad(range::varchar, 4, '0') as phone
                from range(100);
            create table marts.fct_visits as
                select range % 100 as person_id, date '2026-01-01' + (range // 100)::int
                       as visit_date, range as amount
                from range(1000);
            create table marts.mart_days as select range as day from range(10);
        """)
        yield con


def _publish(con, serving_dir, relations=RELATIONS, grains=GRAINS):
    return publish(
        con,
        serving_dir=serving_dir,
        schemas=("marts",),
        relations=relations,
        mask_key=KEY,
        keep=3,
        grains=grains,
    )


def _served(serving_dir) -> dict[str, list[tuple]]:
    with duckdb.connect(str(serving_database_path(serving_dir)), read_only=True) as reader:
        tables = [r[0] for r in reader.execute("select table_name from duckdb_tables()").fetchall()]
        return {t: sorted(reader.execute(f"select * from marts.{t}").fetchall()) for t in tables}


def _change_a_day(con) -> None:
    """What a daily build does: a new day, a corrected row, a person gone, a renamed one."""
    con.execute("""
        insert into marts.fct_visits
            select range, date '2026-01-11', 1000 + range from range(20);
        update marts.fct_visits set amount = -1 where person_id = 7 and visit_date = '2026-01-03';
        delete from marts.fct_visits where person_id = 99;
        delete from marts.dim_people where person_id = 99;
        update marts.dim_people set surname = 'ПЕТРОВ' where person_id = 5;
    """)


def test_an_update_by_grain_equals_a_publication_from_scratch(warehouse, tmp_path):
    first = _publish(warehouse, tmp_path / "serving")
    assert first.updated_from is None
    _change_a_day(warehouse)

    second = _publish(warehouse, tmp_path / "serving")
    scratch = _publish(warehouse, tmp_path / "scratch")

    assert second.updated_from == first.publication_id
    refresh = {t.table: (t.refresh, t.rows_removed, t.rows_added) for t in second.tables}
    assert refresh == {
        "dim_people": ("updated", 2, 1),  # person 99 gone, person 5 renamed (out and in)
        "fct_visits": ("updated", 11, 21),  # 10 visits of 99, one corrected; 20 new, corrected
        "mart_days": ("copied", None, None),  # no tested grain
    }
    assert _served(tmp_path / "serving") == _served(tmp_path / "scratch")
    assert [(t.table, t.rows) for t in second.tables] == [(t.table, t.rows) for t in scratch.tables]
    manifest = json.loads((second.publication_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["updated_from"] == first.publication_id
    assert manifest["tables"][0]["refresh"] == "updated"


def test_parquet_of_an_updated_table_holds_its_new_rows(warehouse, tmp_path):
    _publish(warehouse, tmp_path / "serving")
    _change_a_day(warehouse)
    second = _publish(warehouse, tmp_path / "serving")

    parquet = second.publication_dir / "marts" / "fct_visits.parquet"
    assert duckdb.sql(
        f"select count(*), count(*) filter (where visit_date = '2026-01-11') from '{parquet}'"
    ).fetchone() == (1010, 20)


def test_a_table_whose_columns_changed_is_copied_whole(warehouse, tmp_path):
    _publish(warehouse, tmp_path / "serving")
    warehouse.execute("alter table marts.fct_visits add column channel varchar default 'app'")

    second = _publish(warehouse, tmp_path / "serving")

    refresh = {t.table: t.refresh for t in second.tables}
    assert refresh == {"dim_people": "updated", "fct_visits": "copied", "mart_days": "copied"}
    assert _served(tmp_path / "serving")["fct_visits"][0][-1] == "app"


def test_a_grain_the_warehouse_breaks_falls_back_to_a_whole_copy(warehouse, tmp_path):
    _publish(warehouse, tmp_path / "serving")
    # an exact duplicate: its hash matches the served row, so only the row count tells
    warehouse.execute("insert into marts.fct_visits values (1, date '2026-01-01', 1)")

    second = _publish(warehouse, tmp_path / "serving")

    visits = next(t for t in second.tables if t.table == "fct_visits")
    assert (visits.refresh, visits.rows) == ("copied", 1001)
    assert len(_served(tmp_path / "serving")["fct_visits"]) == 1001


def test_mostly_changed_tables_are_copied_whole(warehouse, tmp_path):
    _publish(warehouse, tmp_path / "serving")
    warehouse.execute("update marts.fct_visits set amount = amount + 1")

    visits = next(
        t for t in _publish(warehouse, tmp_path / "serving").tables if t.table == "fct_visits"
    )

    assert visits.refresh == "copied"
    assert _served(tmp_path / "serving")["fct_visits"][0] == (0, dt.date(2026, 1, 1), 1)


def test_a_column_newly_declared_personal_starts_a_new_file(warehouse, tmp_path):
    """The old file's free blocks would still hold the column's values unmasked."""
    _publish(warehouse, tmp_path / "serving")
    stricter = {**RELATIONS, ("marts", "fct_visits"): {"amount": "free_text"}}

    second = _publish(warehouse, tmp_path / "serving", relations=stricter)

    assert second.updated_from is None
    assert {t.refresh for t in second.tables} == {"copied"}


def test_a_table_no_longer_published_leaves_the_copy(warehouse, tmp_path):
    _publish(warehouse, tmp_path / "serving")
    warehouse.execute("drop table marts.mart_days")

    second = _publish(warehouse, tmp_path / "serving")

    assert second.updated_from is not None
    assert set(_served(tmp_path / "serving")) == {"dim_people", "fct_visits"}


def test_a_file_grown_past_its_limit_is_written_from_scratch(warehouse, tmp_path, monkeypatch):
    first = _publish(warehouse, tmp_path / "serving")
    assert first.baseline_bytes == first.serving_database_bytes
    second = _publish(warehouse, tmp_path / "serving")
    assert (second.updated_from, second.baseline_bytes) == (
        first.publication_id,
        first.baseline_bytes,
    )

    monkeypatch.setattr(publishing, "FILE_GROWTH", 0.99)
    third = _publish(warehouse, tmp_path / "serving")

    assert third.updated_from is None
    assert third.baseline_bytes == third.serving_database_bytes


def test_without_grains_every_publication_is_written_from_scratch(warehouse, tmp_path):
    _publish(warehouse, tmp_path / "serving", grains=None)
    second = _publish(warehouse, tmp_path / "serving", grains=None)

    assert second.updated_from is None


def test_grains_come_from_the_unique_tests_dbt_declares(tmp_path):
    def test(name, node, kwargs, where=None):
        return {
            "resource_type": "test",
            "attached_node": node,
            "test_metadata": {"name": name, "kwargs": kwargs},
            "config": {"where": where},
        }

    manifest = {
        "nodes": {
            "model.p.fct_a": {"resource_type": "model", "schema": "marts", "name": "fct_a"},
            "model.p.fct_b": {
                "resource_type": "model", "schema": "marts", "name": "b", "alias": "fct_b"
            },
            "t1": test("unique_combination_of_columns", "model.p.fct_a",
                       {"combination_of_columns": ["client_id", "as_of_date"]}),
            "t2": test("unique", "model.p.fct_a", {"column_name": "row_id"}),
            "t3": test("unique", "model.p.fct_b", {"column_name": "b_id"}, where="b_id > 0"),
            "t4": test("not_null", "model.p.fct_b", {"column_name": "b_id"}),
        },
        "sources": {
            "source.p.raw.x": {
                "resource_type": "source", "schema": "raw", "name": "x", "identifier": "X"
            },
        },
    }  # fmt: skip
    manifest["nodes"]["t5"] = test("unique", "source.p.raw.x", {"column_name": '"Key"'})
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest), encoding="utf-8")

    assert declared_grains(path) == {("marts", "fct_a"): ("row_id",), ("raw", "x"): ("key",)}
