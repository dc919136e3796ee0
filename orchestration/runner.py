"""Run the whole pipeline in-process against a persistent Dagster instance (for ``cdp run``)."""

from __future__ import annotations

import os

import dagster as dg

from cdp.settings import Settings
from orchestration.definitions import build_definitions

PIPELINE = (
    "simulate_bank_job",
    "ingest_raw_job",
    "resolve_clients_job",
    "build_warehouse_job",
    "train_models_job",
    "publish_serving_job",
)
"""Jobs in data-flow order; a partitioned job runs every business date in one step."""


def partition_range_tags(job: dg.JobDefinition) -> dict[str, str]:
    """Run tags that make a partitioned job cover all its partitions in one run."""
    if job.partitions_def is None:
        return {}
    keys = job.partitions_def.get_partition_keys()
    return {
        "dagster/asset_partition_range_start": keys[0],
        "dagster/asset_partition_range_end": keys[-1],
    }


def run_pipeline(settings: Settings) -> bool:
    """Run each stage's job once, stopping at the first failure; history lands in the instance
    the UI (``make dev``) shows."""
    settings.dagster_home.mkdir(parents=True, exist_ok=True)
    os.environ["DAGSTER_HOME"] = str(settings.dagster_home)
    defs = build_definitions(settings)
    with dg.DagsterInstance.get() as instance:
        for name in PIPELINE:
            job = defs.resolve_job_def(name)
            result = job.execute_in_process(
                instance=instance, raise_on_error=False, tags=partition_range_tags(job)
            )
            if not result.success:
                return False
    return True
