"""Serving stage: the marts published to a read-only copy for analysts and BI, and dbt docs.

DuckDB allows one writer per file and any open reader blocks that writer, so readers never open
the warehouse: after each build the consumer schemas (``settings.serving_schemas``) are
published to a separate database file and to Parquet, personal data masked by the kind dbt's
YAML declares (``serving/``, docs/serving.md). What the copy depends on is chosen by selection —
every asset of the published schemas, whoever writes it (dbt, the identity stage, ML) — never
by a list of names.
"""

import datetime as dt

import dagster as dg
from dagster_dbt import DbtCliResource

from cdp.settings import Settings
from cdp.warehouse import connect
from orchestration.defs.warehouse import dbt_command, dbt_project, run_artifacts_dir
from serving.docs import DOCS_FILES, docs_fingerprint, publish_docs, published_fingerprint
from serving.masking import declared_relations
from serving.month_files import declared_month_files
from serving.publish import current_publication_dir, publish, serving_database_path
from serving.verify import (
    record_masking_verified,
    row_count_mismatches,
    unmasked_pii_columns,
    unpublished_tables,
    verified_months,
)

WAREHOUSE_COPY = dg.AssetKey(["serving", "warehouse_copy"])


def _relations():
    return declared_relations(dbt_project().manifest_path)


def _layouts():
    return declared_month_files(dbt_project().manifest_path)


def build_defs(settings: Settings, upstream: dg.Definitions) -> dg.Definitions:
    """The serving assets, their checks and ``publish_serving_job``; ``upstream`` holds the
    stages before this one, from which the published schemas' assets are selected."""
    assets = list(upstream.assets or [])
    published = dg.AssetSelection.key_prefixes(*([s] for s in settings.serving_schemas))
    published_keys = sorted(published.resolve(assets), key=lambda k: k.path)
    dbt_models = sorted(dg.AssetSelection.kind("dbt").resolve(assets), key=lambda k: k.path)

    @dg.asset(key=WAREHOUSE_COPY, deps=published_keys, group_name="serving",
              kinds={"duckdb", "parquet"})  # fmt: skip
    def warehouse_copy(context: dg.AssetExecutionContext, settings: dg.ResourceParam[Settings]):
        """The copy of the warehouse analysts and BI read: every table of the published schemas
        (marts, ml) as Parquet in `serving/current/<schema>/<table>.parquet` (the big facts as
        `<table>/<YYYY-MM>.parquet`, unchanged months linked from the publication before) and as
        a view over it in `serving/cdp_serving.duckdb` (open it read-only), replaced whole after
        each build so readers never wait for the pipeline nor see half a publication. Personal
        data is masked: keyed hashes for identifiers, initials and partial phones and e-mails,
        birth year only.
        Grain: one publication per build; its manifest lists tables, rows and masked columns."""
        latest = context.instance.get_latest_materialization_events(published_keys)
        built = [dt.datetime.fromtimestamp(e.timestamp, dt.UTC) for e in latest.values() if e]
        with connect(settings) as con:
            publication = publish(
                con,
                serving_dir=settings.serving_dir,
                schemas=settings.serving_schemas,
                relations=_relations(),
                mask_key=settings.serving_mask_key.get_secret_value(),
                keep=settings.serving_keep_publications,
                layouts=_layouts(),
                source_built_at=max(built, default=None),
                memory_limit=settings.serving_memory_limit,
            )
        return dg.MaterializeResult(
            metadata={
                "publication_id": publication.publication_id,
                "tables": len(publication.tables),
                "rows": publication.total_rows,
                "masked_columns": publication.masked_column_count,
                "parquet_bytes_written": publication.bytes_written,
                "month_files_reused": publication.reused_month_files,
                "skipped_tables": dg.MetadataValue.json(publication.skipped_tables),
                "serving_database": dg.MetadataValue.path(str(publication.serving_database)),
                "serving_database_bytes": publication.serving_database_bytes,
                "publication_dir": dg.MetadataValue.path(str(publication.publication_dir)),
                "seconds": publication.seconds,
            }
        )

    @dg.asset_check(asset=WAREHOUSE_COPY, blocking=True)
    def serving_row_counts_match_the_warehouse(settings: dg.ResourceParam[Settings]):
        """Every served table holds as many rows as the warehouse table it was published from."""
        with connect(settings, read_only=True) as con:
            mismatches = row_count_mismatches(con, serving_database_path(settings.serving_dir))
        return dg.AssetCheckResult(
            passed=not mismatches, metadata={"mismatches": dg.MetadataValue.json(mismatches)}
        )

    @dg.asset_check(asset=WAREHOUSE_COPY, blocking=True)
    def every_pii_column_is_served_masked(settings: dg.ResourceParam[Settings]):
        """Every column dbt tags `meta.pii` holds the warehouse values under its kind's
        masking rule, and no table dbt does not declare is served. A month file linked from
        the publication before, whose check passed, is not compared again
        (`serving.verify.verified_months`)."""
        publication_dir = current_publication_dir(settings.serving_dir)
        verified = verified_months(publication_dir)
        with connect(settings, read_only=True) as con:
            offenders = unmasked_pii_columns(
                con,
                serving_database_path(settings.serving_dir),
                _relations(),
                settings.serving_mask_key.get_secret_value(),
                layouts=_layouts(),
                verified=verified,
            )
        if not offenders:
            record_masking_verified(publication_dir)
        return dg.AssetCheckResult(
            passed=not offenders,
            metadata={
                "offenders": dg.MetadataValue.json(offenders),
                "months_not_compared_again": sum(len(m) for m in verified.values()),
            },
        )

    @dg.asset_check(asset=WAREHOUSE_COPY)
    def every_table_of_the_published_schemas_is_served(settings: dg.ResourceParam[Settings]):
        """Warns about tables of the published schemas left out of the copy: tables dbt does not
        declare (as a model or a source) have no PII tags, so they are never published."""
        with connect(settings, read_only=True) as con:
            missing = unpublished_tables(
                con, serving_database_path(settings.serving_dir), settings.serving_schemas
            )
        return dg.AssetCheckResult(
            passed=not missing,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"unpublished": dg.MetadataValue.json(missing)},
        )

    @dg.asset(key=["serving", "dbt_docs"], deps=dbt_models, group_name="serving", kinds={"dbt"})
    def dbt_docs(
        context: dg.AssetExecutionContext,
        dbt: DbtCliResource,
        settings: dg.ResourceParam[Settings],
    ):
        """dbt's documentation of the warehouse — every model and source, its grain, columns,
        PII tags, tests and lineage — in `serving/docs/`: open `static_index.html` in a browser
        (no server needed). Regenerated after a build that changed the dbt project or the
        warehouse's tables and columns (`serving/docs.py`), kept otherwise."""
        docs_dir = settings.serving_dir / "docs"
        with connect(settings, read_only=True) as con:
            fingerprint = docs_fingerprint(dbt_project().manifest_path, con)
        regenerated = published_fingerprint(docs_dir) != fingerprint
        if regenerated:
            args, target = ["docs", "generate", "--static"], run_artifacts_dir(settings, context)
            with dbt_command(settings, args, target):
                dbt.cli(args, target_path=target).wait()
            publish_docs(target, docs_dir, fingerprint)
        return dg.MaterializeResult(
            metadata={
                "static_index": dg.MetadataValue.path(str(docs_dir / "static_index.html")),
                "bytes": sum((docs_dir / name).stat().st_size for name in DOCS_FILES),
                "regenerated": regenerated,
            }
        )

    job = dg.define_asset_job(
        "publish_serving_job",
        selection=dg.AssetSelection.groups("serving"),
        description="Publish the marts to the serving copy (DuckDB file, Parquet) and dbt docs.",
    )
    return dg.Definitions(
        assets=[warehouse_copy, dbt_docs],
        asset_checks=[
            serving_row_counts_match_the_warehouse,
            every_pii_column_is_served_masked,
            every_table_of_the_published_schemas_is_served,
        ],
        jobs=[job],
    )
