"""The identity stage end to end on the warehouse: records → edges → clusters → stable ids →
golden records, written as tables in one transaction.

Tables: ``intermediate.int_client_records_unioned`` (standardised person records),
``intermediate.int_client_links_scored`` (every edge considered, with its decision),
``marts.dim_clients``, ``marts.dim_client_crosswalk``, ``marts.dim_client_contacts``,
``marts.dim_client_attribute_sources``, ``marts.dim_corporate_hierarchy_nodes``, and the stage's own
state ``identity.golden_id_history`` (append-only) and ``identity.match_models``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import resource
import time
from dataclasses import dataclass, field

import duckdb
import polars as pl

from cdp.warehouse import as_arrow, duckdb_settings
from identity import legal_entities, matching, records, stable_ids, survivorship
from identity.clustering import EDGE_SCHEMA, cluster, identifier_edges
from identity.config import MatchingConfig
from identity.overrides import Overrides

logger = logging.getLogger(__name__)

MAX_RECORDS_PER_IDENTIFIER = 5
"""A valid INN or SNILS on more records than this is a hub, not a person: a person has at most
three АБС records in practice (duplicates plus an ИП role)."""


@dataclass
class ResolutionSummary:
    records: int
    golden_clients: int
    persons: int
    legal_entities: int
    probabilistic_edges: int
    conflicts: int
    history_events: int
    model_trained: bool
    mode: str = "full"
    seconds: dict[str, float] = field(default_factory=dict)


def stored_model(con: duckdb.DuckDBPyConnection) -> matching.TrainedModel | None:
    if not exists(con, "identity", "match_models"):
        return None
    row = con.execute(
        "select model_json from identity.match_models order by trained_at desc limit 1"
    ).fetchone()
    return matching.TrainedModel(json.loads(row[0])) if row else None


def resolve_clients(
    con: duckdb.DuckDBPyConnection,
    overrides: Overrides,
    config: MatchingConfig | None = None,
    retrain: bool = False,
    run_at: dt.datetime | None = None,
) -> ResolutionSummary:
    config = config or MatchingConfig()
    with duckdb_settings(
        con, memory_limit=config.duckdb_memory_limit, preserve_insertion_order=False
    ):
        return _resolve(con, overrides, config, retrain, run_at)


def _resolve(con, overrides, config, retrain, run_at) -> ResolutionSummary:
    run_at = run_at or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    timer = Timer()
    loads = con.sql(LOADED_SQL).pl()
    persons = matching.hub_free(records.from_warehouse(con), config)
    timer.lap("records")
    model = None if retrain else stored_model(con)
    trained = model is None
    candidates = persons.select(
        *matching.MATCH_COLUMNS, "source", "source_record_id", "anchor_id", "role"
    ).filter(pl.col("role").ne_missing("identified_caller"))
    training_records = candidates.height
    if model is None:
        sample = training_sample(candidates, config.max_training_records, config.seed)
        labels = matching.silver_labels(
            sample, identifier_edges(sample, MAX_RECORDS_PER_IDENTIFIER)
        )
        model = matching.train(sample, labels, config)
        del sample, labels
        timer.lap("train")
    scored = matching.predict(unattached(candidates), model, config)
    del candidates
    timer.lap("predict")
    edges, links = link_edges(persons, scored, overrides, config)
    del scored
    clustering = cluster(persons, edges, overrides.never_link)
    timer.lap("cluster")

    companies = legal_entities.records_from_warehouse(con)
    all_clusters = pl.concat([clustering.clusters, legal_entities.cluster(companies)])
    previous = (
        con.sql("select record_key, golden_client_id from marts.dim_client_crosswalk").pl()
        if exists(con, "marts", "dim_client_crosswalk")
        else None
    )
    assigned, events = stable_ids.carry_forward(all_clusters, previous, clustering.accepted, run_at)
    del all_clusters, previous
    # ``assigned`` follows the order of the clusters, which follow the records: the id is added
    # as a column, not joined, so the wide frame is not copied (a join doubled the peak).
    persons = persons.with_columns(assigned["golden_client_id"].head(persons.height))
    companies = companies.with_columns(assigned["golden_client_id"].tail(companies.height))
    if not assigned["record_key"].head(persons.height).equals(persons["record_key"]):
        raise AssertionError("golden ids out of step with the records")
    timer.lap("stable_ids")

    summary = ResolutionSummary(
        records=persons.height + companies.height,
        golden_clients=assigned["golden_client_id"].n_unique(),
        persons=persons["golden_client_id"].n_unique(),
        legal_entities=companies["golden_client_id"].n_unique(),
        probabilistic_edges=int((links["kind"] == "probabilistic").sum()),
        conflicts=clustering.conflicts.height,
        history_events=events.height,
        model_trained=trained,
        seconds=timer.laps,
    )
    # Each table is built just before it is written, inside one transaction: readers see the
    # old golden record or the new one, never a mix.
    with transaction(con):
        replace_table(con, "intermediate.int_client_records_unioned", persons)
        replace_table(con, "intermediate.int_client_links_scored", decisions(links, clustering))
        crosswalk = crosswalk_rows(persons, companies, clustering.accepted)
        replace_table(con, "marts.dim_client_crosswalk", crosswalk)
        replace_table(
            con, "marts.dim_corporate_hierarchy_nodes", legal_entities.hierarchy(companies)
        )
        # The records are in DuckDB now: the rest is SQL over them, and the frames' memory
        # goes back before survivorship runs.
        del persons, crosswalk, links
        survivorship.write_contact_points(con)
        survivorship.write_golden_people(con)
        survivorship.write_attribute_sources(con)
        _write_dim_clients(con, companies)
        append_state(con, events, model if trained else None, training_records, run_at)
        replace_table(con, RESOLVED_LOADS, loads)
        timer.lap("survivorship_and_write")
        record_run(con, summary, overrides, run_at)
    return summary


LOADED_SQL = " union ".join(
    f"select distinct _load_id as load_id from raw.{table}" for table in records.PERSON_TABLES
)
RESOLVED_LOADS = "identity.resolved_loads"
"""The raw loads (``_load_id``) whose rows the golden record has taken in: a daily increment
resolves the records of the loads not in it."""


def record_run(con, summary: ResolutionSummary, overrides: Overrides, run_at) -> None:
    """One row per resolution in ``identity.resolution_runs``: when, full or increment, with
    which overrides (an increment needs the overrides of the last full run) and its figures."""
    con.execute(
        "create table if not exists identity.resolution_runs (run_at timestamp, mode varchar, "
        "overrides_fingerprint varchar, records bigint, golden_clients bigint, "
        "probabilistic_edges bigint, conflicts bigint, history_events bigint, seconds json)"
    )
    con.execute(
        "insert into identity.resolution_runs values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [run_at, summary.mode, overrides.fingerprint(), summary.records, summary.golden_clients,
         summary.probabilistic_edges, summary.conflicts, summary.history_events,
         json.dumps(summary.seconds)],
    )  # fmt: skip


def training_sample(candidates: pl.DataFrame, max_records: int, seed: int) -> pl.DataFrame:
    """Whole clients for training — an АБС record with every record mapped to it — so the
    silver labels keep their mix of sources; capped, since the parameters settle long before
    a million records."""
    owner = pl.coalesce("anchor_id", pl.col("record_key"))
    owners = candidates.select(owner.alias("owner")).unique().sort("owner")
    share = min(1.0, max_records / max(candidates.height, 1))
    chosen = owners.sample(fraction=share, seed=seed)
    return candidates.filter(owner.is_in(chosen["owner"].implode()))


def unattached(candidates: pl.DataFrame, present: pl.Series | None = None) -> pl.DataFrame:
    """Records Splink has to place: АБС records and the satellites (holders, logins) whose
    system mapping is missing or points to no delivered АБС client (``present``: the АБС ids
    delivered, by default those among the candidates). A mapped satellite already sits with its
    АБС client; scoring it again would only repeat what the mapping says."""
    if present is None:
        present = candidates.filter(pl.col("source") == "abs")["source_record_id"]
    mapped = (pl.col("source") != "abs") & pl.col("anchor_id").is_in(present.implode()).fill_null(
        False
    )
    return candidates.filter(~mapped)


def link_edges(persons, scored, overrides: Overrides, config: MatchingConfig):
    """Every edge to consider, and the probabilistic ones below the bar or refused by the
    sibling guard kept for the links table."""
    probabilistic = scored.select(
        "record_key_l",
        "record_key_r",
        pl.lit("probabilistic").alias("kind"),
        "match_probability",
        pl.when(pl.col("is_sibling_pattern"))
        .then(pl.lit("refused_sibling_guard"))
        .when(pl.col("match_probability") < config.match_probability)
        .then(pl.lit("below_threshold"))
        .alias("decision"),
    )
    must = overrides.must_link.select(
        "record_key_l",
        "record_key_r",
        pl.lit("must_link").alias("kind"),
        pl.lit(1.0).alias("match_probability"),
        pl.lit(None, dtype=pl.String).alias("decision"),
    )
    ids = identifier_edges(persons, MAX_RECORDS_PER_IDENTIFIER).with_columns(
        pl.lit(None, dtype=pl.String).alias("decision")
    )
    links = pl.concat([must, ids, probabilistic])
    edges = links.filter(pl.col("decision").is_null()).select(list(EDGE_SCHEMA))
    return edges, links


def decisions(links: pl.DataFrame, clustering) -> pl.DataFrame:
    keys = ["record_key_l", "record_key_r", "kind"]
    accepted = clustering.accepted.select(*keys, pl.lit("accepted").alias("_accepted"))
    refused = clustering.conflicts.select(*keys, ("refused_" + pl.col("reason")).alias("_refused"))
    return (
        links.join(accepted, on=keys, how="left")
        .join(refused, on=keys, how="left")
        .select(
            *keys,
            "match_probability",
            pl.coalesce("decision", "_refused", "_accepted", pl.lit("redundant")).alias("decision"),
        )
    )


def crosswalk_rows(persons, companies, accepted) -> pl.DataFrame:
    return pl.concat([person_crosswalk(persons, accepted), company_crosswalk(companies)])


def person_crosswalk(persons: pl.DataFrame, accepted: pl.DataFrame) -> pl.DataFrame:
    """Each person record → its golden client, and the kinds of edge that linked it."""
    kinds = (
        pl.concat(
            [
                accepted.select(pl.col("record_key_l").alias("record_key"), "kind"),
                accepted.select(pl.col("record_key_r").alias("record_key"), "kind"),
            ]
        )
        .group_by("record_key")
        .agg(pl.col("kind").unique().sort().str.join(",").alias("linked_by"))
    )
    rows = persons.select(
        "record_key",
        "source",
        "source_record_id",
        "role",
        "golden_client_id",
        "anchor_id",
        "lineage_record_id",
        "_business_date",
    ).join(kinds, on="record_key", how="left")
    return rows.with_columns(
        pl.when(pl.col("linked_by").is_null() & (pl.col("source") != "abs"))
        .then(pl.when(pl.col("anchor_id").is_not_null()).then(pl.lit("system_mapping")))
        .otherwise(pl.col("linked_by"))
        .alias("linked_by")
    )


def company_crosswalk(companies: pl.DataFrame) -> pl.DataFrame:
    """Each legal-entity record → its golden client (linked by its INN or OGRN, not by edges)."""
    return companies.select(
        "record_key",
        "source",
        "source_record_id",
        pl.lit("legal_entity").alias("role"),
        "golden_client_id",
        pl.lit(None, dtype=pl.String).alias("anchor_id"),
        "lineage_record_id",
        "_business_date",
        pl.lit(None, dtype=pl.String).alias("linked_by"),
    )


def _write_dim_clients(con, companies: pl.DataFrame) -> None:
    """Persons from the golden attributes DuckDB picked, legal entities from their head office."""
    con.register("_firms", as_arrow(firm_rows(companies)))
    try:
        con.execute(
            f"""
            create or replace table marts.dim_clients as
            select {", ".join(DIM_CLIENT_COLUMNS)}
            from ({GOLDEN_PEOPLE_ROWS} union all by name select * from _firms)
            order by golden_client_id
            """
        )
    finally:
        con.unregister("_firms")
    logger.info("identity: wrote marts.dim_clients (peak memory so far %.1f GiB)", _peak_gib())


GOLDEN_PEOPLE_ROWS = (
    f"select golden_client_id, {survivorship.golden_people_columns()} from golden_people"
)
"""The persons of ``dim_clients``, from the temporary table survivorship wrote."""


def firm_rows(companies: pl.DataFrame) -> pl.DataFrame:
    """The legal entities of ``dim_clients``: each company from its head office."""
    return (
        legal_entities.golden_records(companies)
        .with_columns(pl.lit("ЮЛ").alias("client_type"))
        .rename({"branch_records": "abs_records"})
    )


DIM_CLIENT_COLUMNS = (
    "golden_client_id",
    "client_type",
    "surname",
    "first_name",
    "patronymic",
    "organization_name",
    "birth_date",
    "sex",
    "document_type",
    "document_series",
    "document_number",
    "inn",
    "snils",
    "ogrnip",
    "ogrn",
    "kpp",
    "okved_code",
    "registration_address",
    "mobile_phone",
    "email",
    "is_sole_proprietor",
    "has_individual_record",
    "registration_date",
    "head_office_abs_client_id",
    "abs_records",
    "card_holder_records",
    "dbo_logins",
    "caller_records",
)
"""Column order of ``marts.dim_clients``, as documented in its YAML."""


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection):
    con.execute("begin transaction")
    try:
        for schema in ("intermediate", "marts", "identity"):
            con.execute(f"create schema if not exists {schema}")
        yield
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


def replace_table(con: duckdb.DuckDBPyConnection, name: str, frame: pl.DataFrame) -> None:
    started = time.perf_counter()
    con.register("_frame", as_arrow(frame))
    try:
        con.execute(f"create or replace table {name} as select * from _frame")
    finally:
        con.unregister("_frame")
    logger.info(
        "identity: wrote %s, %d rows in %.1f s (peak memory so far %.1f GiB)", name,
        frame.height, time.perf_counter() - started, _peak_gib(),
    )  # fmt: skip


def _peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def append_state(con, events, model, training_records, run_at) -> None:
    """The history rows of this run and, when one was trained, the model."""
    con.register("_events", as_arrow(events))
    con.execute(
        "create table if not exists identity.golden_id_history as select * from _events where false"
    )
    con.execute("insert into identity.golden_id_history select * from _events")
    con.unregister("_events")
    con.execute(
        "create table if not exists identity.match_models (trained_at timestamp, "
        "training_records bigint, model_json varchar)"
    )
    if model is not None:
        con.execute(
            "insert into identity.match_models values (?, ?, ?)",
            [run_at, training_records, json.dumps(model.model_json)],
        )


def exists(con, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchone()[0]
    )


class Timer:
    """Seconds per phase, also logged as they happen: a long run shows where it is."""

    def __init__(self):
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(now - self._last, 2)
        self._last = now
        logger.info("identity: %s took %.1f s (peak memory so far %.1f GiB)", name,
                    self.laps[name], _peak_gib())  # fmt: skip
