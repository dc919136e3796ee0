"""Segment catalog: parsing with line numbers, validation against a field whitelist, compilation
to parameterised SQL, and field discovery from a warehouse and a dbt manifest."""

from __future__ import annotations

import json
import textwrap

import duckdb
import pytest

from activation.catalog import CatalogError, load_catalog, load_file
from activation.compiler import compile_segment
from activation.fields import Field, FieldCatalog, discover

pytestmark = pytest.mark.unit

FIELDS = FieldCatalog(
    fields={
        "value_tier": Field("value_tier", "marts", "mart_client_360", "value_tier", "text"),
        "has_credit_card": Field(
            "has_credit_card", "marts", "mart_client_360", "has_credit_card", "boolean"
        ),
        "funds_balance_rub": Field(
            "funds_balance_rub", "marts", "mart_client_360", "funds_balance_rub", "number"
        ),
        "last_operation_date": Field(
            "last_operation_date", "marts", "mart_client_360", "last_operation_date", "date"
        ),
        "churn.decile": Field("churn.decile", "ml", "ml_scores__churn", "decile", "number"),
        "churn.as_of_date": Field(
            "churn.as_of_date", "ml", "ml_scores__churn", "as_of_date", "date"
        ),
    },
    segment_values={"value_tier": frozenset({"vip", "premium", "mass"})},
)


def write(tmp_path, body: str, name: str = "segments.yml"):
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


def segment_yaml(where: str, name: str = "s1") -> str:
    """A segment whose ``where`` starts on line 8."""
    body = "\n".join("      " + line for line in textwrap.dedent(where).splitlines())
    return (
        f"segments:\n  - name: {name}\n    version: 1\n    description: test\n"
        f"    owner: crm\n    purpose: test campaign\n    where:\n{body}\n"
    )


def test_a_valid_file_loads_with_its_conditions_and_hash(tmp_path):
    path = write(
        tmp_path,
        segment_yaml("""\
        all:
          - {field: value_tier, op: in, value: [premium, vip]}
          - not: {field: has_credit_card, op: eq, value: true}
        """),
    )
    [segment] = load_file(path)
    assert segment.name == "s1" and segment.where.kind == "all"
    assert [c.line for c in segment.where.children] == [9, 10]
    assert len(segment.definition_hash) == 64


@pytest.mark.parametrize(
    ("where", "line", "message"),
    [
        ("{field: value_tier, op: like, value: x}", 8, "unknown operator 'like'"),
        ("all:\n  - {field: value_tier, op: eq}", 9, "needs one scalar value"),
        ("all:\n  - {field: value_tier, op: in, value: x}", 9, "non-empty list"),
        ("all:\n  - {field: funds_balance_rub, op: between, value: [1]}", 9, "[low, high]"),
        ("all:\n  - {field: value_tier, op: is_null, value: 1}", 9, "takes no value"),
        ("all:\n  - {field: value_tier, op: eq, value: x, extra: 1}", 9, "unknown key"),
        ("any: []", 8, "non-empty list"),
    ],
)
def test_shape_errors_name_the_file_line_and_segment(tmp_path, where, line, message):
    path = write(tmp_path, segment_yaml(where))
    with pytest.raises(CatalogError) as error:
        load_file(path)
    assert error.value.line == line
    assert error.value.segment == "s1"
    assert message in str(error.value) and f"{path}:{line}:" in str(error.value)


def test_missing_keys_bad_yaml_and_duplicates_are_refused(tmp_path):
    path = write(tmp_path, "segments:\n  - name: s1\n    version: 1\n    where: {}\n")
    with pytest.raises(CatalogError, match="'description' is required"):
        load_file(path)
    path = write(tmp_path, "segments: [\n", name="bad.yml")
    with pytest.raises(CatalogError, match="not valid YAML"):
        load_file(path)
    path.unlink()
    write(tmp_path, segment_yaml("{field: value_tier, op: eq, value: vip}"))
    write(tmp_path, segment_yaml("{field: value_tier, op: eq, value: vip}"), name="b.yml")
    with pytest.raises(CatalogError, match="defined twice"):
        load_catalog(tmp_path)


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("{field: shoe_size, op: eq, value: 42}", "unknown field 'shoe_size'"),
        ("{field: has_credit_card, op: gt, value: true}", "does not apply to boolean"),
        ("{field: funds_balance_rub, op: ge, value: lots}", "is number; 'lots' is not"),
        ("{field: has_credit_card, op: eq, value: 1}", "is boolean"),
        ("{field: segment.value_tier, op: eq, value: gold}", "no current 'value_tier' segment"),
        ("{field: segment.planet, op: eq, value: mars}", "unknown segment type 'planet'"),
    ],
)
def test_fields_operators_and_values_are_checked_against_the_whitelist(tmp_path, where, message):
    [segment] = load_file(write(tmp_path, segment_yaml(where)))
    with pytest.raises(CatalogError, match=message) as error:
        compile_segment(segment, FIELDS)
    assert error.value.line == 8 and error.value.segment == "s1"


def _mini_warehouse() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("""
        create schema marts; create schema ml;
        create table marts.mart_client_360 as select * from (values
            ('GC1', 'vip', true, 5000000.0, date '2026-10-30'),
            ('GC2', 'mass', false, 1000.0, date '2026-01-01'),
            ('GC3', 'premium', false, 1500000.0, null),
            ('GC4', 'mass', false, 10.0, date '2026-10-01'))
            t(golden_client_id, value_tier, has_credit_card, funds_balance_rub,
              last_operation_date);
        create table marts.mart_segment_memberships as select * from (values
            ('GC1', 'value_tier', 'vip', true), ('GC2', 'value_tier', 'mass', true),
            ('GC3', 'value_tier', 'premium', true), ('GC3', 'value_tier', 'mass', false),
            ('GC4', 'value_tier', 'mass', true))
            t(golden_client_id, segment_type, segment, is_current);
        create table ml.ml_scores__churn as select * from (values
            ('GC1', date '2026-09-30', 9), ('GC2', date '2026-09-30', 1),
            ('GC3', date '2026-09-30', 2), ('GC3', date '2026-08-31', 10))
            t(golden_client_id, as_of_date, decile);
    """)
    return con


def _members(tmp_path, where: str) -> list[str]:
    [segment] = load_file(write(tmp_path, segment_yaml(where)))
    compiled = compile_segment(segment, FIELDS)
    with _mini_warehouse() as con:
        rows = con.execute(compiled.select() + " order by 1", compiled.params).fetchall()
    return [r[0] for r in rows]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("{field: segment.value_tier, op: in, value: [premium, vip]}", ["GC1", "GC3"]),
        ("{field: churn.decile, op: le, value: 2}", ["GC2", "GC3"]),  # GC3's latest score only
        ("not: {field: churn.decile, op: le, value: 2}", ["GC1", "GC4"]),  # unscored GC4 too
        ("{field: funds_balance_rub, op: between, value: [1000, 2000000]}", ["GC2", "GC3"]),
        ("{field: last_operation_date, op: ge, value: 2026-10-01}", ["GC1", "GC4"]),
        ("{field: last_operation_date, op: is_null}", ["GC3"]),
        (
            "any:\n  - {field: has_credit_card, op: eq, value: true}\n"
            "  - {field: value_tier, op: not_in, value: [mass, vip]}",
            ["GC1", "GC3"],
        ),
    ],
)
def test_compiled_segments_select_the_right_clients(tmp_path, where, expected):
    assert _members(tmp_path, where) == expected


def test_values_are_bound_as_parameters_never_spliced_into_the_sql(tmp_path):
    hostile = "x'); drop table marts.mart_client_360; --"
    [segment] = load_file(
        write(tmp_path, segment_yaml(f'{{field: value_tier, op: eq, value: "{hostile}"}}'))
    )
    compiled = compile_segment(segment, FIELDS)
    assert hostile not in compiled.select() and hostile in compiled.params.values()
    with _mini_warehouse() as con:
        assert con.execute(compiled.select(), compiled.params).fetchall() == []
        assert con.execute("select count(*) from marts.mart_client_360").fetchone()[0] == 4


def test_discovery_whitelists_declared_non_pii_columns_and_any_score_table(tmp_path):
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({
        "nodes": {"model.x.mart_client_360": {
            "resource_type": "model", "schema": "marts", "name": "mart_client_360",
            "columns": {"secret_phone": {"name": "secret_phone", "meta": {"pii": "phone"}}}}},
        "sources": {
            f"source.x.ml.{t}": {"schema": "ml", "name": t, "identifier": t, "columns": {}}
            for t in ("ml_scores__churn", "ml_scores__cross_sell")},
    }))  # fmt: skip
    with _mini_warehouse() as con:
        con.execute("alter table marts.mart_client_360 add column secret_phone varchar")
        con.execute("create table ml.ml_scores__cross_sell (golden_client_id varchar, "
                    "product varchar, propensity double, _scored_from varchar)")  # fmt: skip
        con.execute("create table ml.ml_scores__undeclared (golden_client_id varchar, x int)")
        catalog = discover(con, manifest)
    assert "secret_phone" not in catalog.fields
    assert "golden_client_id" not in catalog.fields
    assert catalog.fields["cross_sell.propensity"].kind == "number"
    assert "cross_sell._scored_from" not in catalog.fields  # a build stamp, no client attribute
    assert catalog.fields["churn.as_of_date"].kind == "date"
    assert not any(name.startswith("undeclared.") for name in catalog.fields)
    assert catalog.fields["value_tier"].kind == "text"
    assert catalog.segment_values == {}  # memberships not declared in this manifest


def test_the_shipped_catalog_parses():
    from cdp.settings import load_settings

    segments = load_catalog(load_settings().activation_segments_dir)
    assert segments and all(s.purpose and s.owner for s in segments.values())
