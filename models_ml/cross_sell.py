"""Cross-sell / next best offer: labels from the warehouse, one calibrated model per product
family, a rule baseline per product, eligibility and the ranked offers. Plain Python over
frames and a DuckDB connection; the Dagster assets only call it (docs/ml.md, "Cross-sell and
next best offer").

**Label.** For a feature row (client, as-of) and a product family P the client does not hold at
the as-of date: ``is_opened`` = a retail contract of one of P's product types starts in
(as-of, as-of + ``horizon_days``]. Rows holding P are not at risk for P and are left out. A row
is complete when as-of + horizon ≤ the last posting date; incomplete rows are never used.

The models reuse the churn machinery (``models_ml.churn``): the same time split, gradient
boosting with frozen-model calibration, and path-contribution reasons over business feature groups.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import duckdb
import numpy as np
import polars as pl

from cdp.warehouse import query_frame
from models_ml.churn import (
    KEYS,
    CalibratedModel,
    ReasonGroup,
    TimeSplit,
    boost,
    calibrate,
    drift,
    feature_columns,
    matrix,
    rows_where,
    split_parts,
    time_split,
    training_sample,
)
from models_ml.config import CrossSellConfig
from models_ml.metrics import classification_report, deciles
from models_ml.score_reuse import NOTHING_STORED, SCORED_FROM, explained

FEATURES_TABLE = "ml.ml_features__cross_sell"

REASON_GROUPS = (
    ReasonGroup(
        ("salary_rub_month", "salary_rub_previous_3_avg", "inflow_rub_month",
         "inflow_rub_previous_3_avg", "pension_rub_3m_avg", "personal_transfer_typical_rub_3m"),
        "salary_rub_month",
        "Высокие поступления и зарплата на счёт",
        "Небольшие поступления на счёт",
    ),
    ReasonGroup(
        ("balance_rub_month_end", "balance_rub_3_months_before"),
        "balance_rub_month_end",
        "Крупные остатки на счетах",
        "Небольшие остатки на счетах",
    ),
    ReasonGroup(
        ("outflow_rub_month", "card_purchase_count_month", "card_purchase_previous_3_avg"),
        "card_purchase_count_month",
        "Активно тратит и платит картой",
        "Мало тратит и редко платит картой",
    ),
    ReasonGroup(
        ("login_count_month", "login_previous_3_avg", "days_since_last_login",
         "days_since_last_activity"),
        "login_count_month",
        "Активно пользуется мобильным банком",
        "Редко заходит в мобильный банк",
    ),
    ReasonGroup(
        ("age_years",),
        "age_years",
        "Возраст старше типичного клиента",
        "Молодой клиент",
    ),
    ReasonGroup(
        ("holds_credit_card", "holds_cash_loan", "holds_mortgage", "holds_car_loan"),
        "holds_cash_loan",
        "Есть кредиты в банке",
        "Нет кредитов в банке",
    ),
    ReasonGroup(
        ("holds_savings", "holds_term_deposit", "holds_demand_deposit", "holds_brokerage",
         "holds_insurance"),
        "holds_savings",
        "Хранит сбережения в банке",
        "Нет сбережений в банке",
    ),
    ReasonGroup(
        ("products_held_count", "contracts_opened_90d_count", "contracts_closed_90d_count",
         "holds_current_account"),
        "products_held_count",
        "Много продуктов банка, недавно открывал новые",
        "Мало продуктов банка",
    ),
    ReasonGroup(
        ("tenure_days", "months_observed"),
        "tenure_days",
        "Давний клиент банка",
        "Клиент банка недавно",
    ),
    ReasonGroup(
        ("is_sole_proprietor",),
        "is_sole_proprietor",
        "Индивидуальный предприниматель",
        "Частное лицо, не ИП",
    ),
)  # fmt: skip
NO_REASON = "Нет заметных признаков интереса к продукту"

DRIFT_FEATURES = (
    "age_years",
    "salary_rub_month",
    "balance_rub_month_end",
    "card_purchase_count_month",
    "login_count_month",
    "products_held_count",
    "tenure_days",
)
"""The main features watched for drift: one per reason family."""

EVENTS_IN_HORIZON_SQL = f"""
with events as ({{events}})
select distinct rows.golden_client_id, rows.as_of_date, events.product
from {FEATURES_TABLE} as rows
join events
    on rows.golden_client_id = events.golden_client_id
    and events.event_date > rows.as_of_date
    and events.event_date <= rows.as_of_date + $horizon
"""
"""(client, as-of, family) of every feature row whose client had an event of the family within
the horizon after the as-of date; ``events`` selects (golden_client_id, product, event_date)."""

OPENINGS = """
    select contracts.golden_client_id, families.product, contracts.start_date as event_date
    from marts.fct_contracts as contracts
    join product_families as families using (product_type)
    where contracts.client_segment = 'retail' and contracts.golden_client_id is not null
"""

APPLICATIONS = """
    select applications.golden_client_id, families.product,
        cast(applications.started_at as date) as event_date
    from intermediate.int_kpi_applications_stepped as applications
    join product_families as families
        on families.product_type = lower(applications.product_code)
    where applications.golden_client_id is not null and applications.started_at is not null
"""


def product_families(config: CrossSellConfig) -> pl.DataFrame:
    """(product_type, product) pairs of ``config.product_types``."""
    pairs = [(t, p) for p, types in config.product_types.items() for t in types]
    return pl.DataFrame(pairs, schema=["product_type", "product"], orient="row")


def openings(con: duckdb.DuckDBPyConnection, config: CrossSellConfig) -> pl.DataFrame:
    """(golden_client_id, as_of_date, product) for every feature row and product family the
    client opened within the horizon after the as-of date: the label."""
    return _events_in_horizon(con, OPENINGS, config)


def applications(con: duckdb.DuckDBPyConnection, config: CrossSellConfig) -> pl.DataFrame:
    """(golden_client_id, as_of_date, product) for every feature row and product family the
    client started an application for (ДБО, any channel) within the horizon after the as-of
    date, whatever became of it."""
    return _events_in_horizon(con, APPLICATIONS, config)


def _events_in_horizon(
    con: duckdb.DuckDBPyConnection, events: str, config: CrossSellConfig
) -> pl.DataFrame:
    con.register("product_families", product_families(config).to_arrow())
    try:
        return query_frame(
            con, EVENTS_IN_HORIZON_SQL.format(events=events), {"horizon": config.horizon_days}
        )
    finally:
        con.unregister("product_families")


def data_end(con: duckdb.DuckDBPyConnection) -> dt.date:
    [end] = con.execute("select max(posting_date) from marts.fct_transactions").fetchone()
    return end


def holds(product: str, config: CrossSellConfig) -> pl.Expr:
    """The row holds product family ``product`` at its as-of date."""
    return pl.any_horizontal(pl.col(f"holds_{t}") for t in config.product_types[product])


def offer_columns(product: str, config: CrossSellConfig) -> list[pl.Expr]:
    """Which product a row is about, one-hot (``offer_<product>``), for the shared model."""
    return [pl.lit(p == product).alias(f"offer_{p}") for p in config.product_types]


def at_risk(
    features: pl.DataFrame, opened: pl.DataFrame, product: str, config: CrossSellConfig
) -> pl.DataFrame:
    """The feature rows not holding ``product``, in their order, with its offer columns and
    ``is_opened``."""
    return with_openings(
        features.filter(~holds(product, config)).with_columns(
            *offer_columns(product, config), product=pl.lit(product)
        ),
        opened,
        product,
    )


def with_openings(rows: pl.DataFrame, opened: pl.DataFrame, product: str) -> pl.DataFrame:
    """``rows`` in their order with ``is_opened``: the client opened ``product`` within the
    label window of the row's as-of date. Only the keys are joined (``opened`` holds each
    key and product once): a join of the wide rows copied them all again (bank-1m: 7.9 GB
    peak for cross-sell training, against 5.3 GB beside it)."""
    hits = opened.filter(pl.col("product") == product).select(*KEYS).with_columns(is_opened=True)
    flags = rows.select(*KEYS).join(hits, on=list(KEYS), how="left", maintain_order="left")
    return rows.with_columns(flags["is_opened"].fill_null(False))


def baseline_cells(config: CrossSellConfig) -> pl.Expr:
    """The rule baseline's cell of a row: age band × products held (1, 2, 3 or more)."""
    age = pl.col("age_years")
    band = (
        pl.when(age.is_null())
        .then(None)
        .otherwise(pl.sum_horizontal(age >= b for b in config.baseline_age_bands))
    )
    held = pl.col("products_held_count").clip(upper_bound=3).cast(pl.String)
    return pl.concat_str(band.cast(pl.String).fill_null("?"), pl.lit("/"), held.fill_null("?"))


def baseline_rates(frame: pl.DataFrame, label: str, config: CrossSellConfig) -> dict[str, float]:
    """Rule baseline, "popularity": the opening rate of the product in each cell (age band ×
    products held) over the training rows; ``"*"`` is the overall rate for unseen cells."""
    rates = frame.group_by(baseline_cells(config).alias("cell")).agg(
        pl.col(label).cast(pl.Float64).mean()
    )
    return dict(rates.iter_rows()) | {"*": float(frame[label].cast(pl.Float64).mean())}


def baseline_score(frame: pl.DataFrame, rates: dict[str, float], config: CrossSellConfig):
    cells = frame.select(baseline_cells(config)).to_series().to_list()
    return np.array([rates.get(c, rates["*"]) for c in cells])


@dataclass(frozen=True)
class ProductResult:
    """One product family's training outcome; ``model`` is None below the gate (not fitted)."""

    product: str
    model: CalibratedModel | None
    training_positives: int
    gate_passed: bool
    beats_baseline: bool
    validation: dict | None
    baseline: dict | None

    @property
    def is_publishable(self) -> bool:
        return self.gate_passed and self.beats_baseline


@dataclass
class CrossSellModel:
    """One calibration of the shared model per product family (``products``); only the
    publishable ones are scored."""

    features: list[str]
    split: TimeSplit
    products: dict[str, CalibratedModel]
    publishable: list[str]


@dataclass(frozen=True)
class CrossSellTraining:
    model: CrossSellModel
    results: dict[str, ProductResult]
    required: tuple[str, ...]

    @property
    def gate_passed(self) -> bool:
        """Every required product passed its minimum-data gate."""
        return all(self.results[p].gate_passed for p in self.required)

    @property
    def beats_baseline(self) -> bool:
        """Every product that passed its gate beats its rule baseline."""
        return all(r.beats_baseline for r in self.results.values() if r.gate_passed)

    @property
    def is_promotable(self) -> bool:
        """At least one product family may be offered (passed its gate, beat its baseline)."""
        return bool(self.model.publishable)


def judge_product(
    booster,
    part: dict[str, pl.DataFrame],
    product: str,
    features: list[str],
    split: TimeSplit,
    config: CrossSellConfig,
) -> ProductResult:
    """Calibrate the shared ``booster`` for one product family on its calibration rows and
    judge it on its validation rows against the product's rule baseline; ``part`` holds the
    family's at-risk rows of each part of the split."""
    positives = int(part["train"]["is_opened"].sum() + part["calibration"]["is_opened"].sum())
    if positives < config.min_positives:
        return ProductResult(product, None, positives, False, False, None, None)
    model = calibrate(
        booster,
        part["train"],
        part["calibration"],
        "is_opened",
        features,
        split,
        config,
        reason_groups=REASON_GROUPS,
        no_reason=NO_REASON,
    )
    y_val = part["validation"]["is_opened"].to_numpy()
    validation = classification_report(
        y_val, model.predict_frame(part["validation"], config.tree_threads), calibrated=True
    )
    rates = baseline_rates(part["train"], "is_opened", config)
    baseline = classification_report(
        y_val, baseline_score(part["validation"], rates, config), calibrated=False
    )
    model.metrics = {"validation": validation, "baseline": baseline}
    return ProductResult(
        product,
        model,
        positives,
        True,
        validation["roc_auc"] > baseline["roc_auc"],
        validation,
        baseline,
    )


def fit_shared_booster(
    complete: pl.DataFrame,
    opened: pl.DataFrame,
    split: TimeSplit,
    columns: list[str],
    config: CrossSellConfig,
):
    """The shared model, fitted on the training part's at-risk rows of every family stacked
    (family by family, each in the frame's order, so the same data gives the same model) or on
    their weighted sample (``training_sample``). Only each stacked row's position in the
    training part, its family and its label are stacked, and the features of the rows fitted
    on are gathered: bank-300k's stacked rows with every feature took 10.6 GB, and stacking
    their string keys peaked at 7.6 GiB at bank-1m."""
    train_rows = rows_where(complete, pl.col("as_of_date").is_in(split.train_dates))
    products = list(config.product_types)
    stacked = pl.concat(
        [
            with_openings(
                train_rows.select(*KEYS, held=holds(product, config))
                .with_row_index("row")
                .filter(~pl.col("held")),
                opened,
                product,
            ).select("row", "is_opened", family=pl.lit(code, dtype=pl.UInt8))
            for code, product in enumerate(products)
        ]
    )
    y = stacked["is_opened"].to_numpy()
    rows, weights = training_sample(y, config.max_training_rows, config.seed)
    sample = stacked[rows]
    family = sample["family"]
    fitted = train_rows[sample["row"]].with_columns(
        (family == code).alias(f"offer_{product}") for code, product in enumerate(products)
    )
    return boost(matrix(fitted, columns), y[rows], weights, config, columns)


def wanted(opened: pl.DataFrame, applied: pl.DataFrame | None) -> pl.DataFrame:
    """What the shared booster is fitted on: each (client, as-of, family) with an opening or,
    when ``applied`` is given, a started application within the horizon. Every decision to buy
    starts an application, and only about half of them become contracts (forms left unfilled,
    declines, unsigned offers): the applications show the same wish about twice as often, so
    the rare families' trees see twice the examples. Calibration and judgement stay on
    openings, the label."""
    if applied is None:
        return opened
    return pl.concat([opened, applied.select(opened.columns).cast(opened.schema)]).unique(
        maintain_order=True
    )


def train(
    features: pl.DataFrame,
    opened: pl.DataFrame,
    end: dt.date,
    config: CrossSellConfig,
    applied: pl.DataFrame | None = None,
) -> CrossSellTraining:
    """One gradient-boosting model over the at-risk rows of every product family (the offer
    columns say which), so the families share what drives buying at all (income, app use,
    age, holdings), fitted on openings and, when given, started applications (``wanted``);
    calibrated and judged per family on openings, one family's rows at a time."""
    complete = rows_where(
        features, pl.col("as_of_date") + pl.duration(days=config.horizon_days) <= end
    )
    split = time_split(complete["as_of_date"].to_list(), config)
    columns = feature_columns(features) + [f"offer_{p}" for p in config.product_types]
    booster = fit_shared_booster(complete, wanted(opened, applied), split, columns, config)
    results = {
        product: judge_product(
            booster,
            # in as-of order, like ``complete``: the parts of the split are slices
            split_parts(at_risk(complete, opened, product, config), split),
            product,
            columns,
            split,
            config,
        )
        for product in config.product_types
    }
    model = CrossSellModel(
        features=columns,
        split=split,
        products={p: r.model for p, r in results.items() if r.model is not None},
        publishable=[p for p, r in results.items() if r.is_publishable],
    )
    return CrossSellTraining(model, results, config.required_products)


ELIGIBILITY_SQL = f"""
with
rows as (select golden_client_id, as_of_date, age_years from {FEATURES_TABLE}
         where as_of_date = $as_of),
overdue as (
    select distinct golden_client_id from marts.fct_contracts
    where client_segment = 'retail' and is_open and days_past_due > 0
),
suspended as (
    select distinct accounts.golden_client_id
    from staging.stg_cards__blocks as blocks
    join marts.dim_accounts as accounts using (account_number)
    where blocks.block_type = 'fz115_suspension'
        and blocks.date_from <= $as_of and coalesce(blocks.date_to > $as_of, true)
)
select rows.golden_client_id,
    coalesce(rows.age_years >= $min_age, false) as is_adult,
    overdue.golden_client_id is not null as has_overdue_debt,
    suspended.golden_client_id is not null as is_fz115_suspended
from rows
left join overdue using (golden_client_id)
left join suspended using (golden_client_id)
"""


def eligibility(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, config: CrossSellConfig
) -> pl.DataFrame:
    """Per client of ``as_of``: adult (known age ≥ ``min_age_years``), overdue debt now (an open
    retail contract with days past due), 115-FZ suspension (an open card block of type
    ``fz115_suspension`` on one of the client's accounts)."""
    return con.execute(ELIGIBILITY_SQL, {"as_of": as_of, "min_age": config.min_age_years}).pl()


def score(
    frame: pl.DataFrame,
    allowed: pl.DataFrame,
    model: CrossSellModel,
    version: str,
    config: CrossSellConfig,
    stored: Callable[[str], pl.DataFrame] = lambda product: NOTHING_STORED,
) -> tuple[pl.DataFrame, dict[str, float], int]:
    """Offers for the rows of one as-of date (``latest_rows``): per publishable product, the
    clients who do not hold it and may be offered it, with the calibrated probability, the
    decile within the product, the row's reasons — taken from ``stored(product)`` where the
    row has not changed since (``score_reuse``) — and the expected value; ``offer_rank`` 1 =
    the client's next best offer. Also the drift (PSI) of the watched features and of each
    product's score, and how many rows went through the trees."""
    # in the features' order: deciles break ties by position (``pipeline.latest_rows``)
    frame = frame.join(allowed, on="golden_client_id", maintain_order="left")
    parts, psi, explained_rows = [], {}, 0
    for product in model.publishable:
        product_model = model.products[product]
        rows = frame.filter(
            ~holds(product, config)
            & pl.col("is_adult")
            & ~pl.col("is_fz115_suspended")
            & ~(pl.col("has_overdue_debt") & (product in config.credit_products))
        )
        if rows.is_empty():
            continue
        rows = rows.with_columns(offer_columns(product, config))
        prob, reasons, explained_here = explained(
            rows,
            stored(product),
            lambda part, product_model=product_model: product_model.explain(
                matrix(part, product_model.features), config.reasons_per_row, config.tree_threads
            ),
        )
        explained_rows += explained_here
        for name, value in drift(product_model, rows, prob, DRIFT_FEATURES).items():
            key = f"score:{product}" if name == "score" else name
            psi[key] = max(psi.get(key, 0.0), value)
        parts.append(
            pl.DataFrame(
                {
                    "golden_client_id": rows["golden_client_id"],
                    "as_of_date": rows["as_of_date"],
                    "model_version": version,
                    "product": product,
                    "score": prob,
                    "decile": deciles(prob),
                    "reasons": reasons,
                    # rounded to kopecks here, so the stored value and the rank agree
                    "expected_value_rub": np.round(prob * config.product_value_rub[product], 2),
                    SCORED_FROM: rows[SCORED_FROM],
                }
            )
        )
    scores = pl.concat(parts) if parts else pl.DataFrame()
    if scores.height:
        scores = scores.sort(
            ["golden_client_id", "expected_value_rub", "product"], descending=[False, True, False]
        ).with_columns(offer_rank=pl.int_range(1, pl.len() + 1).over("golden_client_id"))
    return scores, psi, explained_rows
