"""Identity quality: how well the golden record consolidates the sources, and its invariants.

Figures (``marts.mart_identity_quality``, one row per metric and dimension): consolidation rate
per source pair (share of clients with a record in the first system who also have one in the
second), cluster-size distribution, edges refused by a guard, override hits and phone hubs.
Invariants (blocking checks): no client holds two different valid INNs or SNILS, every source
record has exactly one golden client; oversized clusters are alerted.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import polars as pl

from identity.overrides import Overrides

QUALITY_SQL = """
with per_client as (
    select golden_client_id, list(distinct source) as sources
    from marts.dim_client_crosswalk group by all
),
systems as (select distinct source from marts.dim_client_crosswalk),
sizes as (
    select golden_client_id, count(*) as records from marts.dim_client_crosswalk group by all
)
select 'consolidation_rate' as metric, a.source || '→' || b.source as dimension,
       avg(case when list_contains(c.sources, b.source) then 1.0 else 0.0 end) as value
from per_client as c, systems as a, systems as b
where a.source <> b.source and list_contains(c.sources, a.source)
group by all
union all
select 'cluster_size', case when records >= 10 then '10+' else cast(records as varchar) end,
       count(*)
from sizes group by all
union all
select 'edges_' || decision, kind, count(*)
from intermediate.int_client_links_scored where decision <> 'redundant' group by all
union all
select 'golden_clients', client_type, count(*) from marts.dim_clients group by all
union all
select 'source_records', source, count(*) from marts.dim_client_crosswalk group by all
"""


def quality_report(con: duckdb.DuckDBPyConnection, overrides: Overrides, hubs: int) -> pl.DataFrame:
    figures = con.sql(QUALITY_SQL).pl()
    hits = overrides.hits(
        con.sql("select record_key from marts.dim_client_crosswalk").pl()["record_key"]
    )
    extra = (
        [
            ("override_rows", kind, float(hits.filter(pl.col("kind") == kind).height))
            for kind in ("must_link", "never_link")
        ]
        + [
            ("override_hits", kind, float(hits.filter(pl.col("kind") == kind)["is_applied"].sum()))
            for kind in ("must_link", "never_link")
        ]
        + [("phone_hubs", "all", float(hubs))]
    )
    return pl.concat(
        [
            figures.with_columns(pl.col("value").cast(pl.Float64)),
            pl.DataFrame(extra, schema=figures.schema, orient="row"),
        ]
    ).sort("metric", "dimension")


@dataclass(frozen=True)
class Invariant:
    name: str
    description: str
    sql: str
    blocking: bool


INVARIANTS = (
    Invariant(
        "no_client_holds_two_valid_inns",
        "INN is issued once for life: a golden client with two different valid INNs is two "
        "people merged.",
        "select golden_client_id from intermediate.int_client_records_unioned "
        "where inn_valid is not null group by all having count(distinct inn_valid) > 1",
        True,
    ),
    Invariant(
        "no_client_holds_two_valid_snils",
        "SNILS is issued once for life: two different valid ones in a client are two people.",
        "select golden_client_id from intermediate.int_client_records_unioned "
        "where snils_valid is not null group by all having count(distinct snils_valid) > 1",
        True,
    ),
    Invariant(
        "every_source_record_has_one_golden_client",
        "Every person and company record of every source maps to exactly one golden client.",
        "select record_key from marts.dim_client_crosswalk group by all "
        "having count(distinct golden_client_id) <> 1 or max(golden_client_id) is null",
        True,
    ),
)


def check_invariants(con: duckdb.DuckDBPyConnection) -> list[tuple[Invariant, list]]:
    return [(inv, [r[0] for r in con.execute(inv.sql).fetchmany(20)]) for inv in INVARIANTS]


def oversized_clusters(con: duckdb.DuckDBPyConnection, max_records: int) -> list[tuple]:
    return con.execute(
        "select golden_client_id, count(*) as records from marts.dim_client_crosswalk "
        "group by all having count(*) > ? order by records desc limit 20",
        [max_records],
    ).fetchall()
