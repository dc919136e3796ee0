"""Landing sensor: a new or re-delivered file requests a load of its table and business date.

The cursor remembers every file's size and modification time, so a late file, a re-delivery
or a skipped day's files arriving with the next day each trigger exactly the loads they need.
"""

import json

import dagster as dg

from cdp.settings import Settings
from ingestion.contracts import CONTRACTS
from ingestion.landing import changed_partitions, snapshot


def run_requests(previous: dict, current: dict, partition_keys: set[str]) -> list[dg.RunRequest]:
    requests = []
    for business_date, tables in sorted(changed_partitions(previous, current).items()):
        if business_date not in partition_keys:
            continue
        keys = [
            dg.AssetKey([schema, t]) for t in sorted(tables) for schema in ("raw", "quarantine")
        ]
        requests.append(
            dg.RunRequest(
                run_key=f"{business_date}:{','.join(sorted(tables))}:{len(current)}:"
                f"{max(entry[3] for entry in current.values())}",
                partition_key=business_date,
                asset_selection=keys,
                tags={"cdp/trigger": "landing_sensor"},
            )
        )
    return requests


def build_landing_sensor(settings: Settings, job_name: str, partitions) -> dg.SensorDefinition:
    @dg.sensor(
        name="landing_files_sensor",
        job_name=job_name,
        minimum_interval_seconds=60,
        description="Loads each new or changed landing file into raw for its business date.",
    )
    def _sensor(context: dg.SensorEvaluationContext):
        previous = json.loads(context.cursor) if context.cursor else {}
        current = snapshot(settings.landing_dir, CONTRACTS)
        keys = set(partitions.get_partition_keys())
        requests = run_requests(previous, current, keys)
        context.update_cursor(json.dumps(current))
        if not requests:
            return dg.SkipReason(f"no new files in {settings.landing_dir}")
        return requests

    return _sensor
