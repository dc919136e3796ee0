"""The one Dagster ``Definitions``: per-stage modules merged in data-flow order.

Loaded lazily through ``@dg.definitions`` so that settings are read when Dagster loads the code
location (``dagster dev``, ``dagster asset materialize``, the ``cdp`` CLI, tests), never at import.
All assets run in-process: DuckDB allows one writer per database file, and the in-process
executor runs steps one after another.
"""

from __future__ import annotations

import dagster as dg

from cdp.settings import Settings, load_settings
from orchestration.defs import landing
from orchestration.resources import settings_resource

STAGES = (landing.defs,)

run_pipeline_job = dg.define_asset_job(
    "run_pipeline_job",
    selection=dg.AssetSelection.all(),
    description="The whole pipeline that exists so far, end to end, in data-flow order.",
    executor_def=dg.in_process_executor,
)


def build_definitions(settings: Settings) -> dg.Definitions:
    """Merge the stages and bind resources; tests call this with their own settings."""
    return dg.Definitions.merge(
        *STAGES,
        dg.Definitions(
            jobs=[run_pipeline_job],
            resources={"settings": settings_resource(settings)},
            executor=dg.in_process_executor,
        ),
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions(load_settings())
