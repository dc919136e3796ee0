"""Activation stage: a segment exported to a campaign's channel through the contact policy.

``export_segment_job`` runs one export per run, configured with the segment, channel and
campaign (run config of ``exports/export_campaigns__audiences``); the work is
``activation.export.run_export`` — the same path as ``cdp export``: gates, waterfall, holdout,
file, manifest and a ledger row (docs/activation.md). The asset sits below the relations the
segment catalog and the policy rules read, and below every ML score table, selected by prefix.
"""

import dagster as dg

from activation.audience import lineage
from activation.export import ExportRequest, run_export
from activation.fields import SCORES_PREFIX, SCORES_SCHEMA
from activation.safety import ExportRefused
from cdp.settings import Settings

EXPORT = dg.AssetKey(["exports", "export_campaigns__audiences"])


class ExportConfig(dg.Config):
    """One export: which segment, to which channel, for which campaign."""

    segment: str
    channel: str
    campaign: str
    file_format: str = "csv"
    recipient: str | None = None
    purpose: str | None = None
    requested_by: str | None = None
    holdout_share: float | None = None


def build_defs(upstream: dg.Definitions) -> dg.Definitions:
    """The export asset and job; ``upstream`` holds the stages whose assets it reads."""
    assets = list(upstream.assets or [])
    known = dg.AssetSelection.all().resolve(assets)
    scores = [
        k for k in known if k.path[0] == SCORES_SCHEMA and k.path[1].startswith(SCORES_PREFIX)
    ]
    deps = sorted({dg.AssetKey(list(r)) for r in lineage()} & known | set(scores),
                  key=lambda k: k.path)  # fmt: skip

    @dg.asset(key=EXPORT, deps=deps, group_name="exports", kinds={"csv", "parquet"})
    def export_campaigns__audiences(
        context: dg.AssetExecutionContext,
        config: ExportConfig,
        settings: dg.ResourceParam[Settings],
    ):
        """A campaign audience handed to a channel's system: the segment's clients who pass
        every contact-policy rule (consents, stop lists, caps, contact data, quiet hours), minus
        a stable holdout, as CSV or Parquet with only the fields the channel needs, beside a
        manifest (definition hash, waterfall, checksum) and recorded in the export ledger.
        Grain: one file per campaign × segment × channel × format."""
        request = ExportRequest(
            segment=config.segment,
            channel=config.channel,
            campaign_id=config.campaign,
            file_format=config.file_format,
            recipient=config.recipient,
            purpose=config.purpose,
            requested_by=config.requested_by or f"dagster run {context.run.run_id[:8]}",
            holdout_share=config.holdout_share,
        )
        try:
            result = run_export(settings, request)
        except ExportRefused as error:
            raise dg.Failure(description=f"export refused: {error}") from error
        return dg.MaterializeResult(
            metadata={
                "export_id": result.export_id,
                "status": result.status,
                "rows": result.rows,
                "holdout_rows": result.holdout_rows,
                "file": dg.MetadataValue.path(str(result.file_path)),
                "manifest": dg.MetadataValue.path(str(result.manifest_path)),
                "sha256": result.file_sha256,
                "waterfall": dg.MetadataValue.json(result.manifest["waterfall"]),
            }
        )

    job = dg.define_asset_job(
        "export_segment_job",
        selection=dg.AssetSelection.assets(export_campaigns__audiences),
        description="Export a segment to a campaign channel through the contact policy "
        "(run config: segment, channel, campaign).",
    )
    return dg.Definitions(assets=[export_campaigns__audiences], jobs=[job])
