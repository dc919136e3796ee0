"""Lead priority: which open lead to call first. Labels from the warehouse, training, the rule
baseline, registry and scores; plain Python over a DuckDB connection (docs/ml.md#lead-priority).

A lead is an open ДБО application (every channel) or an offer shown in the app or internet bank,
one row per lead and as-of date in ``ml.ml_features__lead_priority``. The model is churn's
(``models_ml.churn.train``: gradient boosting fitted on the earlier months, calibrated on the
next, judged on the latest complete ones) with its own label, baseline and reasons. Scores rank
the leads open at the latest as-of date by expected value = probability × the product's value.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from cdp.warehouse import BUILD_STAMPS, query_frame, query_frame_by_period, temporary_table
from models_ml.churn import CalibratedModel, ReasonGroup, TrainingResult, drift, matrix, train
from models_ml.config import LeadPriorityConfig
from models_ml.metrics import deciles
from models_ml.pipeline import (
    ScoreOutcome,
    TrainOutcome,
    card,
    data_fingerprint,
    latest_rows,
    promoted_model,
    register,
    replace_scores,
)

FEATURES_TABLE = "ml.ml_features__lead_priority"
SCORES_TABLE = "ml.ml_scores__lead_priority"
LABEL = "is_converted"
PERIOD = "as_of_month_date"
DESCRIPTIVE = (
    "lead_id",
    "lead_kind",
    "application_id",
    "offer_id",
    "product_code",
    "channel",
    "lead_started_at",
    "callback_due_at",
)
"""Feature-table columns that identify or describe a lead but are not model inputs (product and
channel enter as indicator columns)."""
INDICATOR_SOURCES = ("lead_kind", "product_code", "channel")
"""The descriptive columns ``model_frame`` turns into indicator columns."""

LABELS_SQL = """
with
bounds as (select max(step_at) as data_end_at from staging.stg_dbo__applications),
rows as (
    select lead_id, as_of_date, lead_kind, application_id, offer_id,
        as_of_date + interval 1 day as as_of_at
    from ml.ml_features__lead_priority
),
issued as (
    select rows.lead_id, rows.as_of_date, rows.as_of_at, applications.issued_at
    from rows
    -- Equality alone in the join: a condition on the left table only (lead_kind = 'offer')
    -- turned it into a nested loop (bank-100k: 440 s instead of 2 s).
    left join intermediate.int_kpi_leads_converted as offers
        on rows.offer_id = offers.offer_id
    left join intermediate.int_kpi_applications_stepped as applications
        on applications.application_id = coalesce(
            rows.application_id, case when rows.lead_kind = 'offer' then offers.application_id end
        )
)
select
    lead_id,
    as_of_date,
    coalesce(issued_at >= as_of_at and issued_at < as_of_at + to_days($horizon), false)
        as is_converted,
    as_of_at + to_days($horizon) <= data_end_at as is_complete
from issued
cross join bounds
"""


def lead_labels(con: duckdb.DuckDBPyConnection, horizon_days: int) -> pl.DataFrame:
    """One row per feature row: ``is_converted`` = the lead's application (for an offer, the
    application that carries it) reaches ``issued`` within ``horizon_days`` after the as-of
    moment; ``is_complete`` when that window lies within the data."""
    return query_frame(con, LABELS_SQL, {"horizon": horizon_days})


def model_frame(features: pl.DataFrame, config: LeadPriorityConfig) -> pl.DataFrame:
    """The feature table as the model reads it: indicator columns for lead kind, product and
    channel, the as-of month (the split's period), descriptive columns dropped."""
    return features.with_columns(
        (pl.col("lead_kind") == "offer").alias("is_offer"),
        *(
            (pl.col("product_code") == code).alias(f"is_product_{code.lower()}")
            for code in config.products
        ),
        *(
            (pl.col("channel") == channel).alias(f"is_channel_{channel}")
            for channel in config.channels
        ),
        pl.col("as_of_date").dt.month_start().alias(PERIOD),
    ).drop(DESCRIPTIVE, strict=False)


def labelled_features(
    con: duckdb.DuckDBPyConnection, config: LeadPriorityConfig, for_training: bool = False
) -> pl.DataFrame:
    """The feature table with its labels, joined and sorted in DuckDB (in Polars the join and
    the sort held two more copies: bank-300k, 4.8 M rows, 5.7 GiB peak); sorted because the
    training sample is drawn by position (see ``pipeline.training_frame``), as-of date first so
    each part of the time split is a slice of the frame, not a copy. Read one as-of month at a
    time (``query_frame_by_period``), the labels computed once before: a sort of all 14.6 M
    lead-days of bank-1m held them again beside the frame (7.0 GB peak under a 4 GB limit).
    ``for_training`` reads only what training uses: rows with a complete label window, and
    not the ids and times that only describe a lead (bank-1m: 16 M rows, five string and
    time columns that ``model_frame`` drops anyway)."""
    unused = [*BUILD_STAMPS, *(c for c in DESCRIPTIVE if c not in INDICATOR_SOURCES)]
    with temporary_table(con, "lead_labels", LABELS_SQL, {"horizon": config.horizon_days}):
        return query_frame_by_period(
            con,
            f"""
            select
                features.* exclude ({", ".join(unused if for_training else BUILD_STAMPS)}),
                labels.is_converted,
                labels.is_complete
            from {FEATURES_TABLE} as features
            join lead_labels as labels using (lead_id, as_of_date)
            where date_trunc('month', features.as_of_date) = $period
                {"and labels.is_complete" if for_training else ""}
            order by features.as_of_date, features.lead_id
            """,
            "select distinct date_trunc('month', as_of_date) as month from lead_labels "
            f"{'where is_complete' if for_training else ''} order by month",
        )


def training_frame(con: duckdb.DuckDBPyConnection, config: LeadPriorityConfig) -> pl.DataFrame:
    return model_frame(labelled_features(con, config, for_training=True), config)


def baseline_score(frame: pl.DataFrame, config: LeadPriorityConfig) -> np.ndarray:
    """The rule baseline, "furthest step first, freshest first": a lead that reached a later
    funnel step (signed > approved > submitted > filled > started > offer shown) ranks above
    every lead at an earlier one; within a step, the one that moved most recently ranks first."""
    step = frame["step_rank"].cast(pl.Float64).to_numpy()
    idle = frame["hours_since_last_step"].cast(pl.Float64).to_numpy()
    return step * 1e6 - idle


def reason_groups(config: LeadPriorityConfig) -> tuple[ReasonGroup, ...]:
    """Business groups of lead features, phrased in Russian by whether the lead sits above or
    below the typical lead. Product and channel are one group each per value: only the lead's
    own product or channel can raise its probability."""
    products = tuple(
        ReasonGroup(
            (f"is_product_{code.lower()}",),
            f"is_product_{code.lower()}",
            f"Продукт «{product.name_ru}» часто доводят до выдачи",
            f"Продукт «{product.name_ru}» доводят до выдачи реже",
        )
        for code, product in config.products.items()
    )
    channels = tuple(
        ReasonGroup(
            (f"is_channel_{channel}",),
            f"is_channel_{channel}",
            f"Канал «{name}» часто доводит до выдачи",
            f"Канал «{name}» доводит до выдачи реже",
        )
        for channel, name in config.channels.items()
    )
    return (
        ReasonGroup(
            ("step_rank", "is_offer"),
            "step_rank",
            "Заявка продвинулась далеко по воронке",
            "Заявка на раннем шаге или ещё не подана",
        ),
        ReasonGroup(
            ("hours_since_last_step", "hours_since_lead_start"),
            "hours_since_last_step",
            "Давно нет движения по заявке или предложению",
            "Свежий лид: недавний шаг по заявке или показ предложения",
        ),
        ReasonGroup(
            ("has_follow_up_call", "follow_up_hours"),
            "has_follow_up_call",
            "Клиенту уже дозвонились по заявке",
            "Звонка клиенту по заявке ещё не было",
        ),
        ReasonGroup(
            ("is_from_offer",),
            "is_from_offer",
            "Лид по предложению банка",
            "Заявка подана без предложения банка",
        ),
        ReasonGroup(
            ("days_to_month_end",),
            "days_to_month_end",
            "До конца месяца кампании ещё далеко",
            "Месяц кампании заканчивается",
        ),
        ReasonGroup(
            ("previous_issued_count", "previous_application_count", "previous_declined_count"),
            "previous_issued_count",
            "Уже оформлял продукты банка по заявкам",
            "Раньше не оформлял продукты по заявкам или получал отказы",
        ),
        ReasonGroup(
            ("products_held_count", "has_loan", "has_deposit", "tenure_days"),
            "products_held_count",
            "Много продуктов банка",
            "Мало продуктов банка",
        ),
        ReasonGroup(
            ("salary_rub_previous_3_avg", "inflow_rub_previous_3_avg", "balance_rub_month_end"),
            "salary_rub_previous_3_avg",
            "Высокие доходы и остатки",
            "Невысокие доходы и остатки",
        ),
        ReasonGroup(
            ("login_count_month", "days_since_last_activity"),
            "login_count_month",
            "Активно пользуется мобильным банком",
            "Редко пользуется мобильным банком",
        ),
        *products,
        *channels,
    )


NO_REASON = "Нет заметных признаков, повышающих шанс выдачи"

DRIFT_FEATURES = (
    "step_rank",
    "hours_since_last_step",
    "hours_since_lead_start",
    "products_held_count",
    "salary_rub_previous_3_avg",
    "login_count_month",
)
"""The main features watched for drift: funnel position, freshness, the client's profile."""


def training_options(config: LeadPriorityConfig) -> dict:
    """How ``churn.train`` fits and judges the lead model."""
    return {
        "label": LABEL,
        "baseline": baseline_score,
        "period": PERIOD,
        "reason_groups": reason_groups(config),
        "no_reason": NO_REASON,
        # Conversions are rarer than one in ten open leads, so the top decile holds all of them
        # for model and baseline alike (tiny bank: capture 100 % both): precision-recall decides.
        "compared": ("roc_auc", "pr_auc"),
    }


def train_model(frame: pl.DataFrame, config: LeadPriorityConfig) -> TrainingResult:
    return train(frame, config, **training_options(config))


def model_card(version: str, result: TrainingResult, config: LeadPriorityConfig, meta: dict) -> str:
    return card(
        f"Lead priority model {version}",
        "Probability that a lead open at the as-of date (an ДБО application or a shown offer) "
        f"converts to an issued product within {config.horizon_days} days (docs/ml.md).",
        "furthest funnel step first, freshest first",
        result,
        config,
        meta,
        notes=(
            "Value per issued product (roubles): "
            + ", ".join(f"{code} {p.value_rub:,.0f}" for code, p in config.products.items())
            + ".",
        ),
    )


def train_lead_priority(
    con: duckdb.DuckDBPyConnection,
    root: Path,
    config: LeadPriorityConfig,
    *,
    now: dt.datetime | None = None,
) -> TrainOutcome:
    """Train, register, and promote only a model that passed its gate and beat its baseline."""
    fingerprint = data_fingerprint(con, FEATURES_TABLE)
    # ``train`` itself, not ``train_model``, whose reference to the frame would keep it whole
    # in memory next to its split (``train`` releases it once split).
    result = train(training_frame(con, config), config, **training_options(config))
    return register(root, config, result, fingerprint, model_card, now)


def score(
    features: pl.DataFrame, model: CalibratedModel, version: str, config: LeadPriorityConfig
) -> pl.DataFrame:
    """Scores of the leads of one as-of date, ranked: ``priority_rank`` 1 is the lead with the
    highest expected value (probability × the product's value), ties by the earlier call-back
    deadline."""
    prob, reasons = model.explain(
        matrix(model_frame(features, config), model.features),
        config.reasons_per_row,
        config.tree_threads,
    )
    values = features["product_code"].replace_strict(
        {code: p.value_rub for code, p in config.products.items()},
        default=None,
        return_dtype=pl.Float64,
    )
    return (
        features.select("lead_id", "golden_client_id", "product_code", "channel", "as_of_date")
        .with_columns(
            model_version=pl.lit(version),
            score=pl.Series(prob),
            decile=pl.Series(deciles(prob)),
            expected_value_rub=(pl.Series(prob) * values).round(2),
            reasons=pl.Series(reasons, dtype=pl.String),
            callback_due_at=features["callback_due_at"],
        )
        .sort(
            pl.col("expected_value_rub"),
            pl.col("callback_due_at"),
            pl.col("lead_id"),
            descending=[True, False, False],
            nulls_last=True,
        )
        .with_row_index("priority_rank", offset=1)
    )


def score_lead_priority(
    con: duckdb.DuckDBPyConnection, root: Path, config: LeadPriorityConfig
) -> ScoreOutcome:
    """Score the leads open at the latest as-of date with the promoted model into
    ``ml.ml_scores__lead_priority`` (replaced whole) and measure drift against training."""
    version, model = promoted_model(root, config.name)
    latest = latest_rows(con, FEATURES_TABLE, "lead_id")
    scores = score(latest, model, version, config)
    replace_scores(
        con,
        SCORES_TABLE,
        scores,
        "lead_id, golden_client_id, product_code, channel, as_of_date, model_version, score, "
        "cast(decile as tinyint) as decile, cast(expected_value_rub as decimal(18, 2)) as "
        "expected_value_rub, cast(priority_rank as integer) as priority_rank, reasons, "
        "callback_due_at",
    )
    return ScoreOutcome(
        version=version,
        as_of_date=latest["as_of_date"].max(),
        rows=scores.height,
        psi=drift(model, model_frame(latest, config), scores["score"].to_numpy(), DRIFT_FEATURES),
        explained=scores.height,  # a lead's row is new every day: nothing to keep
    )
