"""The one Dagster ``Definitions``: per-stage modules merged in data-flow order.

Loaded lazily through ``@dg.definitions`` so that settings are read when Dagster loads the code
location (``dagster dev``, ``dagster asset materialize``, the ``cdp`` CLI, tests), never at import.
All assets run in-process: DuckDB allows one writer per database file, and the in-process
executor runs steps one after another.
"""

from __future__ import annotations

import dagster as dg

from cdp.settings import Settings, load_settings
from orchestration.defs import (
    activation,
    cross_sell,
    daily_cycle,
    identity,
    landing,
    lead_priority,
    ml,
    raw,
    serving,
    warehouse,
)
from orchestration.resources import settings_resource, warehouse_hold_resource


def build_definitions(settings: Settings) -> dg.Definitions:
    """Merge the stages in flow order and bind resources; tests call this with their settings.
    The serving stage publishes what the stages before it build, selected from their assets;
    the activation stage exports from them; the daily cycle's sensor chains their jobs."""
    stages = dg.Definitions.merge(
        landing.defs,
        raw.build_defs(settings),
        identity.defs,
        warehouse.build_defs(settings),
        ml.defs,
        cross_sell.defs,
        lead_priority.defs,
    )
    pipeline = dg.Definitions.merge(
        stages, serving.build_defs(settings, stages), activation.build_defs(stages)
    )
    return dg.Definitions.merge(
        pipeline,
        daily_cycle.build_defs(pipeline),
        dg.Definitions(
            resources={
                "settings": settings_resource(settings),
                "warehouse_hold": warehouse_hold_resource(settings),
            },
            executor=dg.in_process_executor,
        ),
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions(load_settings())
