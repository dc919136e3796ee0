"""Resources shared by every stage: the typed settings object, injected rather than imported."""

from __future__ import annotations

from collections.abc import Iterator

import dagster as dg

from cdp.settings import Settings
from cdp.warehouse import WarehouseHold


def settings_resource(settings: Settings) -> dg.ResourceDefinition:
    """Wrap the already-loaded settings so assets receive them as ``settings: ResourceParam``."""
    return dg.ResourceDefinition.hardcoded_resource(settings, "Typed CDP_* settings")


def warehouse_hold_resource(settings: Settings) -> dg.ResourceDefinition:
    """The run's hold of the warehouse (``cdp.warehouse.WarehouseHold``): steps that hold it
    share one open database, checkpointed once when the run ends rather than at every step."""

    @dg.resource(description="Keeps the warehouse open between a run's steps")
    def _warehouse_hold(_) -> Iterator[WarehouseHold]:
        hold = WarehouseHold(settings)
        try:
            yield hold
        finally:
            hold.release()

    return _warehouse_hold
