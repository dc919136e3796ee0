"""ML stage, lead priority: the model trained, registered and promoted, then the open leads
scored and ranked for call-backs (docs/ml.md#lead-priority).

As for churn (``orchestration/defs/ml.py``): two blocking checks on the model — the minimum-data
gate and "beats the rule baseline on the later period" — stop the scores; drift checks on the
scores warn (PSI > 0.1) or fail (PSI > 0.25). The assets join the ML jobs by
their keys.
"""

import dagster as dg

from cdp.settings import Settings
from models_ml.config import LeadPriorityConfig
from orchestration.defs.ml import APPLICATIONS, model_asset, scores_asset

FEATURES = dg.AssetKey(["ml", "ml_features__lead_priority"])
MODEL = dg.AssetKey(["models", "lead_priority"])
SCORES = dg.AssetKey(["ml", "ml_scores__lead_priority"])
FUNNEL = [APPLICATIONS, dg.AssetKey(["intermediate", "int_kpi_leads_converted"])]


def lead_priority_config(settings: Settings) -> LeadPriorityConfig:
    return LeadPriorityConfig(
        min_positives=settings.ml_min_positives, tree_threads=settings.ml_tree_threads
    )


READS = [FEATURES, *FUNNEL]
"""What lead priority's training and scoring read."""

lead_priority_model = model_asset(
    MODEL,
    deps=READS,
    description="The lead priority model: gradient boosting with calibration on the daily "
    "snapshots of open leads (ДБО applications and shown offers), trained on the earlier months "
    "and judged on the later ones against warehouse labels (issued within 30 days). Registered "
    "under `models/lead_priority/<version>/`; promoted only when it passes the gate and beats "
    "the rule baseline (furthest funnel step first, freshest first). Grain: one model version "
    "per run.",
    config=lead_priority_config,
    train="models_ml.lead_priority:train_lead_priority",
    gate_check="lead_priority_model_was_trained_on_enough_conversions",
    baseline_check="lead_priority_model_beats_its_rule_baseline",
)

lead_priority_scores = scores_asset(
    SCORES,
    model=MODEL,
    deps=READS,
    description="Lead priority (приоритет обзвона лидов): one row per lead open at the latest "
    "as-of date — calibrated probability of an issued product within 30 days, decile, expected "
    "value in roubles, rank (1 = call first), three reasons in business words and the call-back "
    "deadline from the follow-up SLA — from the promoted model version.",
    config=lead_priority_config,
    score="models_ml.lead_priority:score_lead_priority",
    features_check="lead_priority_features_are_stable_against_training",
    score_check="lead_priority_score_is_stable_against_training",
)


defs = dg.Definitions(assets=[lead_priority_model, lead_priority_scores])
