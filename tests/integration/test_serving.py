"""The serving copy published by Dagster from the tiny bank's warehouse: complete, masked,
readable as DuckDB and Parquet, documented."""

from __future__ import annotations

import json
import re
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.defs.warehouse import dbt_project
from serving.masking import declared_relations
from serving.month_files import declared_month_files
from serving.publish import AUDIT_TABLE, CURRENT, MANIFEST, serving_database_path

pytestmark = pytest.mark.integration

DOCS = Path(__file__).resolve().parents[2] / "docs"
DOC_QUERIES = [
    (f"{page.removesuffix('.md')}-{n}", catalog, query)
    for page, catalog in (
        ("analyst-guide.md", "cdp_serving"),
        ("warehouse.md", "cdp_serving"),
        ("ingestion.md", "wh"),
    )
    for n, query in enumerate(
        re.findall(r"```sql\n(.*?)```", (DOCS / page).read_text(encoding="utf-8"), flags=re.S)
    )
]
"""The SQL examples of the docs, each with the database it is written for: the serving copy
analysts read, or the warehouse (attached as ``wh``) whose audit and quarantine data engineers
read."""

IDENTITY_MARTS = {
    "dim_clients",
    "dim_client_crosswalk",
    "dim_client_contacts",
    "dim_client_attribute_sources",
    "dim_corporate_hierarchy_nodes",
    "mart_identity_quality",
}


@pytest.fixture(scope="module")
def published(warehouse_bank, tmp_path_factory):
    """``publish_serving_job`` run once into a temporary serving folder."""
    from orchestration.definitions import build_definitions

    settings, _ = warehouse_bank
    settings = settings.model_copy(update={"serving_dir": tmp_path_factory.mktemp("serving")})
    result = (
        build_definitions(settings)
        .resolve_job_def("publish_serving_job")
        .execute_in_process(raise_on_error=False)
    )
    return settings, result


@pytest.fixture
def served(published):
    """The serving copy opened as an analyst would (read-only), the warehouse attached beside."""
    settings, _ = published
    with duckdb.connect(str(serving_database_path(settings.serving_dir)), read_only=True) as con:
        con.execute(f"attach '{settings.warehouse_path}' as wh (read_only)")
        yield con


def _parquet(publication, schema: str, table: str):
    """The table's Parquet: its file, or every month file of a table served by month."""
    folder = publication / schema / table
    return f"{folder}/*.parquet" if folder.is_dir() else publication / schema / f"{table}.parquet"


def _tables(con, catalog: str) -> set[tuple[str, str]]:
    return set(
        con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = ?",
            [catalog],
        ).fetchall()
    )


def test_the_job_publishes_and_every_check_passes(published):
    _, result = published
    assert result.success
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert materialized == {
        dg.AssetKey(["serving", "warehouse_copy"]),
        dg.AssetKey(["serving", "dbt_docs"]),
    }
    checks = {
        e.event_specific_data.check_name: e.event_specific_data.passed
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }
    assert checks == {
        "serving_row_counts_match_the_warehouse": True,
        "every_pii_column_is_served_masked": True,
        "every_table_of_the_published_schemas_is_served": True,
    }


def test_every_table_of_the_published_schemas_is_served_with_its_rows(served, published):
    settings, _ = published
    warehouse = {t for t in _tables(served, "wh") if t[0] in settings.serving_schemas}
    assert {("marts", t) for t in IDENTITY_MARTS} <= warehouse
    assert _tables(served, "cdp_serving") == warehouse
    for schema, table in sorted(warehouse):
        counts = served.execute(
            f'select (select count(*) from cdp_serving."{schema}"."{table}"), '
            f'(select count(*) from wh."{schema}"."{table}")'
        ).fetchone()
        assert counts[0] == counts[1], (schema, table)
    assert served.execute("select count(*) from marts.dim_clients").fetchone()[0] > 1000


def test_personal_data_is_masked_by_kind(served):
    surnames = served.execute(
        "select count(*), count(*) filter (where surname like '_***') from marts.dim_clients "
        "where surname is not null"
    ).fetchone()
    assert surnames[0] > 1000 and surnames[0] == surnames[1]
    [leaked] = served.execute(
        "select count(*) from marts.dim_clients s join wh.marts.dim_clients w "
        "on s.inn = w.inn or s.snils = w.snils or s.mobile_phone = w.mobile_phone "
        "or s.email = w.email or s.document_number = w.document_number"
    ).fetchone()
    assert leaked == 0
    inns = served.execute("select inn from marts.dim_clients where inn is not null").fetchall()
    assert inns and all(re.fullmatch(r"[0-9a-f]{16}", inn) for (inn,) in inns)
    phones = served.execute(
        "select count(*) filter (where value not like '%*%') from marts.dim_client_contacts"
    ).fetchone()
    assert phones == (0,)
    assert served.execute(
        "select count(*) from marts.dim_clients "
        "where month(birth_date) <> 1 or day(birth_date) <> 1"
    ).fetchone() == (0,)


def test_masked_identifiers_still_join_across_tables(served):
    """Same golden client ids, same keyed hash for equal INNs: analysts' joins keep working."""
    [clients, joined] = served.execute(
        "select count(distinct c.golden_client_id), count(distinct x.golden_client_id) "
        "from marts.dim_clients c left join marts.dim_client_crosswalk x using (golden_client_id)"
    ).fetchone()
    assert clients == joined
    [distinct_served, distinct_built] = served.execute(
        "select (select count(distinct inn) from marts.dim_clients), "
        "(select count(distinct inn) from wh.marts.dim_clients)"
    ).fetchone()
    assert distinct_served == distinct_built


def test_the_manifest_lists_every_pii_column_dbt_declares(published):
    settings, _ = published
    manifest = json.loads((settings.serving_dir / CURRENT / MANIFEST).read_text(encoding="utf-8"))
    relations = declared_relations(dbt_project().manifest_path)
    for table in manifest["tables"]:
        declared = relations[(table["schema"], table["table"])]
        assert table["masked_columns"] == {
            c: k for c, k in declared.items() if c in table["columns"]
        }
    dim_clients = next(t for t in manifest["tables"] if t["table"] == "dim_clients")
    assert {"surname", "inn", "snils", "mobile_phone", "email", "birth_date"} <= set(
        dim_clients["masked_columns"]
    )


def test_parquet_of_the_current_publication_matches_the_database(published, served):
    settings, _ = published
    current = settings.serving_dir / CURRENT
    for schema, table in sorted(_tables(served, "cdp_serving")):
        parquet = _parquet(current, schema, table)
        [rows] = duckdb.sql(f"select count(*) from '{parquet}'").fetchone()
        assert (rows,) == served.execute(f'select count(*) from "{schema}"."{table}"').fetchone()
    [masked] = duckdb.sql(
        f"select count(*) from '{current / 'marts' / 'dim_clients.parquet'}' "
        "where surname is not null and surname not like '_***'"
    ).fetchone()
    assert masked == 0


def test_the_publication_is_audited_in_the_warehouse(published, served):
    settings, result = published
    [event] = [
        e
        for e in result.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey(["serving", "warehouse_copy"])
    ]
    publication_id = event.materialization.metadata["publication_id"].value
    row = served.execute(
        f"select tables, total_rows, masked_columns, publication_dir from wh.{AUDIT_TABLE} "
        "where publication_id = ?",
        [publication_id],
    ).fetchone()
    assert row is not None and row[0] >= len(IDENTITY_MARTS) and row[2] >= 10
    assert row[3] == str(settings.serving_dir / "publications" / publication_id)


def test_dbt_docs_are_published_beside_the_copy(published):
    settings, result = published
    [docs] = [
        e
        for e in result.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey(["serving", "dbt_docs"])
    ]
    assert docs.materialization.metadata["regenerated"].value is True
    docs = settings.serving_dir / "docs"
    catalog = json.loads((docs / "catalog.json").read_text(encoding="utf-8"))
    assert "source.bank_cdp.golden_record.dim_clients" in catalog["sources"]
    assert "model.bank_cdp.stg_abs__clients" in catalog["nodes"]
    assert (docs / "static_index.html").stat().st_size > 100_000


def test_every_served_column_and_parquet_file_has_the_warehouse_s_types(served, published):
    """Readers of the serving file and of the Parquet files see the types the dbt YAML
    describes: the marts keep their summed counts BIGINT (a HUGEINT would reach Parquet as a
    double; the serving views would cast it back, ``tests/unit/test_serving_publish.py``).
    Names and types, not the warehouse's not-null constraints: those guard the build's writes."""
    settings, _ = published
    for schema, table in sorted(_tables(served, "cdp_serving")):
        name = f'"{schema}"."{table}"'
        built = [c[:2] for c in served.execute(f"describe wh.{name}").fetchall()]
        assert [c[:2] for c in served.execute(f"describe {name}").fetchall()] == built, name
        parquet = _parquet(settings.serving_dir / CURRENT, schema, table)
        in_file = duckdb.sql(f"describe select * from '{parquet}'").fetchall()
        assert [c[:2] for c in in_file] == built, name


def test_the_big_tables_are_served_a_file_per_month_of_their_date(served, published):
    """The tables whose dbt YAML declares a month layout — the four big facts, the client
    activity days and the ML features — are written one file per month of their date, with the
    rows of that month."""
    settings, _ = published
    layouts = declared_month_files(dbt_project().manifest_path)
    facts = ("fct_transactions", "fct_card_transactions", "fct_balances_daily", "fct_interactions")
    assert {("marts", t) for t in facts} <= set(layouts)
    assert ("marts", "fct_client_activity_days") in layouts
    features = ("client_months", "churn", "cross_sell", "lead_priority")
    assert {("ml", f"ml_features__{f}") for f in features} <= set(layouts)
    manifest = json.loads((settings.serving_dir / CURRENT / MANIFEST).read_text(encoding="utf-8"))
    served_by_month = {(t["schema"], t["table"]): t for t in manifest["tables"] if t["month_files"]}
    assert set(served_by_month) == set(layouts)
    for (schema, table), entry in sorted(served_by_month.items()):
        months = served.execute(
            f"select strftime({layouts[schema, table].date_column}, '%Y-%m') as month, count(*) "
            f'from wh."{schema}"."{table}" group by 1 order by 1'
        ).fetchall()
        assert [(f["month"], f["rows"]) for f in entry["month_files"]] == [
            *months,
            ("undated", 0),
        ], table
        folder = settings.serving_dir / CURRENT / schema / table
        assert sorted(p.stem for p in folder.iterdir()) == [
            f["month"] for f in entry["month_files"]
        ]
        for month_file in entry["month_files"]:
            parquet = settings.serving_dir / CURRENT / month_file["file"]
            [rows] = duckdb.sql(f"select count(*) from '{parquet}'").fetchone()
            assert rows == month_file["rows"], (table, month_file["month"])


def test_a_publication_of_an_unchanged_warehouse_writes_no_month_again(published):
    """Publishes again (last in this module: ``current`` moves on), linking every month, which
    the masking check, passed on the publication before, need not compare again, and keeping
    the dbt docs, which describe the same project and tables."""
    from orchestration.definitions import build_definitions

    settings, _ = published
    result = (
        build_definitions(settings)
        .resolve_job_def("publish_serving_job")
        .execute_in_process(raise_on_error=False)
    )
    assert result.success
    [event] = [
        e
        for e in result.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey(["serving", "warehouse_copy"])
    ]
    metadata = event.materialization.metadata
    manifest = json.loads((settings.serving_dir / CURRENT / MANIFEST).read_text(encoding="utf-8"))
    month_files = [f for t in manifest["tables"] for f in t["month_files"]]
    assert len(month_files) >= 5 * 13
    assert all(f["reused"] for f in month_files)
    assert metadata["month_files_reused"].value == len(month_files)
    [masking] = [
        e.event_specific_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
        and e.event_specific_data.check_name == "every_pii_column_is_served_masked"
    ]
    assert masking.passed  # and compared none of the linked months again
    assert masking.metadata["months_not_compared_again"].value == len(month_files)
    regenerated = {
        e.asset_key: e.materialization.metadata["regenerated"].value
        for e in result.get_asset_materialization_events()
        if "regenerated" in e.materialization.metadata
    }
    assert regenerated == {dg.AssetKey(["serving", "dbt_docs"]): False}


@pytest.mark.parametrize(
    ("catalog", "query"), [q[1:] for q in DOC_QUERIES], ids=[q[0] for q in DOC_QUERIES]
)
def test_every_sql_example_of_the_docs_answers_on_the_tiny_bank(served, catalog, query):
    """The docs' examples run as written, so the tables and columns they name stay real. The
    scores exist only once a test module of this session has trained the models."""
    served.execute(f"use {catalog}")
    named = set(re.findall(r"\b(marts|ml|audit|raw|quarantine)\.(\w+)", query))
    missing = named - _tables(served, catalog)
    if missing:
        assert all(table.startswith("ml_scores__") for _, table in missing), missing
        pytest.skip(f"no scores trained in this session: {sorted(missing)}")
    assert served.execute(query).fetchall(), "the example answers nothing on the tiny bank"
