"""Masking rules of the serving copy: one rule per PII kind, applied by DuckDB."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pytest

from serving.masking import (
    HASH_HEX_CHARS,
    MASK_RULES,
    UnknownPiiKind,
    declared_relations,
    mask_expression,
)
from serving.publish import set_mask_key

pytestmark = pytest.mark.unit


@pytest.fixture
def con():
    with duckdb.connect() as con:
        set_mask_key(con, "test-key")
        yield con


def _mask(con, kind: str, value):
    sql_type = "date" if kind == "birth_date" else "varchar"
    return con.execute(
        f"select {mask_expression(kind, 'v')} from (select cast(? as {sql_type}) as v)", [value]
    ).fetchone()[0]


@pytest.mark.parametrize(
    ("kind", "value", "masked"),
    [
        ("name", "ИВАНОВ", "И***"),
        ("phone", "+79161234567", "+7916*****67"),
        ("phone", "12345", "*****"),
        ("email", "ivan.petrov@mail.ru", "i***@mail.ru"),
        ("email", "not-an-email", "***"),
        ("contact", "ivan.petrov@mail.ru", "i***@mail.ru"),
        ("contact", "+79161234567", "+7916*****67"),
        ("birth_date", dt.date(1987, 6, 15), dt.date(1987, 1, 1)),
        ("address", "Ростовская обл., г. Ростов-на-Дону, ул. Энгельса, д. 16А", "Ростовская обл."),
        ("card", "220220******1234", "220220******"),
        ("free_text", "перевод Иванову И.И. по договору 42", None),
        ("sex", "Ж", "Ж"),
    ],
)
def test_each_kind_is_masked_by_its_rule(con, kind, value, masked):
    assert _mask(con, kind, value) == masked


@pytest.mark.parametrize("kind", sorted(MASK_RULES))
def test_null_stays_null(con, kind):
    assert _mask(con, kind, None) is None


@pytest.mark.parametrize("kind", ["tax_id", "snils", "document", "device", "network"])
def test_identifiers_become_a_keyed_hash_that_still_joins(con, kind):
    first, again, other = (
        _mask(con, kind, v) for v in ("500100732259", "500100732259", "7707083893")
    )
    assert first == again != other
    assert len(first) == HASH_HEX_CHARS and "500100732259" not in first
    set_mask_key(con, "another-key")
    assert _mask(con, kind, "500100732259") != first


def test_record_ids_are_hashed_only_where_they_embed_a_phone(con):
    caller = "contact_center:10001159:+79009127004"
    assert _mask(con, "record_id", "abs:10000003") == "abs:10000003"
    assert _mask(con, "record_id", caller) == _mask(con, "document", caller)
    assert "+7900" not in _mask(con, "record_id", caller)


def test_an_identifier_hashes_alike_under_every_identifier_kind(con):
    """The same INN in a column tagged tax_id and one tagged document joins across tables."""
    assert _mask(con, "tax_id", "7707083893") == _mask(con, "document", "7707083893")


def test_an_empty_key_is_refused():
    with duckdb.connect() as con, pytest.raises(ValueError, match="empty"):
        set_mask_key(con, "")


def test_an_unknown_kind_is_never_published_unmasked():
    with pytest.raises(UnknownPiiKind, match="iban"):
        mask_expression("iban", '"account"')


def test_every_kind_tagged_in_the_dbt_project_has_a_rule(dbt_manifest):
    kinds = {k for pii in declared_relations(dbt_manifest).values() for k in pii.values()}
    assert kinds, "the dbt project tags no PII at all"
    assert kinds - set(MASK_RULES) == set()


def test_pii_is_read_from_models_and_sources_by_relation(tmp_path):
    manifest = {
        "nodes": {
            "model.p.dim_x": {
                "resource_type": "model",
                "schema": "marts",
                "name": "dim_x",
                "alias": "dim_x",
                "columns": {
                    "Surname": {"name": "Surname", "meta": {"pii": "name"}},
                    "segment": {"name": "segment", "meta": {}},
                },
            },
            "test.p.unique_dim_x": {"resource_type": "test", "schema": "marts", "name": "t"},
        },
        "sources": {
            "source.p.g.dim_y": {
                "schema": "marts",
                "name": "dim_y",
                "identifier": "dim_y",
                "columns": {
                    "inn": {"name": "inn", "meta": {}, "config": {"meta": {"pii": "tax_id"}}}
                },
            },
            "source.p.g.dim_z": {"schema": "marts", "name": "dim_z", "identifier": "dim_z"},
        },
    }
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest), encoding="utf-8")
    assert declared_relations(path) == {
        ("marts", "dim_x"): {"surname": "name"},
        ("marts", "dim_y"): {"inn": "tax_id"},
        ("marts", "dim_z"): {},
    }
