"""Landing stage: the simulated bank writes its source systems' extracts into the landing zone."""

import dagster as dg

from cdp.settings import Settings
from simulator.config import params_from_settings
from simulator.process import simulate_in_process


@dg.asset(
    key=["landing", "bank_extracts"],
    group_name="landing",
    kinds={"python", "csv", "json"},
)
def bank_extracts(context: dg.AssetExecutionContext, settings: dg.ResourceParam[Settings]):
    """Daily extracts of the four source systems (АБС, card processing, ДБО, contact centre).

    Grain: one folder per source system per delivery date, an initial full snapshot followed by
    daily deltas, written by the bank simulator because no real bank data may be used. The
    simulator's ground truth goes to a separate folder that only evaluation code reads.
    """
    summary = simulate_in_process(
        params_from_settings(settings),
        landing_dir=settings.landing_dir,
        truth_dir=settings.truth_dir,
    )
    context.log.info("landing zone written to %s", settings.landing_dir)
    return dg.MaterializeResult(
        metadata={
            "landing_dir": dg.MetadataValue.path(str(settings.landing_dir)),
            "files": summary.files,
            "rows": summary.rows,
            "bytes": summary.bytes,
            "seconds": round(summary.seconds, 2),
            "rows_by_system": dg.MetadataValue.json(summary.rows_by_system),
        }
    )


simulate_bank_job = dg.define_asset_job(
    "simulate_bank_job",
    selection=dg.AssetSelection.groups("landing"),
    description="Write a fresh simulated bank into the landing zone.",
)

defs = dg.Definitions(assets=[bank_extracts], jobs=[simulate_bank_job])
