"""Stage bodies, each run in its own process so its peak memory is its own."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from benchmarks.scenarios import Scenario


def simulate(scenario: Scenario, home: Path) -> dict:
    from simulator import SimulationParams, simulate

    summary = simulate(
        SimulationParams(
            persons=scenario.persons,
            months=scenario.months,
            seed=scenario.seed,
            business_date=dt.date(2026, 10, 31),
            delta_days=scenario.delta_days,
        ),
        landing_dir=home / "landing",
        truth_dir=home / "truth",
    )
    return {
        "files": summary.files,
        "rows": summary.rows,
        "megabytes": round(summary.bytes / 1e6, 1),
        "rows_by_system": summary.rows_by_system,
    }


STAGES = {"simulate": simulate}
