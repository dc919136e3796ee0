"""Personal data in the serving copy: which columns hold it and how each kind is masked.

The columns come from dbt's manifest — ``meta: {pii: <kind>}`` on model and source columns,
which the YAML of every layer declares — never from column names. The rule per kind is here and
nowhere else: the publication applies it and the serving checks verify against it.

Least privilege (152-FZ): analysts and BI need to count, join and segment clients, not to read
who they are. So identifiers become a keyed hash (equal values stay equal across tables and
publications, so joins and distinct counts still work, but the value cannot be recovered or
guessed without the key); values people read on a screen keep a recognisable fragment; dates of
birth keep the year (age bands); free text is dropped, since no rule can mask what it may say.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

KEY_VARIABLE = "serving_mask_key"
"""DuckDB session variable that holds the masking key while a publication or check runs, so the
secret is bound once as a parameter and never spliced into SQL text."""

HASH_HEX_CHARS = 16
"""64 bits of SHA-256: for 1 M distinct values a collision has probability ≈ 3·10⁻⁸."""


@dataclass(frozen=True)
class MaskRule:
    method: str
    """keyed_hash, partial, generalize, redact or keep."""
    sql: str
    """DuckDB expression over ``{col}``, a non-null value; nulls stay null."""
    why: str


_HASH = f"left(sha256(getvariable('{KEY_VARIABLE}') || cast({{col}} as varchar)), {HASH_HEX_CHARS})"
_PHONE = (
    "case when length({col}) > 7 then left({col}, 5) || repeat('*', length({col}) - 7) "
    "|| right({col}, 2) else repeat('*', length({col})) end"
)
_EMAIL = (
    "case when strpos({col}, '@') > 1 then left({col}, 1) || '***' || substr({col}, "
    "strpos({col}, '@')) else '***' end"
)

MASK_RULES: Mapping[str, MaskRule] = {
    "name": MaskRule("partial", "left({col}, 1) || '***'", "the initial only: ИВАНОВ → И***"),
    "phone": MaskRule(
        "partial",
        _PHONE,
        "country and operator code and the last two digits: +79161234567 → +7916*****67",
    ),
    "email": MaskRule(
        "partial", _EMAIL, "first letter and the domain: ivan.petrov@mail.ru → i***@mail.ru"
    ),
    "contact": MaskRule(
        "partial",
        f"case when strpos({{col}}, '@') > 0 then {_EMAIL} else {_PHONE} end",
        "a phone or an e-mail in one column, each masked as its own kind",
    ),
    "birth_date": MaskRule(
        "generalize",
        "make_date(year({col}), 1, 1)",
        "1 January of the birth year: age and age bands still work",
    ),
    "address": MaskRule(
        "generalize",
        "trim(split_part({col}, ',', 1))",
        "the region (first part of the address): regional analysis, no street or flat",
    ),
    "card": MaskRule(
        "partial",
        "left({col}, 6) || '******'",
        "the BIN (issuer and product) only; the source already delivers a masked PAN",
    ),
    "record_id": MaskRule(
        "keyed_hash",
        # ``contains`` first: most keys hold no '+', and it is cheaper than the regular
        # expression (80.7 M keys of fct_transactions at bank-1m: 3.3 → 1.8 s).
        f"case when contains({{col}}, '+') and regexp_matches({{col}}, '\\+[0-9]') "
        f"then {_HASH} else {{col}} end",
        "source record ids kept, except those that embed a phone (identified callers are "
        "client:phone), which are hashed alike in every column, so record keys still join",
    ),
    "tax_id": MaskRule(
        "keyed_hash", _HASH, "INN, OGRNIP: state identifiers of a person, joins keep working"
    ),
    "snils": MaskRule("keyed_hash", _HASH, "SNILS: an identifier, joins keep working"),
    "document": MaskRule(
        "keyed_hash", _HASH, "identity document fields: identifiers, joins keep working"
    ),
    "device": MaskRule("keyed_hash", _HASH, "device id: an identifier, joins keep working"),
    "network": MaskRule("keyed_hash", _HASH, "IP prefix: an identifier, joins keep working"),
    "free_text": MaskRule(
        "redact", "cast(null as varchar)", "payment purposes and comments may name anyone"
    ),
    "sex": MaskRule(
        "keep", "{col}", "needed for segments and not identifying once the rest is masked"
    ),
}


class UnknownPiiKind(ValueError):
    """A column is tagged with a kind that has no rule: it is never published unmasked."""


def mask_expression(kind: str, column_sql: str) -> str:
    """The SQL that publishes ``column_sql`` (an already quoted column) under its kind's rule."""
    if kind not in MASK_RULES:
        raise UnknownPiiKind(f"no masking rule for pii kind {kind!r} (column {column_sql})")
    masked = MASK_RULES[kind].sql.format(col=column_sql)
    return f"case when {column_sql} is null then null else ({masked}) end"


def declared_relations(manifest_path: Path) -> dict[tuple[str, str], dict[str, str]]:
    """Every relation dbt knows (models, seeds and sources) → its PII columns and their kinds.

    A relation is keyed by its ``(schema, table)`` as DuckDB names it; column names are lower
    case, as DuckDB compares them. A relation with no personal data maps to an empty dict:
    being declared at all is what allows a table to be published."""
    return relations_of(json.loads(Path(manifest_path).read_text(encoding="utf-8")))


def relations_of(manifest: Mapping) -> dict[tuple[str, str], dict[str, str]]:
    """``declared_relations`` of a manifest already parsed."""
    nodes = [n for n in manifest["nodes"].values() if n["resource_type"] in ("model", "seed")]
    relations: dict[tuple[str, str], dict[str, str]] = {}
    for node in [*nodes, *manifest["sources"].values()]:
        table = node.get("identifier") or node.get("alias") or node["name"]
        pii = {}
        for column in node.get("columns", {}).values():
            meta = column.get("meta") or column.get("config", {}).get("meta") or {}
            if "pii" in meta:
                pii[column["name"].lower()] = meta["pii"]
        relations[(node["schema"].lower(), table.lower())] = pii
    return relations
