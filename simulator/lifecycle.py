"""Month-by-month life of every client: joining, product adoption, applications and churn.

Churn is driven by a latent monthly hazard (traits plus an AR(1) "dissatisfaction" process).
A client who decides to leave takes 0–2 months to do it; during that time the activity
generators see a raised *pressure* and plant noisy precursors (money moved to own accounts at
other banks, salary stopping, card inactivity, complaints ...). A fifth of leavers show no
precursor at all, a few change their mind, and loyal clients show some precursors too. The
ground truth keeps each client's true probability of churning within 90 days of every month
start, which evaluation uses as the ceiling for the churn model.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import polars as pl

from simulator.population import Population, days
from simulator.products import ANNUAL_RATE, CROSS_SELL, INITIAL_HOLDING, PRODUCTS, RETAIL
from simulator.rng import stream

EPOCH = dt.date(1970, 1, 1)
NEVER_DAY = np.iinfo(np.int64).max
"""Day number meaning "not (yet)": a contract not closed, a client who never churns."""
LEAVING_MONTHS_P = np.array([0.30, 0.40, 0.30])
"""How many months after deciding a leaver actually leaves (0 = within the same month)."""
SHARE_SILENT_LEAVERS = 0.20
SHARE_CHANGE_MIND = 0.12
SHARE_CLOSE_ALL = 0.55
CHURN_INTERCEPT = -4.75
"""Chosen so that annual retail churn lands at 13–16 % (tests/evaluation/test_simulator_truth)."""
DISSATISFACTION_WEIGHT = 1.0
"""Weight of the AR(1) dissatisfaction in the hazard's logit; evaluation removes it to measure
how much of the truth's ceiling comes from this process the extracts barely show."""

P_INDEX = {code: i for i, code in enumerate(RETAIL)}


@dataclass
class ContractBook:
    """Every product contract ever opened, growing as months pass (numpy columns)."""

    capacity: int
    n: int = 0
    cols: dict[str, np.ndarray] = field(default_factory=dict)

    SPEC: ClassVar[dict[str, type]] = {
        "person_id": np.int64,
        "product": np.int16,
        "open_day": np.int64,
        "close_day": np.int64,
        "amount_kop": np.int64,
        "rate": np.float64,
        "term_months": np.int16,
        "dpd": np.int16,
        "autopay": np.bool_,
        "rollovers": np.int16,
        "term_start_day": np.int64,
    }

    def __post_init__(self):
        self.cols = {k: np.zeros(self.capacity, dtype=t) for k, t in self.SPEC.items()}
        self.cols["close_day"][:] = NEVER_DAY

    def add(self, **values: np.ndarray) -> np.ndarray:
        k = len(values["person_id"])
        if self.n + k > self.capacity:
            grow = max(self.capacity, k)
            for name, arr in self.cols.items():
                fill = NEVER_DAY if name == "close_day" else 0
                self.cols[name] = np.concatenate([arr, np.full(grow, fill, dtype=arr.dtype)])
            self.capacity += grow
        idx = np.arange(self.n, self.n + k)
        for name, arr in values.items():
            self.cols[name][idx] = arr
        self.n += k
        return idx

    def __getitem__(self, name: str) -> np.ndarray:
        return self.cols[name][: self.n]

    def frame(self) -> pl.DataFrame:
        return pl.DataFrame(
            {"contract_seq": np.arange(self.n, dtype=np.int64)}
            | {k: v[: self.n] for k, v in self.cols.items()}
        )


@dataclass
class MonthState:
    """What the activity generators need to know about one month."""

    index: int
    start_day: int
    end_day: int
    active: np.ndarray
    """Client at some point in the month (joined, not churned before the month)."""
    first_day: np.ndarray
    last_day: np.ndarray
    """Per person: first and last day with activity this month."""
    pressure: np.ndarray
    """0..1, how strongly churn precursors show this month."""
    leaving: np.ndarray
    offers: pl.DataFrame
    applications: pl.DataFrame


class Lifecycle:
    """Owns the evolving state; ``advance`` moves one month and reports what happened."""

    def __init__(self, params, population: Population, login_since: np.ndarray):
        self.params = params
        self.persons = population.persons
        n = self.persons.height
        self.n = n
        p = self.persons
        self.age0 = (days(params.business_date) - p["birth_day"].to_numpy()) / 365.25
        self.income = p["income_rub"].to_numpy()
        self.digital = p["digital"].to_numpy()
        self.satisfaction = p["satisfaction"].to_numpy()
        self.price = p["price_sensitivity"].to_numpy()
        self.risk = p["risk"].to_numpy()
        self.join = p["join_day"].to_numpy()
        self.salary = p["employer_company_id"].to_numpy() >= 0
        self.login_since = login_since
        """Day each person got a digital-banking login (NEVER_DAY if never): app offers and
        app applications need one."""
        self.status = np.zeros(n, dtype=np.int8)
        self.z = stream(params.seed, "z0").normal(0, 1, n)
        self.churn_day = np.full(n, NEVER_DAY, dtype=np.int64)
        self.decide_day = np.full(n, NEVER_DAY, dtype=np.int64)
        self.silent = np.zeros(n, dtype=bool)
        self.close_all = np.zeros(n, dtype=bool)
        self.change_mind = np.zeros(n, dtype=bool)
        self.holding = np.full((n, len(RETAIL)), -1, dtype=np.int64)
        self.book = ContractBook(capacity=int(n * 3.5) + 100)
        self.app_seq = 0
        self.offer_seq = 0
        self.truth_churn: list[pl.DataFrame] = []
        self.truth_adoption: list[pl.DataFrame] = []
        self.truth_apps: list[pl.DataFrame] = []
        self.dpd_events: list[pl.DataFrame] = []
        self.month_starts = _month_starts(params)
        self._initial_holdings()

    # -- setup -------------------------------------------------------------------------------
    def _initial_holdings(self) -> None:
        """Products held by clients who joined before the history starts."""
        rng = stream(self.params.seed, "initial_holdings")
        start = self.month_starts[0]
        old = self.join < start
        who = np.flatnonzero(old)
        self._open(rng, who, "CURRENT", self.join[who])
        income_z = (np.log(self.income) - np.log(42_000)) / 0.55
        for code, share in INITIAL_HOLDING.items():
            logit = np.log(share / (1 - share)) + 0.35 * income_z - 0.4 * (self.age0 > 70)
            logit = logit + (0.5 * self.salary if PRODUCTS[code].is_credit else 0)
            take = old & (rng.random(self.n) < _sigmoid(logit))
            who = np.flatnonzero(take)
            opened = self.join[who] + (rng.random(len(who)) * (start - self.join[who])).astype(
                np.int64
            )
            idx = self._open(rng, who, code, opened)
            self._still_running_at(rng, idx, start)
        self.status[old] = 1

    def _still_running_at(self, rng, idx: np.ndarray, start: int) -> None:
        """A term product held when the history starts is within its term: a loan was taken
        less than a term ago, a deposit has been rolled over into its current term."""
        b = self.book.cols
        term_days = (b["term_months"][idx].astype(np.int64) * 30.4).astype(np.int64)
        matured = (term_days > 0) & (b["term_start_day"][idx] + term_days <= start)
        idx, term_days = idx[matured], term_days[matured]
        into_term = (rng.uniform(0.05, 0.95, len(idx)) * term_days).astype(np.int64)
        person = b["person_id"][idx]
        if len(idx):
            deposit = b["product"][idx] == P_INDEX["TERM_DEPOSIT"]
            b["rollovers"][idx[deposit]] = (
                (start - b["open_day"][idx[deposit]]) // term_days[deposit]
            ).astype(np.int16)
            b["term_start_day"][idx[deposit]] = start - into_term[deposit]
            loan = idx[~deposit]
            day = np.maximum(start - into_term[~deposit], self.join[person[~deposit]])
            b["open_day"][loan] = day
            b["term_start_day"][loan] = day

    def _open(self, rng, who: np.ndarray, code: str, day: np.ndarray) -> np.ndarray:
        if len(who) == 0:
            return who
        product = PRODUCTS[code]
        k = len(who)
        income = self.income[who]
        terms = np.array(product.term_months or (0,), dtype=np.int16)
        term = terms[rng.integers(0, len(terms), k)]
        amount = {
            "CREDIT_CARD": income * rng.uniform(1.0, 3.0, k),
            "CASH_LOAN": income * rng.uniform(2.0, 10.0, k),
            "MORTGAGE": income * rng.uniform(40, 110, k),
            "CAR_LOAN": income * rng.uniform(10, 30, k),
            "TERM_DEPOSIT": income * rng.lognormal(0.8, 0.8, k),
            "SAVINGS": income * rng.lognormal(0.0, 0.9, k),
            "DEMAND_DEPOSIT": income * rng.lognormal(-0.5, 0.8, k),
            "BROKERAGE": income * rng.lognormal(0.5, 1.0, k),
            "INSURANCE": rng.uniform(3_000, 40_000, k),
        }.get(code, income * rng.uniform(0.1, 1.2, k))
        base_rate = ANNUAL_RATE.get(code, 0.0)
        rate = np.maximum(base_rate + rng.normal(0, 1.0, k) * (base_rate > 1), base_rate / 2)
        idx = self.book.add(
            person_id=who,
            product=np.full(k, P_INDEX[code], dtype=np.int16),
            open_day=day,
            term_start_day=day,
            amount_kop=np.round(amount, -3).astype(np.int64) * 100,
            rate=np.round(rate, 2),
            term_months=term,
            autopay=rng.random(k) < 0.25 + 0.4 * self.digital[who],
        )
        self.holding[who, P_INDEX[code]] = idx
        return idx

    def _close(self, contract_idx: np.ndarray, day: np.ndarray) -> None:
        if len(contract_idx) == 0:
            return
        self.book.cols["close_day"][contract_idx] = day
        persons = self.book.cols["person_id"][contract_idx]
        products = self.book.cols["product"][contract_idx]
        self.holding[persons, products] = -1

    # -- one month ---------------------------------------------------------------------------
    def advance(self, m: int) -> MonthState:
        rng = stream(self.params.seed, "month", m)
        s = self.month_starts[m]
        e = self.month_starts[m + 1] - 1
        p = self.params

        self.z = 0.75 * self.z + rng.normal(0, 0.66, self.n)
        in_bank_at_start = self.status >= 1
        self._record_churn_truth(m, s, in_bank_at_start)

        joiners = np.flatnonzero((self.status == 0) & (self.join <= e))
        self.status[joiners] = 1
        self._open(rng, joiners, "CURRENT", self.join[joiners])

        leaving_before = self.status == 2
        self._decide_churn(rng, s, e, in_bank_at_start & (self.status == 1))
        active = (self.status >= 1) & (self.status <= 2) | (
            (self.status == 3) & (self.churn_day >= s)
        )
        self._execute_churn(s, e)
        self._maturities(rng, s, e)
        offers = self._offers(rng, m, s, e, active)
        applications = self._adoption(rng, m, s, e, offers)
        self._delinquency(rng, s, e)

        leaving = (self.decide_day <= e) & (self.churn_day >= s)
        months_to_churn = np.clip((self.churn_day - e) / 30.0, 0, 3)
        pressure = np.where(leaving & ~self.silent, 1.0 - 0.25 * months_to_churn, 0.0)
        pressure = np.maximum(pressure, 0.2 * _sigmoid(2 * self.z - 3) * active)
        pressure = np.where(leaving_before & self.silent, 0.0, pressure)
        first_day = np.clip(self.join, s, e)
        last_day = np.clip(self.churn_day, s - 1, e)
        return MonthState(
            index=m,
            start_day=s,
            end_day=min(e, days(p.business_date)),
            active=active,
            first_day=first_day,
            last_day=last_day,
            pressure=pressure,
            leaving=leaving,
            offers=offers,
            applications=applications,
        )

    def _hazard_logit(self, day: int) -> np.ndarray:
        n_products = (self.holding >= 0).sum(axis=1)
        tenure_days = day - self.join
        return (
            CHURN_INTERCEPT
            + 1.8 * (1 - self.satisfaction)
            + 0.8 * self.price
            - 0.30 * np.minimum(n_products, 5)
            - 0.6 * self.salary
            + 0.5 * (tenure_days < 365)
            + DISSATISFACTION_WEIGHT * self.z
        )

    def _record_churn_truth(self, m: int, s: int, in_bank: np.ndarray) -> None:
        """True P(churn within 90 days of ``s``), from the latent state the model cannot see."""
        q = _sigmoid(self._hazard_logit(s))
        stay = 1 - SHARE_CHANGE_MIND
        cum = np.cumsum(LEAVING_MONTHS_P)
        p_active = stay * (q * cum[2] + (1 - q) * q * cum[1] + (1 - q) ** 2 * q * cum[0])
        decided = (self.decide_day < s) & (self.churn_day >= s)
        within = self.churn_day < s + 90
        p_decided = np.where(within, stay, 0.02)
        prob = np.where(decided, p_decided, p_active)
        who = np.flatnonzero(in_bank & (self.churn_day >= s))
        self.truth_churn.append(
            pl.DataFrame(
                {
                    "person_id": who,
                    "as_of_date": np.full(len(who), s, dtype=np.int64),
                    "monthly_decision_prob": q[who].astype(np.float32),
                    "churn_prob_90d": prob[who].astype(np.float32),
                    "is_leaving": decided[who],
                    "is_silent_leaver": (decided & self.silent)[who],
                    "dissatisfaction": self.z[who].astype(np.float32),
                }
            ).with_columns(pl.col("as_of_date").cast(pl.Date))
        )

    def _decide_churn(self, rng, s: int, e: int, eligible: np.ndarray) -> None:
        q = _sigmoid(self._hazard_logit(s))
        decide = eligible & (rng.random(self.n) < q)
        who = np.flatnonzero(decide)
        k = len(who)
        lag = rng.choice(3, size=k, p=LEAVING_MONTHS_P)
        self.decide_day[who] = s + (rng.random(k) * (e - s + 1) * 0.8).astype(np.int64)
        base = self.decide_day[who] + 30 * lag
        self.churn_day[who] = base + rng.integers(3, 28, k)
        self.silent[who] = rng.random(k) < SHARE_SILENT_LEAVERS
        self.close_all[who] = rng.random(k) < SHARE_CLOSE_ALL
        self.change_mind[who] = rng.random(k) < SHARE_CHANGE_MIND
        self.status[who] = 2

    def _execute_churn(self, s: int, e: int) -> None:
        due = np.flatnonzero((self.status == 2) & (self.churn_day <= e))
        mind = due[self.change_mind[due]]
        self.status[mind] = 1
        self.churn_day[mind] = NEVER_DAY
        self.decide_day[mind] = NEVER_DAY
        self.change_mind[mind] = False
        gone = due[~np.isin(due, mind)]
        self.status[gone] = 3
        closing = gone[self.close_all[gone]]
        held = self.holding[closing]
        rows, cols = np.nonzero(held >= 0)
        contracts = held[rows, cols]
        self._close(contracts, self.churn_day[closing][rows])

    def _maturities(self, rng, s: int, e: int) -> None:
        b = self.book
        open_ = b["close_day"] == NEVER_DAY
        term = b["term_months"].astype(np.int64)
        product = b["product"]
        maturity = b["term_start_day"] + (term * 30.4).astype(np.int64)
        due = np.flatnonzero(open_ & (term > 0) & (maturity >= s) & (maturity <= e))
        if len(due) == 0:
            return
        person = b["person_id"][due]
        is_deposit = product[due] == P_INDEX["TERM_DEPOSIT"]
        leaving = self.status[person] == 2
        roll = is_deposit & (rng.random(len(due)) < np.where(leaving, 0.15, 0.72))
        matured = maturity[due]
        self.book.cols["term_start_day"][due[roll]] = matured[roll]
        self.book.cols["rollovers"][due[roll]] += 1
        self._close(due[~roll], matured[~roll])

    def _offers(self, rng, m: int, s: int, e: int, active: np.ndarray) -> pl.DataFrame:
        """Offers shown in the app (digital clients) and made by contact-centre agents."""
        has_login = self.login_since <= e
        shown_app = (
            active & has_login & (self.status == 1) & (rng.random(self.n) < 0.55 * self.digital)
        )
        called = active & (self.status <= 2) & (rng.random(self.n) < 0.03)
        rows = []
        for channel, mask in (("app", shown_app), ("contact_center", called)):
            who = np.flatnonzero(mask)
            not_held = self.holding[who][:, [P_INDEX[c] for c in CROSS_SELL]] < 0
            weights = not_held * np.array([PRODUCTS[c].monthly_base for c in CROSS_SELL])
            total = weights.sum(axis=1)
            keep = total > 0
            who, weights, total = who[keep], weights[keep], total[keep]
            u = rng.random(len(who))[:, None]
            choice = (np.cumsum(weights / total[:, None], axis=1) < u).sum(axis=1)
            k = len(who)
            rows.append(
                pl.DataFrame(
                    {
                        "offer_id": np.arange(self.offer_seq, self.offer_seq + k),
                        "person_id": who,
                        "product": np.array(CROSS_SELL)[choice],
                        "channel": np.full(k, channel),
                        "campaign_id": np.full(k, f"CMP-{m:02d}-{channel[:3].upper()}"),
                        "shown_day": s + (rng.random(k) * (e - s + 1)).astype(np.int64),
                    }
                )
            )
            self.offer_seq += k
        return pl.concat(rows)

    def _adoption_logits(self) -> np.ndarray:
        """Monthly logit of wanting each cross-sell product, from traits and holdings."""
        income_z = (np.log(self.income) - np.log(42_000)) / 0.55
        age = self.age0
        held = self.holding >= 0
        n_held = held.sum(axis=1)
        has_loan = held[:, [P_INDEX[c] for c in ("CASH_LOAN", "MORTGAGE", "CAR_LOAN")]].any(axis=1)
        effects = {
            "SAVINGS": 0.5 * income_z + 0.8 * self.price + 0.3 * self.digital,
            "DEMAND_DEPOSIT": 0.2 * income_z + 0.5 * (age > 60),
            "TERM_DEPOSIT": 0.6 * income_z + 0.9 * self.price + 0.8 * (age > 55),
            "CREDIT_CARD": 0.7 * self.salary
            + 0.3 * income_z
            + 0.6 * self.digital
            - 1.0 * (age > 68),
            "CASH_LOAN": 0.9 * self.risk + 0.6 * self.price - 0.3 * income_z - 0.8 * (age > 65),
            "MORTGAGE": 0.8 * ((age > 25) & (age < 45)) + 0.5 * income_z + 0.3 * self.salary,
            "CAR_LOAN": 0.5 * income_z + 0.4 * ((age > 23) & (age < 55)),
            "BROKERAGE": 0.8 * income_z + 1.0 * self.digital - 0.6 * (age > 60),
            "INSURANCE": 1.2 * has_loan + 0.3 * (age > 45),
        }
        logits = np.column_stack(
            [
                np.log(PRODUCTS[c].monthly_base) + effects[c] + 0.12 * n_held - 0.35
                for c in CROSS_SELL
            ]
        )
        return logits

    def _adoption(self, rng, m: int, s: int, e: int, offers: pl.DataFrame) -> pl.DataFrame:
        """Wanting a product becomes an application that moves through the funnel."""
        logits = self._adoption_logits()
        cols = [P_INDEX[c] for c in CROSS_SELL]
        eligible = (self.status == 1)[:, None] & (self.holding[:, cols] < 0)
        p_want = _sigmoid(logits) * eligible
        boost = np.ones_like(p_want)
        offer_of = np.full((self.n, len(CROSS_SELL)), -1, dtype=np.int64)
        offer_channel = np.full((self.n, len(CROSS_SELL)), "", dtype=object)
        if offers.height:
            pi = np.searchsorted(
                CROSS_SELL, offers["product"].to_numpy(), sorter=np.argsort(CROSS_SELL)
            )
            pi = np.argsort(CROSS_SELL)[pi]
            who = offers["person_id"].to_numpy()
            lift = np.where(offers["channel"].to_numpy() == "app", 1.7, 1.5)
            boost[who, pi] = lift
            offer_of[who, pi] = offers["offer_id"].to_numpy()
            offer_channel[who, pi] = offers["channel"].to_numpy()
        p_want = np.clip(p_want * boost, 0, 0.9)
        want = rng.random(p_want.shape) < p_want
        persons, pcol = np.nonzero(want)
        products = np.array(CROSS_SELL)[pcol]
        k = len(persons)
        self._record_adoption_truth(m, s, p_want, eligible)

        channel = np.where(
            offer_channel[persons, pcol] != "",
            offer_channel[persons, pcol],
            np.where(rng.random(k) < 0.2 + 0.7 * self.digital[persons], "app", "office"),
        )
        channel = np.where((channel == "app") & (rng.random(k) < 0.25), "web", channel)
        start = s + (rng.random(k) * (e - s + 1)).astype(np.int64)
        start = np.maximum(start, self.join[persons])
        offline = self.login_since[persons] > start
        channel = np.where(np.isin(channel, ["app", "web"]) & offline, "office", channel)
        follow_up_h = np.where(
            channel == "office",
            rng.lognormal(np.log(2), 0.8, k),
            rng.lognormal(np.log(6), 1.1, k),
        )
        is_credit = np.array([PRODUCTS[c].is_credit for c in products], dtype=bool)
        decline_p = np.where(
            is_credit,
            _sigmoid(-1.4 + 3.5 * self.risk[persons] - 0.4 * np.log(self.income[persons] / 42_000)),
            0.02,
        )
        u = rng.random((k, 5))
        filled = u[:, 0] < 0.85
        submitted = filled & (u[:, 1] < 0.9)
        approved = submitted & (u[:, 2] >= decline_p)
        p_sign = 0.93 * np.exp(-follow_up_h / 60.0)
        signed = approved & (u[:, 3] < p_sign)
        issued = signed & (u[:, 4] < 0.97)
        issue_day = np.minimum(start + rng.integers(0, 6, k), e)

        for code in CROSS_SELL:
            sel = issued & (products == code)
            who = persons[sel]
            who, first = np.unique(who, return_index=True)
            self._open(rng, who, code, issue_day[sel][first])

        app_ids = np.arange(self.app_seq, self.app_seq + k)
        self.app_seq += k
        reasons = np.array(["low_score", "debt_load", "kyc", "income_not_confirmed"])
        decline_reason = np.where(submitted & ~approved, reasons[rng.integers(0, 4, k)], "")
        apps = pl.DataFrame(
            {
                "app_id": app_ids,
                "person_id": persons,
                "product": products,
                "channel": channel,
                "offer_id": offer_of[persons, pcol],
                "start_day": start,
                "follow_up_hours": np.round(follow_up_h, 2),
                "filled": filled,
                "submitted": submitted,
                "approved": approved,
                "signed": signed,
                "issued": issued,
                "issue_day": issue_day,
                "decline_reason": decline_reason,
                "true_conversion_prob": (0.85 * 0.9 * (1 - decline_p) * p_sign * 0.97).astype(
                    np.float32
                ),
            }
        )
        self.truth_apps.append(apps)
        return apps

    def _record_adoption_truth(self, m: int, s: int, p_want: np.ndarray, eligible) -> None:
        who = np.flatnonzero(eligible.any(axis=1))
        frame = {"person_id": who, "as_of_date": np.full(len(who), s, dtype=np.int64)}
        for j, code in enumerate(CROSS_SELL):
            frame[f"p_want_{code.lower()}"] = p_want[who, j].astype(np.float32)
        self.truth_adoption.append(
            pl.DataFrame(frame).with_columns(pl.col("as_of_date").cast(pl.Date))
        )

    def _delinquency(self, rng, s: int, e: int) -> None:
        b = self.book
        credit = np.isin(b["product"], [P_INDEX[c] for c in RETAIL if PRODUCTS[c].is_credit])
        open_ = credit & (b["close_day"] > e) & (b["open_day"] <= e)
        idx = np.flatnonzero(open_)
        risk = self.risk[b["person_id"][idx]]
        miss = rng.random(len(idx)) < 0.01 + 0.12 * risk**2
        cure = rng.random(len(idx)) < 0.55
        dpd = b.cols["dpd"][idx]
        new = np.where(miss, np.minimum(dpd + 30, 720), np.where(cure, 0, dpd)).astype(np.int16)
        b.cols["dpd"][idx] = new
        changed = new != dpd
        self.dpd_events.append(
            pl.DataFrame(
                {
                    "contract_seq": idx[changed].astype(np.int64),
                    "day": np.full(changed.sum(), e, dtype=np.int64),
                    "dpd": new[changed],
                }
            )
        )


def application_start_seconds(app_id: np.ndarray) -> np.ndarray:
    """Second of the day an application started (08:00–21:00), a fixed function of its id so
    every source system that shows the application agrees on the time."""
    ids = np.asarray(app_id, dtype=np.uint64)
    mixed = (ids * np.uint64(2_654_435_761) + np.uint64(97)) % np.uint64(13 * 3600)
    return (8 * 3600 + mixed).astype(np.int64)


def _month_starts(params) -> list[int]:
    starts = []
    d = params.history_start
    for _ in range(params.months + 1):
        starts.append(days(d))
        d = dt.date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return starts


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))
