"""The daily increment of the golden record: only what the new loads delivered is resolved.

A full run (``resolution.resolve_clients``) re-reads and re-matches every record. A day's loads
change a few records in ten thousand, so between full runs the stage resolves the records of
the entities those loads delivered (new or changed; ``records.CHANGED_SCOPES``) against the
stored ones with the stored model, and re-clusters only the golden clients they touch:

1. the changed records are standardised; a phone counts as a hub over the stored owners too;
2. Splink scores them among themselves and against every stored record (the same blocking
   rules and model as the full run); shared valid INN/SNILS, must-link rows and system
   mappings add their edges;
3. the touched clients — those the changed records were in, and those any new edge or mapping
   reaches — are clustered again from their stored edges plus the new ones, under the same
   guards, and keep their ids by overlap (merges and splits go to the history);
4. their rows are replaced in the records, links and crosswalk tables, and survivorship runs
   for them alone.

What an increment does not do, a full run does (``CDP_IDENTITY_FULL`` or new overrides):
records that vanished from a re-delivered file stay until then; a phone that becomes a hub
stops counting only for the records resolved after it did; the model is never retrained.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from cdp.warehouse import as_arrow, duckdb_settings
from identity import crosswalk_changes, legal_entities, matching, records, stable_ids, survivorship
from identity.clustering import EDGE_SCHEMA, cluster
from identity.config import MatchingConfig
from identity.overrides import Overrides
from identity.resolution import (
    GOLDEN_PEOPLE_ROWS,
    LOADED_SQL,
    RESOLVED_LOADS,
    ResolutionSummary,
    Timer,
    append_state,
    company_crosswalk,
    decisions,
    exists,
    firm_rows,
    link_edges,
    person_crosswalk,
    record_run,
    resolve_clients,
    stored_model,
    transaction,
    unattached,
)

STATE_TABLES = (
    ("intermediate", "int_client_records_unioned"),
    ("intermediate", "int_client_links_scored"),
    ("marts", "dim_client_crosswalk"),
    ("identity", "resolved_loads"),
    ("identity", "resolution_runs"),
)
SCORED_SCHEMA = {
    "record_key_l": pl.String,
    "record_key_r": pl.String,
    "match_probability": pl.Float64,
    "is_sibling_pattern": pl.Boolean,
}
CLUSTER_COLUMNS = ("record_key", "anchor_id", "inn_valid", "snils_valid")
SUBGRAPH_COLUMNS = (*CLUSTER_COLUMNS, "source", "source_record_id", "role", "lineage_record_id",
                    "_business_date")  # fmt: skip
"""What the touched records need: clustering, then their crosswalk rows."""


def resolve(
    con: duckdb.DuckDBPyConnection,
    overrides: Overrides,
    config: MatchingConfig | None = None,
    full: bool = False,
    retrain: bool = False,
    run_at: dt.datetime | None = None,
) -> ResolutionSummary:
    """The stage's entry point: an increment when the warehouse holds a resolution made with
    the same overrides and a model, else (or when asked) a full run."""
    config = config or MatchingConfig()
    run_at = run_at or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with crosswalk_changes.recorded(con, run_at):
        if full or retrain or not can_increment(con, overrides):
            return resolve_clients(con, overrides, config, retrain=retrain, run_at=run_at)
        with duckdb_settings(
            con, memory_limit=config.duckdb_memory_limit, preserve_insertion_order=False
        ):
            return resolve_increment(con, overrides, config, run_at)


def can_increment(con: duckdb.DuckDBPyConnection, overrides: Overrides) -> bool:
    if not all(exists(con, schema, table) for schema, table in STATE_TABLES):
        return False
    if stored_model(con) is None:
        return False
    stored = con.sql("select * from intermediate.int_client_records_unioned limit 0").columns
    if not set(records.KEPT_COLUMNS) <= set(stored):
        return False  # records kept by an earlier version of the stage: a full run rewrites them
    row = con.execute(
        "select overrides_fingerprint from identity.resolution_runs order by run_at desc limit 1"
    ).fetchone()
    return row is not None and row[0] == overrides.fingerprint()


def resolve_increment(
    con: duckdb.DuckDBPyConnection,
    overrides: Overrides,
    config: MatchingConfig,
    run_at: dt.datetime | None = None,
) -> ResolutionSummary:
    run_at = run_at or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    timer = Timer()
    con.execute(
        f"create or replace temp table pending_loads as select load_id from ({LOADED_SQL}) "
        f"where load_id not in (select load_id from {RESOLVED_LOADS})"
    )
    delta = records.from_warehouse(con, changed_only=True)
    _keep(con, "delta_keys", delta.select("record_key"))
    delta = matching.without_hubs(delta, _hubs(con, delta, config)["phone"])
    timer.lap("records")

    scored = _score(con, delta, stored_model(con), config)
    timer.lap("predict")

    # Identifier edges need every record holding one of the changed records' INN or SNILS
    # (a value on too many records is a hub); then only edges reaching a changed record count.
    linkable = pl.concat([_identifier_holders(con, delta), delta], how="diagonal_relaxed")
    new_edges, new_links = link_edges(linkable, scored, overrides, config)
    reaches = pl.col("record_key_l").is_in(delta["record_key"].implode()) | pl.col(
        "record_key_r"
    ).is_in(delta["record_key"].implode())
    new_edges, new_links = new_edges.filter(reaches), new_links.filter(reaches)
    subgraph, stored_edges = _touched(con, delta, new_edges)
    clustering = cluster(
        subgraph.select(CLUSTER_COLUMNS), pl.concat([stored_edges, new_edges]), overrides.never_link
    )
    previous = subgraph.select("record_key", "golden_client_id").drop_nulls()
    next_number = _next_number(con)
    companies = _changed_companies(con, next_number, run_at)
    if companies is not None:
        companies, company_events = companies
        next_number = max(next_number, stable_ids.next_sequence(companies["golden_client_id"]))
    assigned, events = stable_ids.carry_forward(
        clustering.clusters, previous, clustering.accepted, run_at, next_number=next_number
    )
    people = subgraph.drop("golden_client_id").join(assigned, on="record_key")
    timer.lap("cluster")

    with transaction(con):
        _replace_records(con, delta, people)
        con.execute(
            "delete from intermediate.int_client_links_scored "
            "where record_key_l in (select record_key from delta_keys) "
            "or record_key_r in (select record_key from delta_keys)"
        )
        _insert(con, "intermediate.int_client_links_scored", decisions(new_links, clustering))
        con.execute(
            "delete from marts.dim_client_crosswalk "
            "where record_key in (select record_key from subgraph_keys) "
            "or record_key in (select record_key from delta_keys)"
        )
        _insert(con, "marts.dim_client_crosswalk", person_crosswalk(people, clustering.accepted))
        affected = pl.concat([previous["golden_client_id"], assigned["golden_client_id"]])
        _keep(con, "affected_clients", affected.unique().to_frame())
        scope = survivorship.AFFECTED_CLIENTS
        survivorship.write_contact_points(con, scope)
        survivorship.write_golden_people(con, scope)
        survivorship.write_attribute_sources(con, scope)
        con.execute(f"delete from marts.dim_clients where {scope}")
        con.execute(f"insert into marts.dim_clients by name {GOLDEN_PEOPLE_ROWS}")
        if companies is not None:
            _replace_companies(con, companies)
            events = pl.concat([company_events, events])
        append_state(con, events, None, 0, run_at)
        con.execute(f"insert into {RESOLVED_LOADS} select load_id from pending_loads")
        timer.lap("survivorship_and_write")
        summary = ResolutionSummary(
            records=delta.height,
            golden_clients=con.sql("select count(*) from marts.dim_clients").fetchone()[0],
            persons=assigned["golden_client_id"].n_unique(),
            legal_entities=0 if companies is None else companies["golden_client_id"].n_unique(),
            probabilistic_edges=int((new_links["kind"] == "probabilistic").sum()),
            conflicts=clustering.conflicts.height,
            history_events=events.height,
            model_trained=False,
            mode="increment",
            seconds=timer.laps,
        )
        record_run(con, summary, overrides, run_at)
    return summary


def _insert(con, table: str, frame: pl.DataFrame) -> None:
    con.register("_rows", as_arrow(frame))
    try:
        con.execute(f"insert into {table} by name select * from _rows")
    finally:
        con.unregister("_rows")


def _replace_records(con, delta: pl.DataFrame, people: pl.DataFrame) -> None:
    """The changed records replace their previous versions; the touched clients' other records
    take their (possibly merged or split) golden id."""
    con.execute(
        "delete from intermediate.int_client_records_unioned "
        "where record_key in (select record_key from delta_keys)"
    )
    ids = people.select("record_key", "golden_client_id")
    _insert(con, "intermediate.int_client_records_unioned", delta.join(ids, on="record_key"))
    _keep(con, "moved_records", ids)
    con.execute(
        """
        update intermediate.int_client_records_unioned as r
        set golden_client_id = m.golden_client_id
        from moved_records as m
        where r.record_key = m.record_key and r.golden_client_id <> m.golden_client_id
        """
    )


def _next_number(con) -> int:
    """After every golden id ever issued, retired ones included: an id is never reused."""
    issued = con.sql(
        "select golden_client_id from marts.dim_client_crosswalk "
        "union select golden_client_id from identity.golden_id_history"
    ).pl()["golden_client_id"]
    return stable_ids.next_sequence(issued)


def _changed_companies(con, next_number: int, run_at):
    """When the new loads bring a legal entity, all of them are resolved again (they cluster on
    their INN or OGRN alone, which is cheap): the companies with their ids, and the events."""
    [changed] = con.sql(
        "select count(*) from raw.abs__clients where client_type = 'ЮЛ' "
        "and _load_id in (select load_id from pending_loads)"
    ).fetchone()
    if not changed:
        return None
    companies = legal_entities.records_from_warehouse(con)
    previous = con.sql(
        "select record_key, golden_client_id from marts.dim_client_crosswalk "
        "where role = 'legal_entity'"
    ).pl()
    no_edges = pl.DataFrame(schema=EDGE_SCHEMA)
    assigned, events = stable_ids.carry_forward(
        legal_entities.cluster(companies), previous, no_edges, run_at, next_number=next_number
    )
    return companies.with_columns(assigned["golden_client_id"]), events


def _replace_companies(con, companies: pl.DataFrame) -> None:
    con.execute("delete from marts.dim_client_crosswalk where role = 'legal_entity'")
    _insert(con, "marts.dim_client_crosswalk", company_crosswalk(companies))
    con.execute("delete from marts.dim_corporate_hierarchy_nodes")
    _insert(con, "marts.dim_corporate_hierarchy_nodes", legal_entities.hierarchy(companies))
    con.execute("delete from marts.dim_clients where client_type = 'ЮЛ'")
    _insert(con, "marts.dim_clients", firm_rows(companies))


def _keep(con, name: str, frame: pl.DataFrame) -> None:
    """A frame as a temporary table the SQL of this run can join to."""
    con.register("_frame", as_arrow(frame))
    try:
        con.execute(f"create or replace temp table {name} as select * from _frame")
    finally:
        con.unregister("_frame")


def _hubs(con, delta: pl.DataFrame, config: MatchingConfig) -> pl.DataFrame:
    """Hub phones among the changed records' phones, counting the stored owners of each too."""
    phones = delta.select(pl.col("phones_e164").explode().drop_nulls().unique().alias("phone"))
    _keep(con, "delta_phones", phones)
    stored = con.sql(
        """
        select record_key, anchor_id, list(phone) as phones_e164
        from (
            select record_key, anchor_id, unnest(phones_e164) as phone
            from intermediate.int_client_records_unioned
            where record_key not in (select record_key from delta_keys)
        )
        where phone in (select phone from delta_phones)
        group by all
        """
    ).pl()
    return matching.phone_hubs(
        pl.concat([stored, delta.select(stored.columns)], how="vertical_relaxed"), config
    )


def _score(con, delta: pl.DataFrame, model, config: MatchingConfig) -> pl.DataFrame:
    """Splink scores of the changed records that need placing: among themselves and against
    every stored record other than their own previous versions."""
    candidates = delta.filter(pl.col("role").ne_missing("identified_caller"))
    present = con.sql(
        "select source_record_id from intermediate.int_client_records_unioned "
        "where source = 'abs' union all select unnest(?::varchar[])",
        params=[candidates.filter(pl.col("source") == "abs")["source_record_id"].to_list()],
    ).pl()["source_record_id"]
    incoming = unattached(candidates, present).select(matching.MATCH_COLUMNS)
    if incoming.is_empty():
        return pl.DataFrame(schema=SCORED_SCHEMA)
    known = con.sql(
        f"select {', '.join(matching.MATCH_COLUMNS)} from intermediate.int_client_records_unioned "
        "where role <> 'identified_caller' "
        "and record_key not in (select record_key from delta_keys)"
    ).pl()
    between = matching.predict_between(incoming, known, model, config)
    if incoming.height < 2:
        return between
    among = matching.predict(incoming, model, config).select(between.columns)
    return pl.concat([among, between])


def _identifier_holders(con, delta: pl.DataFrame) -> pl.DataFrame:
    """Stored records holding a valid INN or SNILS of a changed record."""
    _keep(con, "delta_identifiers", delta.select("inn_valid", "snils_valid"))
    return con.sql(
        """
        select record_key, inn_valid, snils_valid from intermediate.int_client_records_unioned
        where record_key not in (select record_key from delta_keys)
          and (inn_valid in (select inn_valid from delta_identifiers)
               or snils_valid in (select snils_valid from delta_identifiers))
        """
    ).pl()


def _touched(con, delta: pl.DataFrame, new_edges: pl.DataFrame):
    """The records of every golden client the changes reach, with their current golden id
    (null for new records), and the stored edges among them."""
    ends = pl.concat([new_edges["record_key_l"], new_edges["record_key_r"]]).unique()
    _keep(con, "edge_ends", ends.to_frame("record_key"))
    abs_ids = delta.filter(pl.col("source") == "abs")["source_record_id"]
    anchors = pl.concat([abs_ids, delta["anchor_id"].drop_nulls()]).unique()
    _keep(con, "delta_anchors", anchors.to_frame("anchor_id"))
    columns = ", ".join(f"r.{c}" for c in SUBGRAPH_COLUMNS)
    stored = con.sql(
        f"""
        with touched as (
            select golden_client_id from marts.dim_client_crosswalk
            where record_key in (select record_key from delta_keys)
               or record_key in (select record_key from edge_ends)
               or anchor_id in (select anchor_id from delta_anchors)
               or (source = 'abs' and source_record_id in (select anchor_id from delta_anchors))
        )
        select distinct {columns}, r.golden_client_id
        from intermediate.int_client_records_unioned as r
        where r.golden_client_id in (select golden_client_id from touched)
          and r.record_key not in (select record_key from delta_keys)
        """
    ).pl()
    _keep(con, "subgraph_keys", stored.select("record_key"))
    stored_edges = con.sql(
        """
        select record_key_l, record_key_r, kind, match_probability
        from intermediate.int_client_links_scored
        where decision in ('accepted', 'redundant')
          and record_key_l in (select record_key from subgraph_keys)
          and record_key_r in (select record_key from subgraph_keys)
        """
    ).pl()
    changed = delta.select(SUBGRAPH_COLUMNS).join(
        con.sql(
            "select record_key, golden_client_id from marts.dim_client_crosswalk "
            "where record_key in (select record_key from delta_keys)"
        ).pl(),
        on="record_key",
        how="left",
    )
    return pl.concat([stored, changed], how="vertical_relaxed"), stored_edges.cast(EDGE_SCHEMA)
