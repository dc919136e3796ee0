"""Named benchmark scenarios: the shape of the bank and the pipeline stages to time."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Scenario:
    name: str
    persons: int
    months: int = 12
    seed: int = 42
    delta_days: int = 14
    # ``CDP_*`` settings every stage of this scenario runs under (set in its process).
    environment: dict[str, str] = field(default_factory=dict)
    stages: tuple[str, ...] = (
        "simulate",
        "truth_report",
        "ingest",
        "warehouse_resolve",
        "warehouse_build",
        "warehouse_baseline",
        "ml_train",
        "ml_score",
        "ml_rescore",
        "ml_quality",
        "warehouse_publish",
        "publish_baseline",
        "segment_preview",
        "segment_export",
        "ingest_daily",
        "warehouse_daily",
        "ingest_baseline",
        "identity_load",
        "identity",
        "identity_rerun",
    )


SCENARIOS = {
    s.name: s
    for s in (
        # 3,000 persons have fewer churners than the production gate of 500 asks for before a
        # model is promoted: the training stages would refuse, and nothing after them could
        # run. The tests lower it the same way; the bank-tiny figures are for time, not quality.
        Scenario("bank-tiny", persons=3_000, environment={"CDP_ML_MIN_POSITIVES": "200"}),
        Scenario("bank-100k", persons=100_000),
        Scenario("bank-300k", persons=300_000),
        Scenario("bank-1m", persons=1_000_000),
    )
}
