"""Run the whole pipeline in-process against a persistent Dagster instance (for ``cdp run``)."""

from __future__ import annotations

import os

import dagster as dg

from cdp.settings import Settings
from orchestration.definitions import build_definitions, run_pipeline_job


def run_pipeline(settings: Settings) -> bool:
    """Materialize every asset once; run history lands in the instance the UI (`make dev`) shows."""
    settings.dagster_home.mkdir(parents=True, exist_ok=True)
    os.environ["DAGSTER_HOME"] = str(settings.dagster_home)
    job = build_definitions(settings).resolve_job_def(run_pipeline_job.name)
    with dg.DagsterInstance.get() as instance:
        result = job.execute_in_process(instance=instance, raise_on_error=False)
    return result.success
