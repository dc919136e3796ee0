"""Identity stage: the golden client record resolved across the four source systems.

One multi-asset runs the resolution (records → Splink edges → guarded clusters → stable ids →
survivorship) and writes its tables in one transaction; the quality mart and the blocking
invariants read what it wrote. Not partitioned by date: a run resolves the records of every raw
load not yet resolved (a daily increment, ``identity/increment.py``) or, when nothing is stored
yet, the overrides changed or ``CDP_IDENTITY_FULL`` asks, all records at once.
"""

import dagster as dg

from cdp.settings import Settings
from cdp.warehouse import as_arrow, connect
from identity import quality
from identity.config import MatchingConfig
from identity.increment import resolve
from identity.matching import phone_hubs
from identity.overrides import load_overrides
from identity.records import PERSON_TABLES

RESOLVE_OUTPUTS = {
    ("intermediate", "int_client_records_unioned"): "Person records of every source in the "
    "standard shape with their matching keys (folded names, E.164 phones, canonical e-mails, "
    "valid INN/SNILS only). Grain: one row per source person record.",
    ("intermediate", "int_client_links_scored"): "Every edge the resolution considered — steward "
    "overrides, shared valid INN/SNILS, Splink matches — with its probability and decision "
    "(accepted, redundant, below threshold, refused by a guard).",
    ("marts", "dim_clients"): "The golden client record: one row per golden_client_id (persons, "
    "sole proprietors, legal entities) with surviving attributes; personal data.",
    ("marts", "dim_client_crosswalk"): "Every source record (АБС client, card holder, ДБО login, "
    "identified caller) → its golden client, and how it was linked.",
    ("marts", "dim_client_contacts"): "Every phone and e-mail of every client with validity, "
    "first/last seen dates and the systems it came from.",
    ("marts", "dim_client_attribute_sources"): "For every golden attribute, the source record it "
    "was taken from and its value.",
    ("marts", "dim_corporate_hierarchy_nodes"): "Each legal entity with its parent and the root "
    "of its holding group.",
    ("identity", "golden_id_history"): "Append-only history of golden ids: created, merged_into, "
    "split_from, retired, with the reason and the run.",
    ("identity", "crosswalk_changes"): "Append-only: every record whose golden client a "
    "resolution changed, added or dropped, with the run; the incremental client tables rebuild "
    "both clients.",
    ("identity", "match_models"): "Every record-linkage model trained (Splink JSON), with when and "
    "on how many records; the latest is used until retrained.",
    ("identity", "resolved_loads"): "The raw loads whose person records the golden record has "
    "taken in; a daily increment resolves the rest.",
    ("identity", "resolution_runs"): "One row per resolution: when, full or increment, the "
    "overrides fingerprint, records resolved, golden clients, edges, conflicts and seconds.",
}


@dg.multi_asset(
    name="resolve_clients",
    specs=[
        dg.AssetSpec(
            dg.AssetKey(list(key)),
            deps=[dg.AssetKey(["raw", t]) for t in PERSON_TABLES],
            group_name="identity",
            kinds={"duckdb", "splink"},
            description=description,
        )
        for key, description in RESOLVE_OUTPUTS.items()
    ],
    check_specs=[
        dg.AssetCheckSpec(
            inv.name,
            asset=dg.AssetKey(["marts", "dim_clients"]),
            blocking=inv.blocking,
            description=inv.description,
        )
        for inv in quality.INVARIANTS
    ]
    + [
        dg.AssetCheckSpec(
            "no_cluster_is_oversized",
            asset=dg.AssetKey(["marts", "dim_clients"]),
            description="Alert on golden clients with more source records than a person has: "
            "a bridge record may be joining several people.",
        )
    ],
)
def resolve_clients_asset(context: dg.AssetExecutionContext, settings: dg.ResourceParam[Settings]):
    config = MatchingConfig()
    overrides = load_overrides(settings.identity_overrides_dir)
    with connect(settings) as con:
        summary = resolve(
            con, overrides, config, full=settings.identity_full, retrain=settings.identity_retrain
        )
        invariants = quality.check_invariants(con)
        oversized = quality.oversized_clusters(con, config.max_cluster_records)
    for key in RESOLVE_OUTPUTS:
        yield dg.MaterializeResult(
            asset_key=dg.AssetKey(list(key)),
            metadata={
                "source_records": summary.records,
                "golden_clients": summary.golden_clients,
                "conflicts_refused": summary.conflicts,
                "history_events": summary.history_events,
                "model_trained": summary.model_trained,
                "mode": summary.mode,
                "seconds": dg.MetadataValue.json(summary.seconds),
            },
        )
    for inv, offenders in invariants:
        yield dg.AssetCheckResult(
            asset_key=dg.AssetKey(["marts", "dim_clients"]),
            check_name=inv.name,
            passed=not offenders,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={"examples": dg.MetadataValue.json(offenders)},
        )
    yield dg.AssetCheckResult(
        asset_key=dg.AssetKey(["marts", "dim_clients"]),
        check_name="no_cluster_is_oversized",
        passed=not oversized,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"oversized": dg.MetadataValue.json([list(r) for r in oversized])},
    )


@dg.asset(
    key=["marts", "mart_identity_quality"],
    deps=[dg.AssetKey(list(key)) for key in RESOLVE_OUTPUTS],
    group_name="identity",
    kinds={"duckdb"},
)
def mart_identity_quality(context: dg.AssetExecutionContext, settings: dg.ResourceParam[Settings]):
    """How well the golden record consolidates the sources: consolidation rate per source pair,
    cluster-size distribution, edges refused by guards, override hits, phone hubs. Grain: one
    row per metric and dimension, for the latest resolution."""
    overrides = load_overrides(settings.identity_overrides_dir)
    with connect(settings) as con:
        records = con.sql(
            "select record_key, anchor_id, phones_e164 from intermediate.int_client_records_unioned"
        ).pl()
        hubs = phone_hubs(records, MatchingConfig()).height
        report = quality.quality_report(con, overrides, hubs)
        con.register("_report", as_arrow(report))
        con.execute("create or replace table marts.mart_identity_quality as select * from _report")
    return dg.MaterializeResult(metadata={"metrics": report.height, "phone_hubs": hubs})


IDENTITY_ASSETS = (resolve_clients_asset, mart_identity_quality)
resolve_clients_job = dg.define_asset_job(
    "resolve_clients_job",
    # The stage's own assets and checks only: the dbt source tests on these tables run in the
    # warehouse job, not as a dbt step inside this one.
    selection=dg.AssetSelection.assets(*IDENTITY_ASSETS).without_checks()
    | dg.AssetSelection.checks(*(key for a in IDENTITY_ASSETS for key in a.check_keys)),
    description="Resolve the golden client record from the raw person records.",
)

defs = dg.Definitions(assets=list(IDENTITY_ASSETS), jobs=[resolve_clients_job])
