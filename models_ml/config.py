"""The one place for the ML models' seeds, hyperparameters and thresholds (docs/ml.md).

Pipeline code receives a ``ChurnConfig``; tests pass their own (e.g. a low positives gate for
the tiny bank). Each constant says what chose it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class BoostingParams(BaseModel):
    """``HistGradientBoostingClassifier`` arguments; shallow trees and strong L2 because the
    churn signal is a few noisy precursors, not interactions of many features."""

    model_config = ConfigDict(frozen=True)

    learning_rate: float = 0.05
    max_iter: int = 300
    max_leaf_nodes: int = 15
    min_samples_leaf: int = 40
    l2_regularization: float = 1.0
    early_stopping: bool = True
    validation_fraction: float = 0.15
    n_iter_no_change: int = 20
    monotonic: dict[str, Literal[-1, 1]] = Field(
        default={},
        description="Features the model may only rise (1) or only fall (-1) with, all else "
        "equal: a known direction of the business, held by every tree instead of learnt anew "
        "from few positives (scikit-learn's ``monotonic_cst``).",
    )


SALE_VALUE_RUB = {
    "credit_card": 12_000.0,
    "cash_loan": 25_000.0,
    "mortgage": 150_000.0,
    "car_loan": 40_000.0,
    "term_deposit": 6_000.0,
    "savings": 3_000.0,
    "demand_deposit": 1_500.0,
    "brokerage": 8_000.0,
    "insurance": 7_000.0,
}
"""What one sale of a retail product type brings the bank, roubles: planning assumptions of the
first year's margin and fees, set by the business and not learnt or measured (replace with
finance's figures). The one table both the next best offer and lead priority turn a probability
into an expected value with."""


class ModelConfig(BaseModel):
    """What every calibrated model shares: split, calibration, seed, boosting, drift, reasons."""

    model_config = ConfigDict(frozen=True)

    validation_months: int = Field(
        default=3, description="Latest as-of dates with a complete label window, held out."
    )
    calibration_months: int = Field(
        default=1, description="Latest training as-of dates used to calibrate, not to fit."
    )
    calibration_method: str = Field(
        default="sigmoid",
        pattern="^(isotonic|sigmoid)$",
        description="Sigmoid: two parameters fitted on one calibration month (≈ 100 churners on "
        "the tiny bank), where isotonic steps would tie many scores; validation ROC AUC on "
        "warehouse labels is the same either way (tiny bank: 0.786 sigmoid, 0.787 isotonic).",
    )
    seed: int = 20261203
    boosting: BoostingParams = BoostingParams()
    max_training_rows: int = Field(
        default=300_000,
        ge=1_000,
        description="Rows the trees are fitted on at most: beyond it, positives (at most half "
        "the cap) and negatives are sampled, each weighted by the inverse of its sampling rate, "
        "so fitting costs the same at any bank size (bank-100k churn: 430 k training rows).",
    )
    psi_warn: float = 0.1
    psi_error: float = 0.25
    reasons_per_row: int = 3
    tree_threads: int = Field(
        default=2,
        ge=1,
        description="Threads that run rows through the trees to score, explain and validate "
        "them: the machine's two cores. Blocks of rows are independent; 1 M rows explained by "
        "300 trees took 13.7 s on one, 7.8 s on two.",
    )


class ChurnConfig(ModelConfig):
    """Churn model: label, gate and baseline settings (split, training and drift: ModelConfig)."""

    name: str = "churn"
    horizon_days: int = Field(default=90, description="Label window after the as-of date.")
    silence_days: int = Field(
        default=45,
        description="Stopping all activity = no activity in the last `silence_days` of the "
        "window, after activity in the `silence_days` up to the as-of date.",
    )
    min_positives: int = Field(
        default=500, ge=1, description="Minimum-data gate: churners among the training rows."
    )
    baseline_inactive_days: int = Field(
        default=60, description="Rule baseline: a client with no activity for 60 days leaves."
    )


class CrossSellConfig(ModelConfig):
    """Cross-sell / next best offer: product families, label, gates, baseline, offer values."""

    name: str = "cross_sell"
    horizon_days: int = Field(default=90, description="Label window after the as-of date.")
    product_types: dict[str, tuple[str, ...]] = Field(
        default={
            "credit_card": ("credit_card",),
            "deposit": ("savings", "term_deposit", "demand_deposit"),
            "cash_loan": ("cash_loan",),
            "brokerage": ("brokerage",),
            "insurance": ("insurance",),
            "mortgage": ("mortgage",),
            "car_loan": ("car_loan",),
        },
        description="Product family offered → the fct_contracts product types that make it "
        "(held = any of them open at the as-of date; opened = any of them started in the window).",
    )
    credit_products: tuple[str, ...] = Field(
        default=("credit_card", "cash_loan", "mortgage", "car_loan"),
        description="Families not offered to a client with a retail contract past due.",
    )
    fit_on_applications: bool = Field(
        default=True,
        description="Fit the shared booster on openings and on applications started within "
        "the horizon (about twice the examples of the same wish), then calibrate and judge on "
        "openings. Measured against the simulator's truth, openings alone → with applications, "
        "validation ROC AUC: default bank credit card 0.630 → 0.664, brokerage 0.682 → 0.720, "
        "insurance 0.599 → 0.634, deposit and cash loan within ±0.01; bank-100k the same or "
        "higher for every family (cash loan 0.545 → 0.569).",
    )
    min_positives: int = Field(
        default=100,
        ge=1,
        description="Minimum-data gate per product: openings among the training and "
        "calibration rows; a product below it is registered but never scored. 100, not the "
        "churn model's 500: the tiny bank's window holds 24 (car loan) … 380 (deposit) openings "
        "per family and the default bank's about 1.7× that, so 500 would refuse every family.",
    )
    required_products: tuple[str, ...] = Field(
        default=("credit_card", "deposit", "cash_loan", "brokerage", "insurance"),
        description="The issue's products: the gate check fails (WARN) when one of them is "
        "refused; mortgage and car loan are offered when they pass their gate.",
    )
    min_age_years: int = Field(default=18, description="Eligibility: adults only.")
    baseline_age_bands: tuple[int, ...] = Field(
        default=(25, 35, 45, 55, 65),
        description="Rule baseline cells: age bands cut at these ages × products held (1, 2, 3+).",
    )
    product_value_rub: dict[str, float] = Field(
        default={
            "credit_card": SALE_VALUE_RUB["credit_card"],
            "deposit": SALE_VALUE_RUB["term_deposit"],
            "cash_loan": SALE_VALUE_RUB["cash_loan"],
            "brokerage": SALE_VALUE_RUB["brokerage"],
            "insurance": SALE_VALUE_RUB["insurance"],
            "mortgage": SALE_VALUE_RUB["mortgage"],
            "car_loan": SALE_VALUE_RUB["car_loan"],
        },
        description="Value of a sale per family offered (expected_value_rub = score × value), "
        "from SALE_VALUE_RUB; the deposit family is offered as a term deposit.",
    )


class LeadProduct(BaseModel):
    """A product a lead can end in: its name for the reasons and the value an issued one
    brings."""

    model_config = ConfigDict(frozen=True)

    name_ru: str
    value_rub: float = Field(
        gt=0,
        description="Documented planning value of one issued product for the bank, roubles: "
        "the first year's expected margin and fees (applications carry no amount or limit).",
    )


LEAD_PRODUCTS = {
    "CREDIT_CARD": LeadProduct(name_ru="кредитная карта", value_rub=SALE_VALUE_RUB["credit_card"]),
    "CASH_LOAN": LeadProduct(name_ru="кредит наличными", value_rub=SALE_VALUE_RUB["cash_loan"]),
    "MORTGAGE": LeadProduct(name_ru="ипотека", value_rub=SALE_VALUE_RUB["mortgage"]),
    "CAR_LOAN": LeadProduct(name_ru="автокредит", value_rub=SALE_VALUE_RUB["car_loan"]),
    "TERM_DEPOSIT": LeadProduct(name_ru="срочный вклад", value_rub=SALE_VALUE_RUB["term_deposit"]),
    "SAVINGS": LeadProduct(name_ru="накопительный счёт", value_rub=SALE_VALUE_RUB["savings"]),
    "DEMAND_DEPOSIT": LeadProduct(
        name_ru="вклад до востребования", value_rub=SALE_VALUE_RUB["demand_deposit"]
    ),
    "BROKERAGE": LeadProduct(name_ru="брокерский счёт", value_rub=SALE_VALUE_RUB["brokerage"]),
    "INSURANCE": LeadProduct(name_ru="страховка", value_rub=SALE_VALUE_RUB["insurance"]),
}
"""The products a lead can end in (ДБО application product codes), valued from SALE_VALUE_RUB."""

LEAD_CHANNELS = {
    "app": "мобильное приложение",
    "web": "интернет-банк",
    "office": "офис",
    "contact_center": "контакт-центр",
}


class LeadPriorityConfig(ModelConfig):
    """Lead priority: an open application or shown offer converts to an issued product within
    ``horizon_days`` after the as-of date (docs/ml.md#lead-priority)."""

    name: str = "lead_priority"
    horizon_days: int = Field(default=30, description="Label window after the as-of date.")
    min_positives: int = Field(
        default=500, ge=1, description="Minimum-data gate: converted leads among the training rows."
    )
    boosting: BoostingParams = Field(
        default=BoostingParams(
            early_stopping=False, monotonic={"step_rank": 1, "hours_since_last_step": -1}
        ),
        description="Churn's trees, all 300 iterations: most lead-days are offers and early "
        "stages that never convert, and early stopping on a 15 % holdout stopped too soon "
        "(default bank: validation PR AUC 0.920 with it, below the rule's 0.927; 0.936 "
        "without; tiny bank 0.954 and 0.952, rule 0.933). A lead further down the funnel, or "
        "one that moved more recently, is never less likely to convert, all else equal: the "
        "rule baseline's own two facts, held as monotonic directions (validation PR AUC, "
        "2026-12-07: 3,000-person bench bank 0.9391 → 0.9541, rule 0.9536; default bank "
        "0.9281 → 0.9274, rule 0.9266; bank-100k 0.9494 both, rule 0.9457).",
    )
    products: dict[str, LeadProduct] = LEAD_PRODUCTS
    channels: dict[str, str] = LEAD_CHANNELS
