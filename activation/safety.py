"""Safety gates an export passes before a file is written.

**Data quality.** Every warehouse build (``build_warehouse_job``, ``dbt build``) leaves its
``run_results.json`` under ``$CDP_HOME/dbt/<run>/``: every model and every dbt test (the marts'
tests, the golden record's source tests, the raw sources' tests — the checks Dagster shows as
asset checks) with its status. The export reads the newest build's results and refuses when any
test failed at ERROR severity (``fail``/``error``: a WARN-severity failure is ``warn``) or a
model errored or was skipped. No build on record is a refusal too: nothing vouches for the data.

**Size.** A segment that suddenly doubles or halves usually means broken upstream data, not a
market shift: an export refuses when the segment is more than ``CDP_ACTIVATION_MAX_SIZE_RATIO``
times larger or smaller than at the last export of the same definition on the channel (from
the ledger; a new version of the segment starts afresh).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

BLOCKING_STATUSES = {"fail", "error", "runtime error", "skipped"}


class ExportRefused(RuntimeError):
    """An export the gates stop; the message says which gate and why."""


@dataclass(frozen=True)
class DataQualityGate:
    run_results: Path
    generated_at: str
    checks: int
    failures: list[str]

    def as_dict(self) -> dict:
        return {
            "run_results": str(self.run_results),
            "generated_at": self.generated_at,
            "checks": self.checks,
            "failures": self.failures,
        }


def latest_build(dbt_dir: Path) -> tuple[Path, dict] | None:
    """The newest ``dbt build`` run results under ``dbt_dir`` (docs and other commands skipped)."""
    builds = []
    for path in Path(dbt_dir).glob("*/run_results.json"):
        results = json.loads(path.read_text(encoding="utf-8"))
        if results.get("args", {}).get("which") == "build":
            builds.append((results["metadata"]["generated_at"], path, results))
    if not builds:
        return None
    _, path, results = max(builds, key=lambda b: b[0])
    return path, results


def check_data_quality(dbt_dir: Path) -> DataQualityGate:
    """Raise ``ExportRefused`` unless the latest warehouse build passed its blocking checks."""
    found = latest_build(dbt_dir)
    if found is None:
        raise ExportRefused(
            f"data-quality gate: no warehouse build on record under {dbt_dir} "
            "(run build_warehouse_job first)"
        )
    path, results = found
    failures = [
        f"{r['unique_id']}: {r['status']}"
        for r in results["results"]
        if r["status"] in BLOCKING_STATUSES
    ]
    gate = DataQualityGate(
        path,
        results["metadata"]["generated_at"],
        sum(r["unique_id"].startswith("test.") for r in results["results"]),
        failures,
    )
    if failures:
        shown = "; ".join(failures[:5]) + (" …" if len(failures) > 5 else "")
        raise ExportRefused(
            f"data-quality gate: the latest warehouse build ({path}) has {len(failures)} "
            f"blocking failure(s): {shown}"
        )
    return gate


def check_size_jump(segment_rows: int, last_rows: int | None, max_ratio: float) -> None:
    """Raise ``ExportRefused`` when the segment grew or shrank beyond ``max_ratio``."""
    if last_rows is None:
        return
    low, high = min(segment_rows, last_rows), max(segment_rows, last_rows)
    if high > max_ratio * max(low, 1) or (low == 0 and high > 0):
        raise ExportRefused(
            f"size gate: the segment has {segment_rows} clients against {last_rows} at its last "
            f"export on this channel, beyond the allowed ratio {max_ratio}"
        )
