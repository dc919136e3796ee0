"""The bank's product line: balance-sheet codes, terms and the cross-sell drivers of each.

Balance accounts follow the Bank of Russia chart of accounts (809-П): passive accounts (current,
deposits) carry a positive credit balance, active ones (loans) a positive debit balance.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Product:
    code: str
    name_ru: str
    contract_type: str
    balance_account: str | None
    has_card: bool = False
    is_credit: bool = False
    term_months: tuple[int, ...] = ()
    monthly_base: float = 0.0
    segment: str = "retail"


PRODUCTS: dict[str, Product] = {
    p.code: p
    for p in (
        Product("CURRENT", "Текущий счёт с дебетовой картой", "текущий счёт", "40817", True),
        Product("SAVINGS", "Накопительный счёт", "накопительный счёт", "40817", monthly_base=0.010),
        Product("DEMAND_DEPOSIT", "Вклад до востребования", "вклад", "42301", monthly_base=0.002),
        Product(
            "TERM_DEPOSIT",
            "Срочный вклад",
            "вклад",
            "42304",
            term_months=(3, 6, 12, 24),
            monthly_base=0.007,
        ),
        Product(
            "CREDIT_CARD",
            "Кредитная карта",
            "кредитная карта",
            "45509",
            has_card=True,
            is_credit=True,
            monthly_base=0.009,
        ),
        Product(
            "CASH_LOAN",
            "Кредит наличными",
            "кредит наличными",
            "45506",
            is_credit=True,
            term_months=(12, 24, 36, 60),
            monthly_base=0.006,
        ),
        Product(
            "MORTGAGE",
            "Ипотека",
            "ипотека",
            "45507",
            is_credit=True,
            term_months=(120, 180, 240),
            monthly_base=0.0012,
        ),
        Product(
            "CAR_LOAN",
            "Автокредит",
            "автокредит",
            "45506",
            is_credit=True,
            term_months=(36, 60),
            monthly_base=0.0012,
        ),
        Product(
            "BROKERAGE", "Брокерский счёт", "брокерское обслуживание", "30601", monthly_base=0.003
        ),
        Product("INSURANCE", "Страхование жизни", "страхование", None, monthly_base=0.004),
        Product("RKO_IP", "РКО ИП", "РКО", "40802", segment="sole_proprietor"),
        Product("RKO", "Расчётно-кассовое обслуживание", "РКО", "40702", segment="legal"),
        Product("ACQUIRING", "Торговый эквайринг", "эквайринг", None, segment="legal"),
        Product(
            "BUSINESS_LOAN",
            "Кредит бизнесу",
            "кредит бизнесу",
            "45206",
            is_credit=True,
            term_months=(12, 24, 36),
            segment="legal",
        ),
        Product("SALARY_PROJECT", "Зарплатный проект", "зарплатный проект", None, segment="legal"),
    )
}

RETAIL = [c for c, p in PRODUCTS.items() if p.segment == "retail"]
CROSS_SELL = [c for c in RETAIL if PRODUCTS[c].monthly_base > 0]
"""Products a retail client can adopt during the history; the first entries of ML cross-sell."""

INITIAL_HOLDING = {
    "SAVINGS": 0.30,
    "DEMAND_DEPOSIT": 0.05,
    "TERM_DEPOSIT": 0.14,
    "CREDIT_CARD": 0.22,
    "CASH_LOAN": 0.11,
    "MORTGAGE": 0.05,
    "CAR_LOAN": 0.03,
    "BROKERAGE": 0.06,
    "INSURANCE": 0.09,
}
"""Share of clients holding each product when the history starts (before trait effects)."""

ANNUAL_RATE = {
    "SAVINGS": 14.0,
    "DEMAND_DEPOSIT": 0.01,
    "TERM_DEPOSIT": 17.5,
    "CREDIT_CARD": 34.9,
    "CASH_LOAN": 27.9,
    "MORTGAGE": 9.5,
    "CAR_LOAN": 19.9,
    "BUSINESS_LOAN": 21.0,
}
