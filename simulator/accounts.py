"""Account numbers and running balances of every account the simulated bank keeps.

Retail accounts are numbered from their contract's sequence number, business settlement accounts
(РКО of companies and sole proprietors) from a separate serial range, and the bank's own
technical accounts are fixed. Every number carries a valid control key for the bank's BIC.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from cdp import identifiers as ids
from simulator.lifecycle import ContractBook
from simulator.products import PRODUCTS, RETAIL
from simulator.rng import stream

BANK_BIC = "044525777"
BANK_NAME = "АО «Банк Пример»"
BUSINESS_SERIAL_BASE = 5_000_000
BRANCH_BASE = 100
"""Branch code of a region: BRANCH_BASE + region code (the account number's digits 10–13)."""

PASSIVE_PREFIXES = ("40817", "423", "40702", "40802", "30601")
"""Passive accounts: a positive balance is the bank's debt to the client (credit balance)."""


def _technical(code: str, serial: int) -> str:
    return str(ids.account_numbers(code, "810", 1, np.array([serial]), BANK_BIC)[0])


TECHNICAL = {
    "correspondent": _technical("30102", 1),
    "card_settlement": _technical("30232", 1),
    "cash_desk": _technical("20202", 1),
    "fee_income": _technical("70601", 1),
    "interest_expense": _technical("70606", 1),
    "loan_issue": _technical("47422", 1),
}


def term_bucket_codes(codes: np.ndarray, term_months: np.ndarray) -> np.ndarray:
    """Term deposits (4230x) and loans (4550x) sit on the balance account of their term:
    deposits 42303 ≤ 90 d, 42304 ≤ 180 d, 42305 ≤ 1 y, 42306 ≤ 3 y; loans 45505 ≤ 1 y,
    45506 ≤ 3 y, 45507 over 3 y."""
    out = codes.copy()
    deposit = np.char.startswith(codes.astype(str), "4230") & (term_months > 0)
    out[deposit] = np.select(
        [term_months[deposit] <= 3, term_months[deposit] <= 6, term_months[deposit] <= 12],
        ["42303", "42304", "42305"],
        "42306",
    )
    loan = np.isin(codes, ["45505", "45506", "45507"])
    out[loan] = np.select(
        [term_months[loan] <= 12, term_months[loan] <= 36], ["45505", "45506"], "45507"
    )
    return out


class RetailAccounts:
    """Numbers and balances of retail contracts, grown as the contract book grows."""

    def __init__(self, book: ContractBook, person_region: np.ndarray):
        self.book = book
        self.region = person_region
        self.number = np.empty(0, dtype="<U20")
        self.number_series = pl.Series("account", [], dtype=pl.String)
        self.balance = np.zeros(0, dtype=np.int64)
        self.balance_code = np.empty(0, dtype="<U5")
        self.passive = np.empty(0, dtype=bool)

    def sync(self) -> None:
        """Number the contracts opened since the last call."""
        have, n = len(self.number), self.book.n
        if n == have:
            return
        seq = np.arange(have, n)
        product = self.book["product"][have:n]
        codes = np.array([PRODUCTS[c].balance_account or "" for c in RETAIL])[product]
        codes = term_bucket_codes(codes, self.book["term_months"][have:n])
        numbers = np.full(n - have, "", dtype="<U20")
        has = codes != ""
        branch = BRANCH_BASE + self.region[self.book["person_id"][have:n][has]] % 100
        numbers[has] = ids.account_numbers(codes[has], "810", branch, seq[has], BANK_BIC)
        self.number = np.concatenate([self.number, numbers])
        self.number_series.append(pl.Series("account", numbers))
        self.balance_code = np.concatenate([self.balance_code, codes])
        self.passive = np.concatenate([self.passive, is_passive(codes)])
        self.balance = np.concatenate([self.balance, np.zeros(n - have, dtype=np.int64)])


def business_accounts(codes: np.ndarray, serials: np.ndarray, regions: np.ndarray) -> np.ndarray:
    return ids.account_numbers(
        codes, "810", BRANCH_BASE + regions % 100, BUSINESS_SERIAL_BASE + serials, BANK_BIC
    )


def is_passive(numbers: np.ndarray) -> np.ndarray:
    """True for passive accounts, from account numbers or balance-account codes."""
    text = np.asarray(numbers, dtype="<U20")
    return np.any([np.char.startswith(text, p) for p in PASSIVE_PREFIXES], axis=0)


class BusinessAccounts:
    """Settlement accounts (РКО) of companies (40702) and sole proprietors (40802).

    Keys start at ``key_base`` so they never collide with retail contract sequence numbers.
    """

    key_base = 1_000_000_000

    def __init__(self, companies, persons, identity, seed: int):
        rng = stream(seed, "business_accounts")
        m = companies.height
        ip_people = identity.sole_proprietors["person_id"].to_numpy()
        self.company_count = m
        self.owner_person = np.r_[np.full(m, -1), ip_people]
        self.company_id = np.r_[np.arange(m), np.full(len(ip_people), -1)]
        codes = np.r_[np.full(m, "40702"), np.full(len(ip_people), "40802")]
        regions = np.r_[
            companies["region_code"].to_numpy(), persons["region_code"].to_numpy()[ip_people]
        ]
        self.regions = regions
        self.numbers = business_accounts(codes, np.arange(len(codes)), regions)
        self.number_series = pl.Series("account", self.numbers)
        self.open_day = np.r_[
            companies["join_day"].to_numpy(),
            identity.sole_proprietors["registered_day"].to_numpy(),
        ]
        employees = np.r_[companies["employees"].to_numpy(), np.ones(len(ip_people))]
        self.monthly_rate = np.clip(2 + 0.8 * np.sqrt(employees), 2, 40)
        self.balance = np.round(employees * rng.uniform(20_000, 90_000, len(codes)) * 100).astype(
            np.int64
        )

    def company_key(self, company_ids: np.ndarray) -> np.ndarray:
        return self.key_base + company_ids

    def active_keys(self, day: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Keys, owning person (-1 for companies) and monthly payment rates of open accounts."""
        idx = np.flatnonzero(self.open_day <= day)
        return self.key_base + idx, self.owner_person[idx], self.monthly_rate[idx]

    def number(self, keys: np.ndarray) -> np.ndarray:
        return self.numbers[keys - self.key_base]

    def get_balance(self, keys: np.ndarray) -> np.ndarray:
        return self.balance[keys - self.key_base]

    def set_balance(self, keys: np.ndarray, values: np.ndarray) -> None:
        self.balance[keys - self.key_base] = values
