"""The Dagster instance ``make dev`` runs: one run at a time, since every stage writes the one
DuckDB warehouse file and a second writer would fail (``orchestration/dagster.yaml``)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import dagster as dg

INSTANCE_CONFIG = Path(__file__).with_name("dagster.yaml")


class ConcurrentRunsAllowed(RuntimeError):
    """The instance settings would let a second run open the DuckDB file beside the first."""


def prepare_dagster_home(home: Path) -> Path:
    """Install the instance settings into ``home`` unless it has its own, and refuse an
    instance that would start two runs at once."""
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        shutil.copyfile(INSTANCE_CONFIG, config)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        limit = instance.get_concurrency_config().run_queue_config.max_concurrent_runs
    if limit != 1:
        raise ConcurrentRunsAllowed(
            f"{config} lets {limit} runs start at once, but the DuckDB warehouse takes one "
            f"writer: set concurrency.runs.max_concurrent_runs to 1 (as {INSTANCE_CONFIG} does)"
        )
    return config


if __name__ == "__main__":
    sys.stdout.write(
        f"instance settings: {prepare_dagster_home(Path(os.environ['DAGSTER_HOME']))}\n"
    )
