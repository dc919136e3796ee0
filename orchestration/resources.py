"""Resources shared by every stage: the typed settings object, injected rather than imported."""

from __future__ import annotations

import dagster as dg

from cdp.settings import Settings


def settings_resource(settings: Settings) -> dg.ResourceDefinition:
    """Wrap the already-loaded settings so assets receive them as ``settings: ResourceParam``."""
    return dg.ResourceDefinition.hardcoded_resource(settings, "Typed CDP_* settings")
