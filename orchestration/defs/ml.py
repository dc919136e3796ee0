"""ML stage: the churn model trained, registered and promoted, then every client scored; the
ML jobs, which take every model asset (``["models", <name>]``) and the scores right after it
(cross-sell: ``cross_sell.py``, lead priority: ``lead_priority.py``).

The features are dbt models (``models/ml``, built with the warehouse); the model, its registry
(``$CDP_HOME/models``) and the scores are Python (``models_ml/``). Two blocking checks on the
model — the minimum-data gate and "beats the rule baseline on the later period" — stop the
scores from being published from a model that fails either; drift checks on the scores warn
(PSI > 0.1) or fail (PSI > 0.25).

Every model and scores asset of the three ML modules comes from ``model_asset`` and
``scores_asset`` (cross-sell's model, which reports per family, is its own), given the
``models_ml`` function to call by name: it is imported when a run calls it, so scikit-learn
(≈ 2.8 s to import) loads in the runs that use a model, not in every process that loads the
definitions (an ingestion run, a dbt build, a sensor tick).
"""

import importlib
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import dagster as dg

from cdp.settings import Settings
from cdp.warehouse import connect
from models_ml.config import ChurnConfig, ModelConfig

if TYPE_CHECKING:
    from models_ml.pipeline import ScoreOutcome, TrainOutcome

FEATURES = dg.AssetKey(["ml", "ml_features__churn"])
MODEL = dg.AssetKey(["models", "churn"])
SCORES = dg.AssetKey(["ml", "ml_scores__churn"])
CORE_FACTS = [
    dg.AssetKey(["marts", name])
    for name in ("fct_transactions", "fct_card_transactions", "fct_interactions", "fct_contracts")
]
APPLICATIONS = dg.AssetKey(["intermediate", "int_kpi_applications_stepped"])
"""Every ДБО application with its steps: lead priority's labels, and what the cross-sell model
is fitted on beside the openings."""


def churn_config(settings: Settings) -> ChurnConfig:
    return ChurnConfig(
        min_positives=settings.ml_min_positives, tree_threads=settings.ml_tree_threads
    )


def psi_result(check: str, psi: dict[str, float], config: ModelConfig) -> dg.AssetCheckResult:
    worst = max(psi.values())
    return dg.AssetCheckResult(
        check_name=check,
        passed=worst <= config.psi_warn,
        severity=dg.AssetCheckSeverity.ERROR
        if worst > config.psi_error
        else dg.AssetCheckSeverity.WARN,
        metadata={"max_psi": worst, "psi": dg.MetadataValue.json(psi)},
    )


def training_results(
    outcome: "TrainOutcome", config: ModelConfig, *, gate_check: str, baseline_check: str
):
    """What a model asset reports: the registered version with its figures, and its two
    blocking checks (minimum-data gate, beats the rule baseline)."""
    result = outcome.result
    yield dg.MaterializeResult(
        metadata={
            "version": outcome.version,
            "promoted": outcome.promoted,
            "registry_folder": dg.MetadataValue.path(str(outcome.folder)),
            "training_positives": result.training_positives,
            "validation": dg.MetadataValue.json(result.validation),
            "baseline": dg.MetadataValue.json(result.baseline),
        }
    )
    yield dg.AssetCheckResult(
        check_name=gate_check,
        passed=result.gate_passed,
        metadata={"positives": result.training_positives, "minimum": config.min_positives},
    )
    yield dg.AssetCheckResult(
        check_name=baseline_check,
        passed=result.beats_baseline,
        metadata={
            name: figures[metric]
            for metric in ("roc_auc", "pr_auc", "top_decile_lift")
            for name, figures in (
                (metric, result.validation),
                (f"baseline_{metric}", result.baseline),
            )
        },
    )


def scoring_results(
    outcome: "ScoreOutcome",
    config: ModelConfig,
    *,
    features_check: str,
    score_check: str,
    metadata: dict | None = None,
):
    """What a scores asset reports: rows and version (plus the model's own ``metadata``), and
    the drift checks of the main features and of the score (``score``, or ``score:<product>``
    for a model with one score per product) against training."""
    yield dg.MaterializeResult(
        metadata={
            "model_version": outcome.version,
            "as_of_date": str(outcome.as_of_date),
            "rows": outcome.rows,
            "rows_explained": outcome.explained,
            **(metadata or {}),
        }
    )
    is_score = {k: k == "score" or k.startswith("score:") for k in outcome.psi}
    yield psi_result(
        features_check, {k: v for k, v in outcome.psi.items() if not is_score[k]}, config
    )
    yield psi_result(score_check, {k: v for k, v in outcome.psi.items() if is_score[k]}, config)


def imported(target: str) -> Callable:
    """The function ``"module:name"`` names, imported at the call (see the module docstring)."""
    module, name = target.split(":")
    return getattr(importlib.import_module(module), name)


def model_asset(
    key: dg.AssetKey,
    *,
    deps: Sequence[dg.AssetKey],
    description: str,
    config: Callable[[Settings], ModelConfig],
    train: str,
    gate_check: str,
    baseline_check: str,
) -> dg.AssetsDefinition:
    """A model asset: ``train`` (``"module:function"`` of ``models_ml``, called with a warehouse
    connection, the registry folder and the model's config) trains, registers and promotes a
    version; the asset reports it with its two blocking checks (``training_results``)."""

    @dg.asset(
        key=key,
        deps=deps,
        group_name="ml",
        kinds={"scikitlearn"},
        description=description,
        check_specs=[
            dg.AssetCheckSpec(gate_check, asset=key, blocking=True),
            dg.AssetCheckSpec(baseline_check, asset=key, blocking=True),
        ],
    )
    def trained_model(settings: dg.ResourceParam[Settings]):
        model_config = config(settings)
        with connect(settings, memory_limit=settings.ml_memory_limit) as con:
            outcome = imported(train)(con, settings.models_dir, model_config)
        yield from training_results(
            outcome, model_config, gate_check=gate_check, baseline_check=baseline_check
        )

    return trained_model


def scores_asset(
    key: dg.AssetKey,
    *,
    model: dg.AssetKey,
    deps: Sequence[dg.AssetKey],
    description: str,
    config: Callable[[Settings], ModelConfig],
    score: str,
    features_check: str,
    score_check: str,
    metadata: Callable[[Any], dict] = lambda outcome: {},
) -> dg.AssetsDefinition:
    """A scores asset: ``score`` (``"module:function"``, called as ``train`` is in
    ``model_asset``) scores with the promoted version of ``model`` the tables in ``deps`` (the
    model's own: a run that builds them scores after them); the asset reports the rows,
    ``metadata(outcome)`` and the two drift checks (``scoring_results``)."""

    @dg.asset(
        key=key,
        deps=[model, *deps],
        group_name="ml",
        kinds={"duckdb"},
        description=description,
        check_specs=[
            dg.AssetCheckSpec(features_check, asset=key),
            dg.AssetCheckSpec(score_check, asset=key),
        ],
    )
    def scores(settings: dg.ResourceParam[Settings]):
        model_config = config(settings)
        with connect(settings, memory_limit=settings.ml_memory_limit) as con:
            outcome = imported(score)(con, settings.models_dir, model_config)
        yield from scoring_results(
            outcome,
            model_config,
            features_check=features_check,
            score_check=score_check,
            metadata=metadata(outcome),
        )

    return scores


READS = [FEATURES, *CORE_FACTS]
"""What churn's training and scoring read."""

churn_model = model_asset(
    MODEL,
    deps=READS,
    description="The churn model: gradient boosting with calibration on the point-in-time "
    "features, trained on the earlier month ends and judged on the later ones against warehouse "
    "labels. Every training run is registered under `models/churn/<version>/` with metrics and a "
    "model card; it is promoted (used for scoring) only when it passes the gate and beats the "
    "rule baseline. Grain: one model version per run.",
    config=churn_config,
    train="models_ml.pipeline:train_churn",
    gate_check="churn_model_was_trained_on_enough_churners",
    baseline_check="churn_model_beats_its_rule_baseline",
)

churn_scores = scores_asset(
    SCORES,
    model=MODEL,
    deps=READS,
    description="Churn scores (вероятность ухода): one row per retail client holding a product "
    "at the latest month end — calibrated probability, decile (1 = most likely to leave) and the "
    "top three reasons in business words — from the promoted model version.",
    config=churn_config,
    score="models_ml.pipeline:score_churn",
    features_check="churn_features_are_stable_against_training",
    score_check="churn_score_is_stable_against_training",
)


MODELS = dg.AssetSelection.key_prefixes(["models"])
"""Every model asset (``["models", <name>]``) of every ML module; their scores are the assets
right downstream of them, so a new model joins the jobs by its key alone."""

train_models_job = dg.define_asset_job(
    "train_models_job",
    selection=MODELS.downstream(depth=1),
    description="Train, register and promote every ML model (churn, cross-sell, lead priority), "
    "then score with the promoted versions.",
)
score_clients_job = dg.define_asset_job(
    "score_clients_job",
    selection=MODELS.downstream(depth=1) - MODELS,
    description="Score with every model's promoted version (clients, offers, open leads).",
)

defs = dg.Definitions(
    assets=[churn_model, churn_scores],
    jobs=[train_models_job, score_clients_job],
    schedules=[
        # Monthly retraining: the month end just closed becomes a complete as-of date.
        dg.ScheduleDefinition(job=train_models_job, cron_schedule="0 7 1 * *")
    ],
)
