"""Card spending of one month: authorizations online, clearing one to three days later.

Spending falls with churn pressure (card inactivity is a churn precursor) and rises with income
and digital affinity. Declines use realistic ISO 8583 response codes (51 "insufficient funds"
the most common); a few approvals are reversed and never cleared.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from simulator import business
from simulator.lifecycle import P_INDEX, Lifecycle, MonthState
from simulator.rng import stream
from simulator.strings import pick_labels

PURCHASES_PER_MONTH = 2.4
"""Mean purchases per card holder and month: a 1 M-person bank gets 56 M card-processing rows
a year (`rows_by_system` in benchmarks/results/bank-1m.json), in line with the issue's ~100 M
transaction rows across postings and card records."""
ATM_PER_MONTH = 0.5
DECLINE_CODES = np.array(["51", "05", "61", "55", "65", "57", "54", "14", "91", "96"])
DECLINE_WEIGHTS = np.array([0.42, 0.16, 0.1, 0.09, 0.06, 0.05, 0.04, 0.03, 0.03, 0.02])
RESPONSE_CODES = pl.Series(["00", *DECLINE_CODES])
"""Approved, then the decline codes: a response is an index into it."""
SHARE_DECLINED = 0.045
SHARE_REVERSED = 0.006
CARD_ID_BASE = 7_000_000


CARD_LIFE_DAYS = 1461
"""A card is valid four years, then the processing centre reissues it under a new card id."""
GENERATION_STRIDE = 100_000_000
MAX_GENERATIONS = 16
"""Reissues a contract can see (64 years of four-year cards), so PAN bodies never collide."""


def card_generation(open_day, day):
    """How many times the card of a contract opened on ``open_day`` was reissued by ``day``."""
    return np.maximum(np.asarray(day) - np.asarray(open_day), 0) // CARD_LIFE_DAYS


def card_ids(contract_seq, generation=0) -> np.ndarray:
    return CARD_ID_BASE + np.asarray(contract_seq) + np.asarray(generation) * GENERATION_STRIDE


def pan_serials(card_id: np.ndarray) -> np.ndarray:
    """Distinct 9-digit PAN bodies: contract and generation both change the number."""
    offset = np.asarray(card_id) - CARD_ID_BASE
    return (offset % GENERATION_STRIDE) * MAX_GENERATIONS + offset // GENERATION_STRIDE


def has_card(contract_seq: np.ndarray) -> np.ndarray:
    """About 6 % of current accounts are opened without a card (a stable per-contract rule,
    so spending and the cards file agree)."""
    return (np.asarray(contract_seq, dtype=np.int64) * 2654435761 % 1000) >= 60


NOT_PURCHASES = ("cash", "transfers")


def card_month(
    seed: int, life: Lifecycle, state: MonthState, home_city: np.ndarray
) -> pl.DataFrame:
    """All authorizations of the month, with the clearing fields of the approved ones."""
    rng = stream(seed, "cards", state.index)
    debit = life.holding[:, P_INDEX["CURRENT"]]
    debit = np.where((debit >= 0) & has_card(np.maximum(debit, 0)), debit, -1)
    credit = life.holding[:, P_INDEX["CREDIT_CARD"]]
    who = np.flatnonzero(state.active & ((debit >= 0) | (credit >= 0)))
    span = (state.last_day[who] - state.first_day[who] + 1).clip(0) / (
        state.end_day - state.start_day + 1
    )
    income = (life.income[who] / 42_000) ** 0.3
    intensity = (0.4 + life.digital[who]) * income * (1 - 0.75 * state.pressure[who]) * span
    n_buy = rng.poisson(PURCHASES_PER_MONTH * intensity)
    cash_habit = (1.4 - life.digital[who]) * (1 - 0.5 * state.pressure[who])
    n_atm = rng.poisson(ATM_PER_MONTH * cash_habit * span)
    person = np.concatenate([np.repeat(who, n_buy), np.repeat(who, n_atm)])
    is_atm = np.r_[np.zeros(n_buy.sum(), bool), np.ones(n_atm.sum(), bool)]
    k = len(person)
    if k == 0:
        return pl.DataFrame()
    use_credit = (credit[person] >= 0) & ((debit[person] < 0) | (rng.random(k) < 0.35)) & ~is_atm
    contract = np.where(use_credit | (debit[person] < 0), credit[person], debit[person])
    first = np.maximum(state.first_day[person], life.book["open_day"][contract])
    last = np.maximum(state.last_day[person], first)
    day = first + (rng.random(k) * (last - first + 1)).astype(np.int64)
    second = _time_of_day(rng, k)

    affinity = np.array([[c not in NOT_PURCHASES for c in business.CATEGORIES]], dtype=float)
    n_purchases = int(n_buy.sum())
    merchants = pl.concat(
        [
            business.sample_merchants(
                rng,
                n_purchases,
                category_affinity=affinity,
                owner=np.zeros(n_purchases, dtype=np.int64),
                home_city=home_city[person[:n_purchases]],
            ),
            business.sample_merchants(
                rng,
                k - n_purchases,
                categories=np.full(k - n_purchases, "cash"),
                home_city=home_city[person[n_purchases:]],
            ),
        ]
    )
    approved = rng.random(k) >= SHARE_DECLINED
    response = pick_labels(
        RESPONSE_CODES,
        np.where(approved, 0, 1 + rng.choice(len(DECLINE_CODES), k, p=DECLINE_WEIGHTS)),
    )
    reversed_ = approved & (rng.random(k) < SHARE_REVERSED)
    lag = rng.choice([1, 1, 1, 2, 2, 3], k)
    tip = np.where(
        np.isin(merchants["mcc"].to_numpy(), ["5812", "5814"]) & (rng.random(k) < 0.15),
        1.1,
        1.0,
    )
    amount = merchants["amount_kopecks"].to_numpy()
    return pl.DataFrame(
        {
            "person_id": person,
            "contract_seq": contract,
            "card_id": card_ids(contract, card_generation(life.book["open_day"][contract], day)),
            "is_credit_card": use_credit,
            "is_atm": is_atm,
            "auth_day": day,
            "auth_second": second,
            "amount_kop": amount,
            "clearing_amount_kop": np.round(amount * tip).astype(np.int64),
            "response_code": response,
            "is_approved": approved,
            "is_reversed": reversed_,
            "clearing_day": day + lag,
            "stan": rng.integers(0, 1_000_000, k),
            "rrn_serial": rng.integers(0, 10**11, k),
            "auth_code": rng.integers(0, 1_000_000, k),
        }
    ).hstack(
        merchants.select(
            "mcc", "merchant_name", "de43", "merchant_id", "terminal_id", "pos_entry_mode"
        )
    )


def _time_of_day(rng: np.random.Generator, k: int) -> np.ndarray:
    """Seconds after local midnight, shaped like retail card traffic (peaks midday and evening)."""
    hour = rng.choice(24, k, p=_HOUR_PROFILE)
    return hour * 3600 + rng.integers(0, 3600, k)


_HOURS = np.array(
    [0.4, 0.2, 0.1, 0.1, 0.1, 0.2, 0.6, 1.5, 3.0, 4.5, 5.5, 6.0,
     6.8, 6.5, 6.0, 6.0, 6.3, 7.0, 7.6, 7.0, 5.5, 4.0, 2.5, 1.2]
)  # fmt: skip
_HOUR_PROFILE = _HOURS / _HOURS.sum()
