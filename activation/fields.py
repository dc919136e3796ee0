"""The fields a segment may use, discovered from the warehouse and dbt's manifest.

Nothing here lists columns: a field is any column of ``marts.mart_client_360`` or of an
``ml.ml_scores__<model>`` table that exists in the warehouse, is declared by dbt (as a model or
a source) and carries no ``meta.pii`` tag, plus the current segment of every segment type in
``marts.mart_segment_memberships``. A new score table (cross-sell, lead priority) becomes usable
as ``<model>.<column>`` as soon as it is written and declared. Identifiers reach the SQL only
from this whitelist; values are always bound parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from serving.masking import declared_relations

CLIENT_360 = ("marts", "mart_client_360")
MEMBERSHIPS = ("marts", "mart_segment_memberships")
SCORES_SCHEMA, SCORES_PREFIX = "ml", "ml_scores__"
SEGMENT_PREFIX = "segment."
KEY = "golden_client_id"


def kind_of(data_type: str) -> str:
    """DuckDB type → the kind that decides which operators and values a field accepts."""
    upper = data_type.upper()
    if upper == "BOOLEAN":
        return "boolean"
    if upper.startswith(("TIMESTAMP", "DATE")):
        return "date"
    if upper.startswith(("VARCHAR", "TEXT", "STRING", "ENUM", "UUID")):
        return "text"
    if upper.startswith(
        ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
         "UINTEGER", "UBIGINT", "DECIMAL", "DOUBLE", "FLOAT", "REAL", "NUMERIC")
    ):  # fmt: skip
        return "number"
    return "other"


@dataclass(frozen=True)
class Field:
    """A usable field: where it lives (a relation of the whitelist) and its kind."""

    name: str
    schema: str
    table: str
    column: str
    kind: str


@dataclass(frozen=True)
class FieldCatalog:
    fields: dict[str, Field]
    segment_values: dict[str, frozenset[str]]
    """Segment type → the segments currently assigned (values a membership condition may use)."""

    def describe(self) -> list[str]:
        lines = [f"{f.name} ({f.kind})" for f in self.fields.values()]
        lines += [f"{SEGMENT_PREFIX}{t} (text)" for t in self.segment_values]
        return sorted(lines)


def discover(con: duckdb.DuckDBPyConnection, manifest_path: Path) -> FieldCatalog:
    """Read the whitelist from the warehouse's catalog and dbt's manifest."""
    declared = declared_relations(manifest_path)
    rows = con.execute(
        """
        select table_schema, table_name, column_name, data_type
        from information_schema.columns
        where (table_schema = $schema_360 and table_name = $table_360)
           or (table_schema = $scores_schema and starts_with(table_name, $scores_prefix))
        order by table_schema, table_name, ordinal_position
        """,
        {
            "schema_360": CLIENT_360[0],
            "table_360": CLIENT_360[1],
            "scores_schema": SCORES_SCHEMA,
            "scores_prefix": SCORES_PREFIX,
        },
    ).fetchall()
    fields: dict[str, Field] = {}
    for schema, table, column, data_type in rows:
        relation = (schema.lower(), table.lower())
        if relation not in declared or column.lower() in declared[relation] or column == KEY:
            continue
        if column.startswith("_"):  # a build stamp (when and from what a row was written)
            continue
        model = table.removeprefix(SCORES_PREFIX)
        name = column if relation == CLIENT_360 else f"{model}.{column}"
        kind = kind_of(data_type)
        if kind != "other":
            fields[name] = Field(name, schema, table, column, kind)
    segment_values: dict[str, frozenset[str]] = {}
    if MEMBERSHIPS in declared:
        values = con.execute(
            f"select segment_type, list(distinct segment) from {'.'.join(MEMBERSHIPS)} "
            "where is_current group by segment_type"
        ).fetchall()
        segment_values = {t: frozenset(v) for t, v in values}
    return FieldCatalog(fields, segment_values)


DBT_MANIFEST = Path(__file__).resolve().parents[1] / "dbt_project" / "target" / "manifest.json"
"""dbt's manifest (``make setup`` writes it): which relations are declared and their PII tags."""
