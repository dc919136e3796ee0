"""A segment through the contact policy: the audience, its waterfall and its holdout.

Every rule is evaluated for every client of the segment into one temporary table
(``activation_audience``: a boolean column per rule), so the waterfall — clients left after
each rule in order — is one aggregate, and a client's row says exactly which rule removed them.
The holdout is drawn from the eligible clients by a hash of campaign and client: the same
client falls on the same side every time the campaign is exported.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import duckdb

from activation.catalog import Segment
from activation.compiler import compile_segment, quote
from activation.fields import CLIENT_360, MEMBERSHIPS, FieldCatalog
from activation.policy import PolicyConfig, Rule, RuleContext, rules

TABLE = "activation_audience"
HASH_BUCKETS = 2**32


def holdout_bucket(campaign_id: str, golden_client_id: str) -> float:
    """The client's position in [0, 1) for this campaign (the SQL below computes the same)."""
    digest = hashlib.md5(f"{campaign_id}:{golden_client_id}".encode()).hexdigest()
    return int(digest[:8], 16) / HASH_BUCKETS


HOLDOUT_SQL = (
    "(('0x' || left(md5($campaign_id || ':' || golden_client_id), 8))::ubigint "
    f"/ {HASH_BUCKETS}.0 < $holdout_share)"
)


@dataclass(frozen=True)
class Audience:
    as_of: dt.date
    segment_rows: int
    waterfall: list[dict]
    """[{rule, summary, legal_basis, clients_before, clients_after, removed}] in order."""
    eligible_rows: int
    holdout_rows: int
    target_rows: int


def warehouse_as_of(con: duckdb.DuckDBPyConnection) -> dt.date:
    """The business date the client 360 describes: the date the policy is judged at."""
    return con.execute("select max(as_of_date) from marts.mart_client_360").fetchone()[0]


def applicable_rules(channel: str) -> list[Rule]:
    return [rule for rule in rules() if rule.applies_to(channel)]


def rule_passes(mode: str, rule_sql: str, client: str) -> str:
    """Whether ``client`` passes a rule whose query lists the clients it requires or excludes.
    A client the rule cannot place (a block on an account of no golden client) lists as NULL;
    it is dropped first, since ``x not in (…, NULL)`` is never true and would exclude everyone
    (bank-300k: one unresolved blocked account emptied every export)."""
    member = (
        f"{client} in (select golden_client_id from ({rule_sql}) "
        "where golden_client_id is not null)"
    )
    return f"coalesce({'not ' if mode == 'exclude' else ''}({member}), false)"


def build_audience(
    con: duckdb.DuckDBPyConnection,
    segment: Segment,
    catalog: FieldCatalog,
    channel: str,
    campaign_id: str,
    policy: PolicyConfig,
    holdout_share: float,
) -> Audience:
    """Evaluate the segment and every rule of the channel into ``activation_audience``
    (temporary, on this connection) and count the waterfall."""
    compiled = compile_segment(segment, catalog)
    as_of = warehouse_as_of(con)
    params: dict[str, object] = dict(compiled.params)
    columns = []
    for rule in applicable_rules(channel):
        ctx = RuleContext(channel=channel, as_of=as_of, policy=policy, rule=rule.name)
        if rule.prepare:
            rule.prepare(con, ctx)
        sql, rule_params = rule.query(ctx)
        params |= rule_params
        columns.append(f"{rule_passes(rule.mode, sql, 's.golden_client_id')} as {quote(rule.name)}")
    passes = " and ".join(quote(r.name) for r in applicable_rules(channel)) or "true"
    con.execute(
        f"""
        create or replace temp table {TABLE} as
        with segment as ({compiled.select()}),
        evaluated as (select s.golden_client_id, {", ".join(columns)} from segment s)
        select *, {passes} as is_eligible,
               {passes} and {HOLDOUT_SQL} as is_holdout
        from evaluated
        """,
        params | {"campaign_id": campaign_id, "holdout_share": holdout_share},
    )
    return _count(con, channel, as_of)


def _count(con: duckdb.DuckDBPyConnection, channel: str, as_of: dt.date) -> Audience:
    applied = applicable_rules(channel)
    cumulative, counts = [], ["count(*)"]
    for rule in applied:
        cumulative.append(quote(rule.name))
        counts.append(f"count(*) filter (where {' and '.join(cumulative)})")
    counts += ["count(*) filter (where is_eligible)", "count(*) filter (where is_holdout)"]
    row = con.execute(f"select {', '.join(counts)} from {TABLE}").fetchone()
    segment_rows, after, eligible, holdout = row[0], row[1:-2], row[-2], row[-1]
    waterfall, before = [], segment_rows
    for rule, clients in zip(applied, after, strict=True):
        waterfall.append(
            {
                "rule": rule.name,
                "summary": rule.summary,
                "legal_basis": rule.legal_basis,
                "clients_before": before,
                "clients_after": clients,
                "removed": before - clients,
            }
        )
        before = clients
    return Audience(as_of, segment_rows, waterfall, eligible, holdout, eligible - holdout)


def lineage() -> list[tuple[str, str]]:
    """Every warehouse relation an export reads besides the score tables (found at run time):
    the segment's sources, the rules' and the channel files' — for the orchestration's graph."""
    relations = {CLIENT_360, MEMBERSHIPS, ("marts", "dim_clients")}
    for rule in rules():
        relations |= {tuple(r.split(".")) for r in rule.reads}
    return sorted(relations)
