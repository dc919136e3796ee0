"""``cdp segments preview``: a segment's size and breakdowns, straight from the warehouse."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import duckdb

from activation.catalog import Segment
from activation.compiler import compile_segment
from activation.fields import FieldCatalog

DEFAULT_BREAKDOWN = ("client_type", "value_tier", "lifecycle_stage")


@dataclass(frozen=True)
class Preview:
    segment: str
    size: int
    breakdowns: dict[str, list[tuple[object, int]]]
    seconds: float


def preview(con: duckdb.DuckDBPyConnection, segment: Segment, catalog: FieldCatalog) -> Preview:
    """Size and, per breakdown field (the segment's own, else client type, value tier and
    lifecycle), the clients of each value — one grouping-sets query."""
    started = time.perf_counter()
    breakdown = segment.breakdown or tuple(f for f in DEFAULT_BREAKDOWN if f in catalog.fields)
    expanded = dataclasses.replace(segment, breakdown=breakdown)
    compiled = compile_segment(expanded, catalog)
    expressions = [compiled.expressions[name] for name in breakdown]
    keys = ", ".join(f"{e} as b{i}" for i, e in enumerate(expressions))
    sets = ", ".join(["()", *(f"(b{i})" for i in range(len(expressions)))])
    grouping = ", ".join(["0", *(f"grouping(b{i})" for i in range(len(expressions)))])
    rows = con.execute(
        f"""
        with s as ({compiled.select(f"c.golden_client_id{', ' + keys if keys else ''}")})
        select {", ".join(f"b{i}" for i in range(len(expressions))) or "null"}, count(*),
               {"[" + grouping + "]"} as g
        from s group by grouping sets ({sets})
        """,
        compiled.params,
    ).fetchall()
    size, breakdowns = 0, {name: [] for name in breakdown}
    for row in rows:
        values, count, flags = row[: len(breakdown)], row[-2], row[-1][1:]
        if all(flags):
            size = count
            continue
        i = flags.index(0)
        breakdowns[breakdown[i]].append((values[i], count))
    for name in breakdowns:
        breakdowns[name].sort(key=lambda item: -item[1])
    return Preview(segment.name, size, breakdowns, time.perf_counter() - started)
