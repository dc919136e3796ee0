"""Churn model: time-based split, gradient boosting with calibration, a rule baseline,
per-row reasons and scores. Plain Python over frames; the Dagster assets only call it.

Method (docs/ml.md): ``HistGradientBoostingClassifier`` is fitted on the earlier complete as-of
dates, calibrated (``CalibratedClassifierCV`` over the frozen model) on the next ones, and judged
on the latest complete ones, which it never saw. Reasons are the groups of features whose splits
move a row's log-odds up most along its paths through the trees (``models_ml/explain.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import polars as pl
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.frozen import FrozenEstimator

from models_ml.config import ChurnConfig, ModelConfig
from models_ml.explain import PathExplainer
from models_ml.metrics import classification_report, deciles, population_stability_index
from models_ml.score_reuse import NOTHING_STORED, SCORED_FROM, explained

KEYS = ("golden_client_id", "as_of_date")
NOT_FEATURES = {*KEYS, "last_activity_date"}
REFERENCE_ROWS = 20_000
"""Training rows kept with the model for drift (PSI): deciles of 20 k rows are stable to ±0.5 pp."""
PREDICTION_BATCH_ROWS = 250_000


@dataclass(frozen=True)
class ReasonGroup:
    """Features read together as one business reason, and how to say it in Russian when the
    group raises the risk with its lead feature above / below the typical client."""

    features: tuple[str, ...]
    lead: str
    when_higher: str
    when_lower: str


REASON_GROUPS = (
    ReasonGroup(
        ("own_account_out_rub_3m", "own_account_out_count_3m", "own_account_out_share_3m",
         "me2me_event_count_3m", "sbp_out_count_3m"),
        "own_account_out_rub_3m",
        "Переводит деньги на свои счета в других банках",
        "Перестал переводить деньги в другие банки",
    ),
    ReasonGroup(
        ("salary_rub_month", "salary_rub_previous_3_avg"),
        "salary_rub_month",
        "Выросли зарплатные поступления",
        "Зарплата перестала поступать или снизилась",
    ),
    ReasonGroup(
        ("card_purchase_count_month", "card_purchase_previous_3_avg"),
        "card_purchase_count_month",
        "Стал чаще платить картой",
        "Реже пользуется картой",
    ),
    ReasonGroup(
        ("login_count_month", "login_previous_3_avg", "days_since_last_login"),
        "login_count_month",
        "Чаще заходит в мобильный банк",
        "Реже заходит в мобильный банк",
    ),
    ReasonGroup(
        ("days_since_last_activity",),
        "days_since_last_activity",
        "Давно не совершал операций",
        "Недавно совершал операции",
    ),
    ReasonGroup(
        ("inbound_call_count_3m", "complaint_count_3m", "leaving_topic_contact_count_3m",
         "certificate_request_count_3m", "nps_min_score_3m"),
        "leaving_topic_contact_count_3m",
        "Жалобы и обращения о закрытии счёта, справках, реквизитах",
        "Редко обращается в банк",
    ),
    ReasonGroup(
        ("autopay_disable_count_3m", "requisites_event_count_3m"),
        "autopay_disable_count_3m",
        "Отключает автоплатежи, выгружает выписки и реквизиты",
        "Не пользуется автоплатежами и выписками",
    ),
    ReasonGroup(
        ("products_held_count", "contracts_closed_90d_count", "deposits_closed_90d_count",
         "contracts_opened_90d_count", "has_loan", "has_deposit"),
        "products_held_count",
        "Много продуктов банка",
        "Мало продуктов банка или закрывает их",
    ),
    ReasonGroup(
        ("balance_rub_month_end", "balance_rub_3_months_before"),
        "balance_rub_month_end",
        "Выросли остатки на счетах",
        "Остатки на счетах снизились",
    ),
    ReasonGroup(
        ("inflow_rub_month", "inflow_rub_previous_3_avg", "outflow_rub_month",
         "pension_rub_3m_avg", "personal_transfer_typical_rub_3m"),
        "inflow_rub_month",
        "Выросли поступления на счета",
        "Снизились поступления на счета",
    ),
    ReasonGroup(
        ("tenure_days", "months_observed"),
        "tenure_days",
        "Давний клиент банка",
        "Клиент банка недавно",
    ),
)  # fmt: skip
NO_REASON = "Нет заметных признаков ухода"


def feature_columns(frame: pl.DataFrame) -> list[str]:
    return [c for c in frame.columns if c not in NOT_FEATURES]


def matrix(frame: pl.DataFrame, features: list[str]) -> np.ndarray:
    """Features as float64 (booleans 0/1, nulls NaN, which the boosting model handles)."""
    return frame.select(pl.col(f).cast(pl.Float64) for f in features).to_numpy()


@dataclass(frozen=True)
class TimeSplit:
    train_dates: list[dt.date]
    calibration_dates: list[dt.date]
    validation_dates: list[dt.date]


def time_split(complete_dates: list[dt.date], config: ModelConfig) -> TimeSplit:
    """Latest ``validation_months`` complete as-of periods (month ends for churn, months for
    daily as-of dates) to judge, the ``calibration_months`` before them to calibrate, all earlier
    ones to fit: every row judged is later than every row learnt from."""
    dates = sorted(set(complete_dates))
    held = config.validation_months + config.calibration_months
    if len(dates) <= held:
        raise ValueError(f"{len(dates)} complete as-of dates; need more than {held}")
    fit_end = len(dates) - held
    return TimeSplit(
        train_dates=dates[:fit_end],
        calibration_dates=dates[fit_end : fit_end + config.calibration_months],
        validation_dates=dates[fit_end + config.calibration_months :],
    )


def baseline_score(frame: pl.DataFrame, config: ChurnConfig) -> np.ndarray:
    """The rule baseline, "no activity for 60 days": a client flagged by the rule ranks above
    every other; within each side, longer silence ranks higher (no activity ever = longest)."""
    days = frame["days_since_last_activity"].cast(pl.Float64).fill_null(1e6).to_numpy()
    return (days >= config.baseline_inactive_days) * 1e7 + days


def rows_where(frame: pl.DataFrame, condition: pl.Expr) -> pl.DataFrame:
    """The rows meeting ``condition``: a slice sharing the frame's memory when they lie
    together (a frame sorted by as-of date, cut by date), else a copy filtered in one pass
    (bank-1m churn: copying the parts of the time split doubled the 4.3 GB frame)."""
    at = frame.select(pl.arg_where(condition)).to_series()
    if at.len() > 0 and at[-1] - at[0] + 1 == at.len():
        return frame.slice(at[0], at.len())
    return frame.filter(condition)


def split_parts(
    rows: pl.DataFrame,
    split: TimeSplit,
    period: str = "as_of_date",
    where: pl.Expr | None = None,
) -> dict[str, pl.DataFrame]:
    """The rows of each part of the split (``train``, ``calibration``, ``validation``), of
    those meeting ``where`` when given; slices of ``rows`` when it is sorted by ``period``
    (``rows_where``)."""
    only = pl.lit(True) if where is None else where
    return {
        name: rows_where(rows, only & pl.col(period).is_in(dates))
        for name, dates in (
            ("train", split.train_dates),
            ("calibration", split.calibration_dates),
            ("validation", split.validation_dates),
        )
    }


@dataclass
class CalibratedModel:
    """A fitted and calibrated model with what scoring, reasons and drift need (the churn model;
    cross-sell keeps one per product)."""

    features: list[str]
    booster: HistGradientBoostingClassifier
    calibrated: CalibratedClassifierCV
    medians: np.ndarray
    reference: np.ndarray
    reference_scores: np.ndarray
    split: TimeSplit
    metrics: dict = field(default_factory=dict)
    reason_groups: tuple[ReasonGroup, ...] = REASON_GROUPS
    no_reason: str = NO_REASON

    def predict(self, x: np.ndarray, threads: int = 1) -> np.ndarray:
        """Calibrated probabilities: the trees' log-odds summed a block of rows at a time on
        ``threads`` Python threads (``PathExplainer``), read through the calibrator — what
        ``calibrated.predict_proba`` gives. scikit-learn's own prediction passes every tree over
        all rows, on OpenMP threads that wait for each other on a busy 2-core machine (bank-100k
        churn: 3.6 s with two, 1.0 s with one)."""
        return self._calibrator().predict(PathExplainer(self.booster, []).raw_score(x, threads))

    def predict_frame(self, frame: pl.DataFrame, threads: int = 1) -> np.ndarray:
        """Calibrated probabilities of ``frame``'s rows, its float64 matrix built one batch of
        ``PREDICTION_BATCH_ROWS`` at a time (bank-1m churn validation: 3 M rows, ≈ 1 GB whole)."""
        return np.concatenate(
            [
                self.predict(
                    matrix(frame.slice(start, PREDICTION_BATCH_ROWS), self.features), threads
                )
                for start in range(0, frame.height, PREDICTION_BATCH_ROWS)
            ]
            or [np.empty(0)]
        )

    def _calibrator(self):
        """The calibration fitted on the frozen booster's log-odds."""
        [calibrator] = self.calibrated.calibrated_classifiers_[0].calibrators
        return calibrator

    def explain(self, x: np.ndarray, top: int, threads: int = 1) -> tuple[np.ndarray, pl.Series]:
        """Calibrated probabilities and the top ``top`` reasons of each row, from one pass over
        the trees: the groups whose splits on the row's paths raise its log-odds most
        (``models_ml/explain.py``), each phrased by whether the row sits above or below the
        typical client on that group. The log-odds are the contributions' exact sum, so the
        probability is the calibrator's reading of them — what ``predict`` gives."""
        index = {f: i for i, f in enumerate(self.features)}
        groups = [g for g in self.reason_groups if g.lead in index]
        explainer = PathExplainer(
            self.booster, [[index[f] for f in g.features if f in index] for g in groups]
        )
        contributions = explainer.contributions(x, threads)
        prob = self._calibrator().predict(explainer.bias + contributions.sum(axis=1))
        return prob, self._phrases(x, contributions[:, :-1], groups, index, top)

    def _phrases(
        self,
        x: np.ndarray,
        contributions: np.ndarray,
        groups: list[ReasonGroup],
        index: dict[str, int],
        top: int,
    ) -> pl.Series:
        """The row's ``top`` groups that raise its log-odds, each as its phrase: phrase ``2g``
        (above the typical client) or ``2g + 1`` (below) of group ``g``, gathered by Polars —
        building them as NumPy string arrays took 10 s of bank-1m cross-sell scoring."""
        rows = np.arange(len(x))
        order = np.argsort(-contributions, axis=1)[:, :top]
        if order.shape[1] == 0:
            return pl.repeat(self.no_reason, len(x), dtype=pl.String, eager=True)
        above = np.column_stack([self._above(x, g, index) for g in groups])
        codes = pl.DataFrame(
            {
                f"reason_{k}": np.where(
                    contributions[rows, group] > 0, 2 * group + ~above[rows, group], -1
                )
                for k, group in enumerate(order.T)
            }
        )
        phrases = pl.Series([p for g in groups for p in (g.when_higher, g.when_lower)])
        joined = pl.concat_str(
            [
                pl.when(pl.col(c) >= 0).then(pl.lit(phrases).gather(pl.col(c).clip(0)))
                for c in codes.columns
            ],
            separator="; ",
            ignore_nulls=True,
        )
        return codes.select(
            pl.when(joined.fill_null("") == "").then(pl.lit(self.no_reason)).otherwise(joined)
        ).to_series()

    def _above(self, x: np.ndarray, group: ReasonGroup, index: dict[str, int]) -> np.ndarray:
        """Whether each row sits above the typical client in this group: judged on the lead
        feature, or on the first feature of the group that differs from its median."""
        decided = np.zeros(len(x), dtype=bool)
        above = np.ones(len(x), dtype=bool)
        for name in (group.lead, *(f for f in group.features if f in index)):
            value, median = x[:, index[name]], self.medians[index[name]]
            missing = np.isnan(value)
            differs = (missing != np.isnan(median)) | ((value != median) & ~missing)
            fresh = differs & ~decided
            above[fresh] = (~missing & (np.isnan(median) | (value > median)))[fresh]
            decided |= differs
        return above


def training_sample(y: np.ndarray, cap: int, seed: int) -> tuple[np.ndarray, np.ndarray | None]:
    """Positions of the rows to fit on, in order, and their weights (None: every row, unweighted).

    Above ``cap`` rows, positives are kept up to half the cap and negatives fill the rest, each
    class weighted by its rows over its kept rows: the weighted sample stands for the whole
    training part, and rare positives are not thinned with the common negatives."""
    if len(y) <= cap:
        return np.arange(len(y)), None
    rng = np.random.default_rng(seed)
    kept, weights = [], []
    positives, negatives = np.flatnonzero(y), np.flatnonzero(~y)
    keep_positives = min(len(positives), cap // 2)
    for rows, keep in ((positives, keep_positives), (negatives, cap - keep_positives)):
        kept.append(rng.choice(rows, size=keep, replace=False))
        weights.append(np.full(keep, len(rows) / keep))
    kept_rows, kept_weights = np.concatenate(kept), np.concatenate(weights)
    order = np.argsort(kept_rows)
    return kept_rows[order], kept_weights[order]


def fit_booster(
    train_part: pl.DataFrame, label: str, features: list[str], config: ModelConfig
) -> HistGradientBoostingClassifier:
    """Gradient boosting on the training part, or on its weighted sample beyond
    ``config.max_training_rows`` (``training_sample``)."""
    y = train_part[label].to_numpy().astype(bool)
    rows, weights = training_sample(y, config.max_training_rows, config.seed)
    return boost(matrix(train_part[rows], features), y[rows], weights, config, features)


def boost(
    x: np.ndarray,
    y: np.ndarray,
    weights: np.ndarray | None,
    config: ModelConfig,
    features: list[str],
) -> HistGradientBoostingClassifier:
    """Gradient boosting with the configured seed and hyperparameters; ``features`` names the
    columns of ``x``, for the configured monotonic directions."""
    monotonic = config.boosting.monotonic
    unknown = sorted(set(monotonic) - set(features))
    if unknown:
        raise ValueError(f"monotonic directions for features the model lacks: {unknown}")
    return HistGradientBoostingClassifier(
        random_state=config.seed,
        monotonic_cst=[monotonic.get(name, 0) for name in features],
        **config.boosting.model_dump(exclude={"monotonic"}),
    ).fit(x, y, sample_weight=weights)


class CompiledLogOdds(FrozenEstimator):
    """The fitted booster, frozen, whose log-odds come from the compiled walk of its trees
    (``PathExplainer``) — the values scoring reads the calibrator with — instead of
    scikit-learn's predictor: calibrating the seven cross-sell families spent 24 s of 109 s in
    it at bank-1m."""

    def __init__(self, estimator: HistGradientBoostingClassifier, threads: int = 1):
        super().__init__(estimator)
        self.threads = threads

    def decision_function(self, x: np.ndarray) -> np.ndarray:
        return PathExplainer(self.estimator, []).raw_score(np.asarray(x, np.float64), self.threads)


def calibrate(
    booster: HistGradientBoostingClassifier,
    train_part: pl.DataFrame,
    calibration_part: pl.DataFrame,
    label: str,
    features: list[str],
    split: TimeSplit,
    config: ModelConfig,
    reason_groups: tuple[ReasonGroup, ...] = REASON_GROUPS,
    no_reason: str = NO_REASON,
) -> CalibratedModel:
    """Calibrate the fitted ``booster`` (frozen) on ``calibration_part``; keep the medians and a
    reference sample of ``train_part`` for reasons and drift."""
    calibrated = CalibratedClassifierCV(
        CompiledLogOdds(booster, config.tree_threads), method=config.calibration_method
    ).fit(matrix(calibration_part, features), calibration_part[label].to_numpy())
    rng = np.random.default_rng(config.seed)
    rows = train_part.height
    sample = rng.choice(rows, size=min(REFERENCE_ROWS, rows), replace=False)
    # Medians in Polars (nulls skipped, as NaN by nanmedian): no float64 copy of the whole
    # training part (bank-300k lead priority: ≈ 1 GB).
    medians = train_part.select(pl.col(f).cast(pl.Float64).median() for f in features).row(0)
    model = CalibratedModel(
        features=features,
        booster=booster,
        calibrated=calibrated,
        medians=np.array(medians, dtype=np.float64),
        reference=matrix(train_part[sample], features),
        reference_scores=np.empty(0),
        split=split,
        reason_groups=reason_groups,
        no_reason=no_reason,
    )
    model.reference_scores = model.predict(model.reference)
    return model


@dataclass(frozen=True)
class TrainingResult:
    model: CalibratedModel
    training_positives: int
    gate_passed: bool
    beats_baseline: bool
    validation: dict
    baseline: dict


def train(
    frame: pl.DataFrame,
    config: ModelConfig,
    *,
    label: str = "is_churned",
    baseline: Callable[[pl.DataFrame, ModelConfig], np.ndarray] = baseline_score,
    period: str = "as_of_date",
    reason_groups: tuple[ReasonGroup, ...] = REASON_GROUPS,
    no_reason: str = NO_REASON,
    compared: tuple[str, ...] = ("roc_auc", "top_decile_lift"),
) -> TrainingResult:
    """Fit, calibrate and judge on ``frame`` = features joined with labels (``label``,
    ``is_complete``), split in time by the ``period`` column. Every other column but the keys
    is a feature. The model beats the baseline when it exceeds it on every ``compared`` metric.
    The gate and the baseline comparison are reported, not raised: the caller decides whether
    the model may be published."""
    complete = pl.col("is_complete")
    split = time_split(frame.select(pl.col(period).filter(complete)).to_series().to_list(), config)
    features = feature_columns(frame.drop(label, "is_complete", period, strict=False))
    part = split_parts(frame, split, period, where=complete)
    # Copied parts (a frame not in period order) leave the whole frame unused: release it (the
    # caller hands over its only reference); slices keep its memory alive either way.
    del frame
    booster = fit_booster(part["train"], label, features, config)
    model = calibrate(
        booster,
        part["train"],
        part["calibration"],
        label,
        features,
        split,
        config,
        reason_groups=reason_groups,
        no_reason=no_reason,
    )
    y_val = part["validation"][label].to_numpy()
    validation = classification_report(
        y_val, model.predict_frame(part["validation"], config.tree_threads), calibrated=True
    )
    rule = classification_report(y_val, baseline(part["validation"], config), calibrated=False)
    positives = int(part["train"][label].sum() + part["calibration"][label].sum())
    model.metrics = {"validation": validation, "baseline": rule}
    return TrainingResult(
        model=model,
        training_positives=positives,
        gate_passed=positives >= config.min_positives,
        beats_baseline=all(validation[k] > rule[k] for k in compared),
        validation=validation,
        baseline=rule,
    )


def score(
    frame: pl.DataFrame,
    model: CalibratedModel,
    version: str,
    config: ChurnConfig,
    stored: pl.DataFrame = NOTHING_STORED,
) -> tuple[pl.DataFrame, int]:
    """Scores of the rows of one as-of date (``latest_rows``): calibrated probability, decile
    (1 = the 10 % most likely to leave) and the row's top reasons — taken from ``stored``
    (``score_reuse.stored_explanations``) where the row has not changed since — and how many
    rows went through the trees."""
    prob, reasons, explained_rows = explained(
        frame,
        stored,
        lambda rows: model.explain(
            matrix(rows, model.features), config.reasons_per_row, config.tree_threads
        ),
    )
    scores = pl.DataFrame(
        {
            "golden_client_id": frame["golden_client_id"],
            "as_of_date": frame["as_of_date"],
            "model_version": version,
            "score": prob,
            "decile": deciles(prob),
            "reasons": reasons,
            SCORED_FROM: frame[SCORED_FROM],
        }
    )
    return scores, explained_rows


DRIFT_FEATURES = (
    "days_since_last_activity",
    "own_account_out_rub_3m",
    "salary_rub_month",
    "card_purchase_count_month",
    "login_count_month",
    "balance_rub_month_end",
    "products_held_count",
)
"""The main features watched for drift: one per precursor family."""


def drift(
    model: CalibratedModel,
    frame: pl.DataFrame,
    scores: np.ndarray,
    watched: tuple[str, ...] = DRIFT_FEATURES,
) -> dict[str, float]:
    """PSI of the ``watched`` features and of the score of ``frame`` against the training
    sample."""
    index = {f: i for i, f in enumerate(model.features)}
    x = matrix(frame, model.features)
    psi = {
        f: population_stability_index(model.reference[:, index[f]], x[:, index[f]])
        for f in watched
        if f in index
    }
    psi["score"] = population_stability_index(model.reference_scores, scores)
    return psi
