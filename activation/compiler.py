"""A segment → parameterised SQL over the client 360, current segments and the scores.

Identifiers come only from the ``FieldCatalog`` whitelist (discovered relations and columns,
quoted); every value the marketer wrote is a named parameter. The query returns one row per
golden client of the segment.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from activation.catalog import Group, Leaf, Segment
from activation.fields import (
    CLIENT_360,
    KEY,
    MEMBERSHIPS,
    SCORES_PREFIX,
    SEGMENT_PREFIX,
    Field,
    FieldCatalog,
)

COMPARISONS = {"eq": "=", "ne": "<>", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
OPERATORS_BY_KIND = {
    "boolean": {"eq", "ne", "is_null", "is_not_null"},
    "text": {"eq", "ne", "in", "not_in", "is_null", "is_not_null"},
    "number": set(COMPARISONS) | {"in", "not_in", "between", "is_null", "is_not_null"},
    "date": set(COMPARISONS) | {"between", "is_null", "is_not_null"},
}


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


@dataclass(frozen=True)
class CompiledSegment:
    """``select golden_client_id {from_sql} where {where_sql}`` with ``params`` bound."""

    from_sql: str
    where_sql: str
    params: dict[str, object]
    expressions: dict[str, str]
    """Field name → its SQL expression (for breakdowns)."""

    def select(self, columns: str = f"c.{KEY}") -> str:
        return f"select {columns} {self.from_sql} where {self.where_sql}"


class _Compiler:
    def __init__(self, segment: Segment, catalog: FieldCatalog, prefix: str):
        self.segment, self.catalog, self.prefix = segment, catalog, prefix
        self.params: dict[str, object] = {}
        self.joins: dict[str, str] = {}
        self.expressions: dict[str, str] = {}

    def param(self, value: object) -> str:
        name = f"{self.prefix}{len(self.params)}"
        self.params[name] = value
        return f"${name}"

    def field(self, name: str, line: int) -> tuple[str, str]:
        """Field name → (SQL expression, kind); joins what it needs."""
        if name.startswith(SEGMENT_PREFIX):
            segment_type = name.removeprefix(SEGMENT_PREFIX)
            if segment_type not in self.catalog.segment_values:
                known = sorted(self.catalog.segment_values)
                raise self.segment.error(
                    line, f"unknown segment type '{segment_type}' (known: {known})"
                )
            alias = f"m_{len(self.joins)}"
            if name not in self.joins:
                self.joins[name] = (
                    f"left join (select {KEY}, segment from {'.'.join(MEMBERSHIPS)} "
                    f"where is_current and segment_type = {self.param(segment_type)}) {alias} "
                    f"using ({KEY})"
                )
                self.expressions[name] = f"{alias}.segment"
            return self.expressions[name], "text"
        field = self.catalog.fields.get(name)
        if field is None:
            raise self.segment.error(
                line,
                f"unknown field '{name}' (use a column of mart_client_360, "
                f"segment.<type> or <model>.<column> of ml.{SCORES_PREFIX}<model>; "
                f"see `cdp segments fields`)",
            )
        if (field.schema, field.table) == CLIENT_360:
            expression = f"c.{quote(field.column)}"
        else:
            expression = self._score(field)
        self.expressions[name] = expression
        return expression, field.kind

    def _score(self, field: Field) -> str:
        relation = f"{quote(field.schema)}.{quote(field.table)}"
        if relation not in self.joins:
            alias = f"s_{len(self.joins)}"
            latest_only = any(
                f.schema == field.schema and f.table == field.table and f.column == "as_of_date"
                for f in self.catalog.fields.values()
            )
            source = (
                f"(select * from {relation} where as_of_date = "
                f"(select max(as_of_date) from {relation}))"
                if latest_only
                else relation
            )
            self.joins[relation] = f"left join {source} {alias} using ({KEY})"
            self.expressions[relation] = alias
        return f"{self.expressions[relation]}.{quote(field.column)}"

    def check_segment_values(self, node: Leaf) -> None:
        segment_type = node.field.removeprefix(SEGMENT_PREFIX)
        known = self.catalog.segment_values[segment_type]
        unknown = {v for v in (node.value if isinstance(node.value, list) else [node.value])}
        unknown -= known
        if unknown:
            raise self.segment.error(
                node.line,
                f"no current '{segment_type}' segment named {sorted(map(str, unknown))} "
                f"(known: {sorted(known)})",
            )

    def value(self, leaf: Leaf, kind: str, value: object) -> str:
        ok = {
            "boolean": isinstance(value, bool),
            "number": isinstance(value, int | float) and not isinstance(value, bool),
            "text": isinstance(value, str),
            "date": isinstance(value, dt.date) or _is_iso_date(value),
        }[kind]
        if not ok:
            raise self.segment.error(
                leaf.line, f"field '{leaf.field}' is {kind}; {value!r} is not a {kind} value"
            )
        if kind == "date" and isinstance(value, str):
            value = dt.date.fromisoformat(value)
        return self.param(value)

    def condition(self, node: Leaf | Group) -> str:
        if isinstance(node, Group):
            parts = [self.condition(child) for child in node.children]
            if node.kind == "not":
                return f"not coalesce({parts[0]}, false)"
            return "(" + (" and " if node.kind == "all" else " or ").join(parts) + ")"
        expression, kind = self.field(node.field, node.line)
        if node.op not in OPERATORS_BY_KIND[kind]:
            raise self.segment.error(
                node.line,
                f"operator '{node.op}' does not apply to {kind} field '{node.field}' "
                f"(allowed: {sorted(OPERATORS_BY_KIND[kind])})",
            )
        if node.field.startswith(SEGMENT_PREFIX) and node.op in {"eq", "ne", "in", "not_in"}:
            self.check_segment_values(node)
        if node.op == "is_null":
            return f"({expression} is null)"
        if node.op == "is_not_null":
            return f"({expression} is not null)"
        if node.op in COMPARISONS:
            return f"({expression} {COMPARISONS[node.op]} {self.value(node, kind, node.value)})"
        if node.op == "between":
            low, high = (self.value(node, kind, v) for v in node.value)
            return f"({expression} between {low} and {high})"
        values = ", ".join(self.value(node, kind, v) for v in node.value)
        negate = "not " if node.op == "not_in" else ""
        return f"(coalesce({expression} {negate}in ({values}), false))"


def _is_iso_date(value: object) -> bool:
    try:
        dt.date.fromisoformat(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return True


def compile_segment(segment: Segment, catalog: FieldCatalog, prefix: str = "s") -> CompiledSegment:
    """Validate the segment's fields, operators and values against the warehouse's whitelist and
    compile it; raises ``CatalogError`` naming the segment and line of the first problem."""
    compiler = _Compiler(segment, catalog, prefix)
    where = compiler.condition(segment.where)
    for name in segment.breakdown:
        compiler.field(name, segment.line)
    from_sql = f"from {'.'.join(CLIENT_360)} c " + " ".join(compiler.joins.values())
    return CompiledSegment(from_sql.strip(), where, compiler.params, compiler.expressions)
