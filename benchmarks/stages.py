"""Stage bodies, each run in its own process so its peak memory is its own."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from benchmarks.scenarios import Scenario


def simulate(scenario: Scenario, home: Path) -> dict:
    from simulator import SimulationParams
    from simulator.process import simulate_in_process

    summary = simulate_in_process(
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


def truth_report(scenario: Scenario, home: Path) -> dict:
    """Learnability of the simulated churn, from the truth (evaluation only)."""
    from simulator.evaluation import churn_truth_report

    report = churn_truth_report(home / "truth")
    return {
        "annual_churn_rate": round(report.annual_churn_rate, 4),
        "truth_auc_90d": round(report.truth_auc_90d, 4),
        "client_months": report.client_months,
    }


STAGES = {"simulate": simulate, "truth_report": truth_report}
