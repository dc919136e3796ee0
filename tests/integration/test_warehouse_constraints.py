"""Contracts, not-null and check constraints of the marts and ML tables on the tiny bank: what
the YAML declares is what DuckDB enforces, a null or a value out of its range stops its model
and leaves the table as it was, and an increment adds the not-null constraints a stored table
lacks (docs/warehouse.md, "Contracts and constraints")."""

from __future__ import annotations

import json

import duckdb
import pytest

from benchmarks.equivalence import dbt_on_copy, warehouse_copy

pytestmark = pytest.mark.integration


def _declared(manifest_path, kind: str) -> dict[tuple[str, str], list[str]]:
    """(schema, table) of each enforced contract → its columns, once per constraint of ``kind``
    (``not_null``, ``check``) each declares, sorted."""
    nodes = json.loads(manifest_path.read_text())["nodes"].values()
    return {
        (node["schema"], node["name"]): sorted(
            column["name"]
            for column in node["columns"].values()
            for constraint in column["constraints"]
            if constraint["type"] == kind
        )
        for node in nodes
        if node["resource_type"] == "model" and node["config"]["contract"]["enforced"]
    }


def _not_null_in_warehouse(con, schema: str, table: str) -> set[str]:
    return {
        name
        for (name,) in con.execute(
            "select column_name from duckdb_columns() "
            "where schema_name = ? and table_name = ? and not is_nullable",
            [schema, table],
        ).fetchall()
    }


def test_every_mart_and_feature_table_is_a_contract(dbt_manifest):
    declared = _declared(dbt_manifest, "not_null")
    nodes = json.loads(dbt_manifest.read_text())["nodes"].values()
    tables = {
        (n["schema"], n["name"])
        for n in nodes
        if n["resource_type"] == "model" and n["schema"] in ("marts", "ml")
    }
    assert tables <= declared.keys(), sorted(tables - declared.keys())


def test_each_column_declared_not_null_is_not_null_in_the_warehouse(
    warehouse_bank, built, dbt_manifest
):
    declared = _declared(dbt_manifest, "not_null")
    assert sum(len(columns) for columns in declared.values()) > 150
    enforced = {table: _not_null_in_warehouse(built, *table) for table in declared}
    assert enforced == {table: set(columns) for table, columns in declared.items()}


def test_each_declared_check_is_enforced_in_the_warehouse(warehouse_bank, built, dbt_manifest):
    """Range and value-set rules of the tables built whole are checks DuckDB runs on every row
    written; each declared one is on its table, on its column."""
    declared = _declared(dbt_manifest, "check")
    assert sum(len(columns) for columns in declared.values()) >= 70
    for (schema, table), columns in declared.items():
        enforced = built.execute(
            "select constraint_column_names[1] from duckdb_constraints() "
            "where schema_name = ? and table_name = ? and constraint_type = 'CHECK'",
            [schema, table],
        ).fetchall()
        assert sorted(column for (column,) in enforced) == columns, table


@pytest.fixture
def copy(warehouse_bank, tmp_path):
    settings, _ = warehouse_bank
    return warehouse_copy(settings.warehouse_path, tmp_path)


@pytest.mark.parametrize(
    ("table", "built", "planted", "refusal"),
    [
        pytest.param(
            "mart_decline_reasons",
            ["mart_decline_reasons"],
            "update intermediate.int_kpi_applications_stepped "
            "set decline_reason = null, loss_reason = null "
            "where application_id = (select min(application_id) "
            "from intermediate.int_kpi_applications_stepped where outcome = 'declined')",
            ["NOT NULL constraint failed: mart_decline_reasons__dbt_tmp.reason"],
            id="a null",
        ),
        pytest.param(
            "dim_products",
            # the product catalogue is a table: the mapping runs again, then the dimension
            ["int_products_mapped", "dim_products"],
            "update raw.abs__contracts set contract_type = 'лизинг', product_name = 'Лизинг' "
            "where contract_id = (select min(contract_id) from raw.abs__contracts)",
            [
                "CHECK constraint failed on table dim_products__dbt_tmp",
                "product_type IN ('current_account'",
            ],
            id="a value out of its set",
        ),
    ],
)
def test_a_value_its_contract_forbids_stops_its_model_and_the_table_stays_as_it_was(
    copy, tmp_path, table, built, planted, refusal
):
    """A declined application that lost its reason would give mart_decline_reasons a row
    without one; a contract of a type no mapping rule knows maps to `unmapped` in dim_products:
    the model's build fails naming the rule, and the table keeps the rows it held."""
    before = f"select count(*), sum(hash(columns(*))) from marts.{table}"
    with duckdb.connect(str(copy)) as con:
        kept = con.execute(before).fetchall()
        con.execute(planted)
    run = dbt_on_copy(copy, tmp_path, "run", "--select", *built)
    assert run.returncode != 0
    for words in refusal:
        assert words in run.stdout
    with duckdb.connect(str(copy), read_only=True) as con:
        assert con.execute(before).fetchall() == kept


def test_an_increment_adds_the_constraints_a_stored_table_lacks(copy, tmp_path, dbt_manifest):
    """A table that older code built has no not-null columns; the next increment adds them."""
    table = ("marts", "mart_kpi_daily")
    declared = set(_declared(dbt_manifest, "not_null")[table])
    with duckdb.connect(str(copy)) as con:
        for column in declared:
            con.execute(f"alter table {'.'.join(table)} alter column {column} drop not null")
        assert _not_null_in_warehouse(con, *table) == set()
    run = dbt_on_copy(copy, tmp_path, "run", "--select", table[1])
    assert run.returncode == 0, run.stdout[-3000:]
    with duckdb.connect(str(copy), read_only=True) as con:
        assert _not_null_in_warehouse(con, *table) == declared
