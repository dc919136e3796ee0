"""Cross-sell / next best offer: one shared model over every product family, calibrated and
judged per family, registered as one version, then the offers scored.

The features are a dbt model (``models/ml/ml_features__cross_sell``); training, registry and
offers are Python (``models_ml/cross_sell*.py``). Two blocking checks on the model: a family is
offered only when it passed its minimum-data gate and beat its rule baseline; a check fails
with WARN when some family is left out (scores publish for the rest) and with ERROR — stopping
the scores — when no family is left to offer. Drift checks on the scores warn (PSI > 0.1) or
fail (PSI > 0.25).
"""

import dagster as dg

from cdp.settings import Settings
from cdp.warehouse import connect
from models_ml.config import CrossSellConfig
from orchestration.defs.ml import APPLICATIONS, CORE_FACTS, scores_asset

FEATURES = dg.AssetKey(["ml", "ml_features__cross_sell"])
MODEL = dg.AssetKey(["models", "cross_sell"])
SCORES = dg.AssetKey(["ml", "ml_scores__cross_sell"])
GATE_CHECK = "cross_sell_models_were_trained_on_enough_openings"
BASELINE_CHECK = "cross_sell_models_beat_their_rule_baselines"


def cross_sell_config(settings: Settings) -> CrossSellConfig:
    return CrossSellConfig(
        min_positives=settings.ml_cross_sell_min_positives, tree_threads=settings.ml_tree_threads
    )


def severity(anything_left: bool) -> dg.AssetCheckSeverity:
    """WARN while some family can still be offered; ERROR (blocks the scores) when none can."""
    return dg.AssetCheckSeverity.WARN if anything_left else dg.AssetCheckSeverity.ERROR


READS = [FEATURES, *CORE_FACTS, APPLICATIONS]
"""What cross-sell's training and scoring read."""


@dg.asset(
    key=MODEL,
    deps=READS,
    group_name="ml",
    kinds={"scikitlearn"},
    check_specs=[
        dg.AssetCheckSpec(GATE_CHECK, asset=MODEL, blocking=True),
        dg.AssetCheckSpec(BASELINE_CHECK, asset=MODEL, blocking=True),
    ],
)
def cross_sell_model(settings: dg.ResourceParam[Settings]):
    """The cross-sell models (склонность к покупке): per product family (credit card, deposit,
    cash loan, brokerage, insurance, mortgage, car loan), the calibrated probability that a
    retail client not holding it opens it within 90 days, trained on the earlier month ends and
    judged on the later ones against warehouse labels. Every run is registered under
    `models/cross_sell/<version>/` with per-product metrics and a model card; it is promoted
    when at least one family passed its gate and beat its rule baseline, and only those
    families are offered. Grain: one model version per run."""
    config = cross_sell_config(settings)
    from models_ml.cross_sell_pipeline import train_cross_sell

    with connect(settings, memory_limit=settings.ml_memory_limit) as con:
        outcome = train_cross_sell(con, settings.models_dir, config)
    trained = outcome.trained
    products = {
        p: {
            "openings": r.training_positives,
            "gate_passed": r.gate_passed,
            "beats_baseline": r.beats_baseline,
            "roc_auc": r.validation and r.validation["roc_auc"],
            "baseline_roc_auc": r.baseline and r.baseline["roc_auc"],
        }
        for p, r in trained.results.items()
    }
    yield dg.MaterializeResult(
        metadata={
            "version": outcome.version,
            "promoted": outcome.promoted,
            "registry_folder": dg.MetadataValue.path(str(outcome.folder)),
            "offered_products": ", ".join(trained.model.publishable),
            "products": dg.MetadataValue.json(products),
        }
    )
    gated = [p for p, r in trained.results.items() if r.gate_passed]
    yield dg.AssetCheckResult(
        check_name=GATE_CHECK,
        passed=trained.gate_passed,
        severity=severity(bool(gated)),
        metadata={
            "minimum": config.min_positives,
            "openings": dg.MetadataValue.json({p: v["openings"] for p, v in products.items()}),
            "refused": ", ".join(p for p in trained.results if p not in gated),
        },
    )
    yield dg.AssetCheckResult(
        check_name=BASELINE_CHECK,
        passed=trained.beats_baseline,
        severity=severity(trained.is_promotable),
        metadata={
            "offered": ", ".join(trained.model.publishable),
            "left_out": ", ".join(p for p in gated if p not in trained.model.publishable),
            "roc_auc": dg.MetadataValue.json(
                {p: [v["roc_auc"], v["baseline_roc_auc"]] for p, v in products.items()}
            ),
        },
    )


cross_sell_scores = scores_asset(
    SCORES,
    model=MODEL,
    deps=READS,
    description="Next best offer (следующее лучшее предложение): one row per eligible retail "
    "client × offered product family the client does not hold at the latest month end — "
    "calibrated probability of opening it within 90 days, decile within the product, top three "
    "reasons in business words, expected value in roubles and `offer_rank` (1 = the offer to "
    "make). Clients under 18 or under a 115-FZ suspension get no offer; clients with overdue "
    "debt get no credit offer.",
    config=cross_sell_config,
    score="models_ml.cross_sell_pipeline:score_cross_sell",
    features_check="cross_sell_features_are_stable_against_training",
    score_check="cross_sell_scores_are_stable_against_training",
    metadata=lambda outcome: {"clients": outcome.clients, "products": ", ".join(outcome.products)},
)


defs = dg.Definitions(assets=[cross_sell_model, cross_sell_scores])
