"""Core-banking postings of one month and the daily balances they move.

Every money movement is a double entry between two accounts. Client accounts (current, deposit,
loan, settlement) carry balances; the bank's technical accounts (correspondent, card settlement,
income, expense) close the other side. Churn precursors show here: money moved to the client's
own accounts at other banks over SBP, salary credits stopping, autopayments ending.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

from simulator.accounts import BusinessAccounts, RetailAccounts
from simulator.lifecycle import P_INDEX, Lifecycle, MonthState
from simulator.population import Population
from simulator.products import PRODUCTS, RETAIL
from simulator.rng import stream
from simulator.strings import pick_labels

EPOCH = dt.date(1970, 1, 1)
CREDIT_PRODUCTS = [P_INDEX[c] for c in RETAIL if PRODUCTS[c].is_credit]
INTEREST_PRODUCTS = [P_INDEX[c] for c in ("SAVINGS", "DEMAND_DEPOSIT", "TERM_DEPOSIT")]
INSTALMENT_PRODUCTS = [P_INDEX[c] for c in ("CASH_LOAN", "MORTGAGE", "CAR_LOAN")]

LEG_COLUMNS = (
    "kind",
    "person_id",
    "day",
    "amount_kop",
    "debit_key",
    "credit_key",
    "counterparty",
)


@dataclass
class MonthPostings:
    postings: pl.DataFrame
    balances: pl.DataFrame


class PostingsGenerator:
    """Turns a month's lifecycle state and card clearings into postings and balances."""

    def __init__(
        self,
        seed: int,
        life: Lifecycle,
        population: Population,
        accounts: RetailAccounts,
        business_accounts: BusinessAccounts,
    ):
        self.seed = seed
        self.life = life
        self.accounts = accounts
        self.business = business_accounts
        self.next_doc_id = 40_000_001
        self.carried_clearings = pl.DataFrame()
        p = population.persons
        self.age = life.age0
        self.employer = p["employer_company_id"].to_numpy()
        self.salary_day = p["salary_day"].to_numpy()
        sources = stream(seed, "income_sources")
        self.gets_pension = (self.age >= 60) & (sources.random(life.n) < 0.75)
        self.gets_external_salary = (
            (self.employer < 0) & (self.age < 63) & (sources.random(life.n) < 0.18)
        )
        self.full_name = (
            p.select(
                pl.concat_str(
                    ["surname", "first_name", "patronymic"], separator=" "
                ).str.strip_chars()
            )
            .to_series()
            .to_numpy()
        )

    def month(self, state: MonthState, cards: pl.DataFrame) -> MonthPostings:
        rng = stream(self.seed, "postings", state.index)
        life, acc = self.life, self.accounts
        acc.sync()
        self._initial_balances(state)
        cur = life.holding[:, P_INDEX["CURRENT"]]
        legs: list[dict] = []
        alive = np.flatnonzero(state.active & (cur >= 0))
        press = state.pressure
        first, last = state.first_day, np.maximum(state.last_day, state.first_day)

        def days_for(who, fixed=None):
            if fixed is not None:
                d = np.clip(state.start_day + fixed - 1, first[who], last[who])
                return d
            return first[who] + (rng.random(len(who)) * (last[who] - first[who] + 1)).astype(
                np.int64
            )

        def leg(kind, who, day, amount, debit, credit, counterparty=None):
            keep = (day <= last[who]) & (amount > 0)
            legs.append(
                {
                    "kind": kind,
                    "person_id": who[keep],
                    "day": day[keep],
                    "amount_kop": amount[keep].astype(np.int64),
                    "debit_key": np.broadcast_to(debit, who.shape)[keep],
                    "credit_key": np.broadcast_to(credit, who.shape)[keep],
                    "counterparty": (
                        np.broadcast_to(counterparty, who.shape)[keep]
                        if counterparty is not None
                        else np.full(keep.sum(), -1)
                    ),
                }
            )

        income = life.income
        corr = -1  # technical accounts carry negative keys, see _key_numbers
        stops_salary = (press > 0.5) & (rng.random(life.n) < 0.7)
        sal = alive[(self.employer[alive] >= 0) & ~stops_salary[alive]]
        emp_key = self.business.company_key(self.employer[sal])
        for share, fixed in ((0.4, np.full(len(sal), 25)), (0.6, self.salary_day[sal])):
            leg(
                "salary",
                sal,
                days_for(sal, fixed),
                _kop(income[sal] * share * rng.uniform(0.97, 1.03, len(sal))),
                emp_key,
                cur[sal],
                self.employer[sal],
            )
        ext = alive[self.gets_external_salary[alive] & ~stops_salary[alive]]
        leg(
            "salary_external",
            ext,
            days_for(ext, self.salary_day[ext]),
            _kop(income[ext]),
            corr,
            cur[ext],
        )
        pen = alive[self.gets_pension[alive]]
        leg(
            "pension",
            pen,
            days_for(pen, np.full(len(pen), 3)),
            _kop(income[pen] * 0.9),
            corr,
            cur[pen],
        )

        digital = life.digital
        for kind, rate, scale in (
            ("sbp_in", 0.7 * digital, 0.12),
            ("sbp_out", 1.0 * digital * (1 - 0.3 * press), 0.1),
            ("card_to_card", 0.3 * digital, 0.08),
            ("me2me_out", 0.10 + 2.2 * press, 0.45),
        ):
            n = rng.poisson(rate[alive])
            who = np.repeat(alive, n)
            amount = _kop(income[who] * scale * rng.lognormal(0, 0.7, len(who)))
            debit, credit = (corr, cur[who]) if kind == "sbp_in" else (cur[who], corr)
            leg(kind, who, days_for(who), amount, debit, credit)

        autopay = life.book["autopay"][cur[alive]]
        stops = (press[alive] > 0.5) & (rng.random(len(alive)) < 0.6)
        pays = alive[(autopay & ~stops) | (~autopay & (rng.random(len(alive)) < 0.3))]
        leg(
            "utilities",
            pays,
            days_for(pays),
            _kop(rng.uniform(2500, 9500, len(pays))),
            cur[pays],
            corr,
        )
        if (EPOCH + dt.timedelta(days=state.start_day)).month in (11, 12):  # property tax due
            tax = alive[rng.random(len(alive)) < 0.13]
            leg(
                "tax",
                tax,
                days_for(tax),
                _kop(rng.lognormal(np.log(2500), 0.9, len(tax))),
                cur[tax],
                corr,
            )

        self._contract_legs(rng, state, leg, cur)
        fee = alive[rng.random(len(alive)) < 0.08]
        leg(
            "fee",
            fee,
            days_for(fee),
            _kop(rng.choice([99.0, 149.0, 199.0, 299.0], len(fee))),
            cur[fee],
            -4,
        )
        self._card_legs(state, cards, legs)
        self._business_legs(rng, state, legs)

        frame = pl.concat([pl.DataFrame(x) for x in legs if len(x["person_id"])], how="vertical")
        return self._finish(rng, state, frame)

    # -- pieces ------------------------------------------------------------------------------
    def _initial_balances(self, state: MonthState) -> None:
        """Give contracts that predate the history a plausible balance on first sight."""
        if state.index != 0:
            return
        rng = stream(self.seed, "opening_balances")
        b, acc, life = self.life.book, self.accounts, self.life
        person = b["person_id"]
        product = b["product"]
        income = life.income[person]
        k = len(person)
        bal = np.select(
            [
                product == P_INDEX["CURRENT"],
                np.isin(product, [*INTEREST_PRODUCTS, P_INDEX["BROKERAGE"]]),
                product == P_INDEX["CREDIT_CARD"],
                np.isin(product, INSTALMENT_PRODUCTS),
            ],
            [
                income * rng.uniform(0.1, 1.8, k),
                b["amount_kop"] / 100,
                b["amount_kop"] / 100 * rng.uniform(0, 0.6, k),
                b["amount_kop"] / 100 * rng.uniform(0.2, 0.95, k),
            ],
            0,
        )
        predates = b["open_day"] < state.start_day  # newer contracts are funded by postings
        acc.balance[:k] = np.where(predates, _kop(bal), 0)

    def _contract_legs(self, rng, state, leg, cur) -> None:
        b = self.life.book
        s, e = state.start_day, state.end_day
        seq = np.arange(b.n)
        person = b["person_id"]
        product = b["product"]
        open_ = (b["open_day"] <= e) & (b["close_day"] > e)
        has_cur = cur[person] >= 0
        opened = np.flatnonzero((b["open_day"] >= s) & (b["open_day"] <= e) & has_cur)
        opened = opened[product[opened] != P_INDEX["CURRENT"]]
        loans = opened[np.isin(product[opened], INSTALMENT_PRODUCTS)]
        leg(
            "loan_issue",
            person[loans],
            b["open_day"][loans],
            b["amount_kop"][loans] / 1,
            seq[loans],
            cur[person[loans]],
        )
        deps = opened[np.isin(product[opened], INTEREST_PRODUCTS)]
        leg(
            "deposit_open",
            person[deps],
            b["open_day"][deps],
            b["amount_kop"][deps] / 1,
            cur[person[deps]],
            seq[deps],
        )

        inst = np.flatnonzero(
            open_ & np.isin(product, INSTALMENT_PRODUCTS) & (b["dpd"] == 0) & has_cur
        )
        inst = inst[b["open_day"][inst] < s]
        term = np.maximum(b["term_months"][inst].astype(float), 1)
        principal = np.minimum(
            b["amount_kop"][inst] / term, np.maximum(self.accounts.balance[inst], 0)
        )
        pay_day = np.clip((b["open_day"][inst] % 28) + s, s, e)
        leg("loan_repayment", person[inst], pay_day, principal, cur[person[inst]], seq[inst])

        cc = np.flatnonzero(open_ & (product == P_INDEX["CREDIT_CARD"]) & has_cur)
        cc = cc[rng.random(len(cc)) < 0.6]
        debt = np.maximum(self.accounts.balance[cc], 0)
        leg(
            "credit_card_repayment",
            person[cc],
            np.full(len(cc), s + 19),
            debt * rng.uniform(0.1, 1.0, len(cc)),
            cur[person[cc]],
            seq[cc],
        )

        dep = np.flatnonzero(open_ & np.isin(product, INTEREST_PRODUCTS) & has_cur)
        interest = self.accounts.balance[dep] * b["rate"][dep] / 1200
        leg("interest", person[dep], np.full(len(dep), e), interest, -5, seq[dep])
        top = dep[rng.random(len(dep)) < 0.2]
        leg(
            "deposit_topup",
            person[top],
            np.maximum(s + rng.integers(0, e - s + 1, len(top)), b["open_day"][top]),
            _kop(self.life.income[person[top]] * rng.uniform(0.05, 0.4, len(top))),
            cur[person[top]],
            seq[top],
        )

        closed = np.flatnonzero((b["close_day"] >= s) & (b["close_day"] <= e) & has_cur)
        closed = closed[np.isin(product[closed], [*INTEREST_PRODUCTS, P_INDEX["BROKERAGE"]])]
        leg(
            "deposit_close",
            person[closed],
            b["close_day"][closed],
            np.maximum(self.accounts.balance[closed], 0),
            seq[closed],
            cur[person[closed]],
        )

    def _card_legs(self, state: MonthState, cards: pl.DataFrame, legs: list[dict]) -> None:
        """One posting per card and clearing day: the processing centre's daily settlement."""
        cleared = [self.carried_clearings] if self.carried_clearings.height else []
        if cards.height:
            cleared.append(
                cards.filter(pl.col("is_approved") & ~pl.col("is_reversed")).select(
                    "person_id", "contract_seq", "clearing_day", "clearing_amount_kop"
                )
            )
        if not cleared:
            return
        all_ = pl.concat(cleared)
        now = all_.filter(pl.col("clearing_day") <= state.end_day)
        self.carried_clearings = all_.filter(pl.col("clearing_day") > state.end_day)
        daily = now.group_by("person_id", "contract_seq", "clearing_day", maintain_order=True).agg(
            pl.col("clearing_amount_kop").sum()
        )
        legs.append(
            {
                "kind": "card_settlement",
                "person_id": daily["person_id"].to_numpy(),
                "day": daily["clearing_day"].to_numpy(),
                "amount_kop": daily["clearing_amount_kop"].to_numpy(),
                "debit_key": daily["contract_seq"].to_numpy(),
                "credit_key": np.full(daily.height, -2),
                "counterparty": np.full(daily.height, -1),
            }
        )

    def _business_legs(self, rng, state: MonthState, legs: list[dict]) -> None:
        keys, owners, rates = self.business.active_keys(state.end_day)
        for kind, mult, incoming in (("business_in", 1.0, True), ("business_out", 0.8, False)):
            n = rng.poisson(rates * mult)
            key = np.repeat(keys, n)
            k = len(key)
            day = state.start_day + rng.integers(0, state.end_day - state.start_day + 1, k)
            day = np.maximum(day, self.business.open_day[key - self.business.key_base])
            amount = _kop(rng.lognormal(np.log(60_000), 1.2, k))
            legs.append(
                {
                    "kind": kind,
                    "person_id": np.repeat(owners, n),
                    "day": day,
                    "amount_kop": amount,
                    "debit_key": np.full(k, -1) if incoming else key,
                    "credit_key": key if incoming else np.full(k, -1),
                    "counterparty": np.full(k, -1),
                }
            )

    def _cover_deficits(self, rng, frame: pl.DataFrame) -> pl.DataFrame:
        """Clients keep their current and settlement accounts in credit: where a month's
        payments would overdraw one, money comes in first — cash paid in, or transferred from
        the client's own account at another bank (companies: a customer's payment)."""
        sides = pl.concat(
            [
                frame.select(
                    pl.col("debit_key").alias("key"), "day", "person_id",
                    (-pl.col("amount_kop")).alias("delta"),
                ),
                frame.select(
                    pl.col("credit_key").alias("key"), "day", "person_id",
                    pl.col("amount_kop").alias("delta"),
                ),
            ]
        ).with_row_index("order")  # fmt: skip
        base = self.business.key_base
        current = self.life.book["product"] == P_INDEX["CURRENT"]
        keys = sides["key"].to_numpy()
        retail = (keys >= 0) & (keys < base)
        watched = (keys >= base) | (retail & current[np.clip(keys, 0, len(current) - 1)])
        sides = sides.filter(pl.Series(watched)).sort("key", "day", "order")
        low = sides.group_by("key", maintain_order=True).agg(
            pl.col("delta").cum_sum().min().alias("low"),
            pl.col("day").min().alias("day"),
            pl.col("person_id").first(),
        )
        opening = self._get_balance(low["key"].to_numpy())
        short = opening + low["low"].to_numpy()
        need = np.flatnonzero(short < 0)
        if len(need) == 0:
            return frame
        key = low["key"].to_numpy()[need]
        is_business = key >= base
        amount = -short[need] + _kop(rng.uniform(500, 15_000, len(need)))
        cash = rng.random(len(need)) < 0.4
        kind = pick_labels(
            ("business_in", "cash_deposit", "me2me_in"),
            np.where(is_business, 0, np.where(cash, 1, 2)),
        )
        top_up = pl.DataFrame(
            {
                "kind": kind,
                "person_id": low["person_id"].to_numpy()[need],
                "day": low["day"].to_numpy()[need],
                "amount_kop": amount,
                "debit_key": np.where(cash & ~is_business, -3, -1),
                "credit_key": key,
                "counterparty": np.full(len(need), -1),
            }
        )
        return pl.concat([top_up, frame.select(top_up.columns)], how="vertical_relaxed")

    def _sweep_closed_accounts(self, state: MonthState, frame: pl.DataFrame) -> pl.DataFrame:
        """A client who closes an account takes the money: what is left on a passive account
        closed this month leaves by SBP to the client's own account at another bank, after the
        account's last posting of the month."""
        b = self.life.book
        closed = np.flatnonzero(
            (b["close_day"] >= state.start_day)
            & (b["close_day"] <= state.end_day)
            & self.accounts.passive[: b.n]
        )
        if len(closed) == 0:
            return frame
        moves = pl.concat(
            [
                frame.select(
                    pl.col("debit_key").alias("key"), "day", (-pl.col("amount_kop")).alias("delta")
                ),
                frame.select(
                    pl.col("credit_key").alias("key"), "day", pl.col("amount_kop").alias("delta")
                ),
            ]
        ).filter(pl.col("key").is_in(closed))
        net = moves.group_by("key").agg(pl.col("delta").sum(), pl.col("day").max())
        left = (
            pl.DataFrame({"key": closed})
            .join(net, on="key", how="left")
            .with_columns(pl.col("delta").fill_null(0))
        )
        keys = left["key"].to_numpy()
        final = self.accounts.balance[keys] + left["delta"].to_numpy()
        day = np.maximum(left["day"].fill_null(0).to_numpy(), b["close_day"][keys])
        out = final > 0
        sweep = pl.DataFrame(
            {
                "kind": "me2me_out",
                "person_id": b["person_id"][keys[out]],
                "day": day[out],
                "amount_kop": final[out],
                "debit_key": keys[out],
                "credit_key": np.full(out.sum(), -1),
                "counterparty": np.full(out.sum(), -1),
            }
        )
        return pl.concat([frame, sweep.select(frame.columns)], how="vertical_relaxed")

    def _finish(self, rng, state: MonthState, frame: pl.DataFrame) -> MonthPostings:
        frame = self._sweep_closed_accounts(state, self._cover_deficits(rng, frame))
        order = pl.col("day") * 4_294_967_296 + pl.col("person_id") + 1
        frame = frame.with_columns(pl.col("kind").cast(pl.Categorical)).sort(
            order, maintain_order=True
        )
        k = frame.height
        frame = frame.with_columns(
            pl.Series("doc_id", np.arange(self.next_doc_id, self.next_doc_id + k)),
        )
        self.next_doc_id += k
        balances = self._balances(frame)
        return MonthPostings(postings=frame, balances=balances)

    def _balances(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Per account and day with movement: opening, debit and credit turnover, closing."""
        sides = pl.concat(
            [
                frame.select(
                    pl.col("debit_key").alias("key"),
                    "day",
                    pl.col("amount_kop").alias("dt"),
                    pl.lit(0, pl.Int64).alias("ct"),
                ),
                frame.select(
                    pl.col("credit_key").alias("key"),
                    "day",
                    pl.lit(0, pl.Int64).alias("dt"),
                    pl.col("amount_kop").alias("ct"),
                ),
            ]
        ).filter(pl.col("key") >= 0)
        daily = (
            sides.group_by("key", "day")
            .agg(pl.col("dt").sum(), pl.col("ct").sum())
            .sort("key", "day")
        )
        keys = daily["key"].to_numpy()
        retail = keys < self.business.key_base
        passive = np.ones(len(keys), dtype=bool)
        passive[retail] = self.accounts.passive[keys[retail]]
        delta = np.where(
            passive,
            daily["ct"].to_numpy() - daily["dt"].to_numpy(),
            daily["dt"].to_numpy() - daily["ct"].to_numpy(),
        )
        opening_state = self._get_balance(keys)
        csum = np.cumsum(delta)
        starts = np.r_[True, keys[1:] != keys[:-1]]
        group_start = np.maximum.accumulate(np.where(starts, np.arange(len(keys)), 0))
        before = csum - delta
        within = csum - before[group_start]
        closing = opening_state + within
        opening = closing - delta
        ends = np.r_[keys[1:] != keys[:-1], True]
        self._set_balance(keys[ends], closing[ends])
        return daily.with_columns(
            pl.Series("opening_kop", opening),
            pl.Series("closing_kop", closing),
        )

    def _get_balance(self, keys: np.ndarray) -> np.ndarray:
        retail = keys < self.business.key_base
        out = np.empty(len(keys), dtype=np.int64)
        out[retail] = self.accounts.balance[keys[retail]]
        out[~retail] = self.business.get_balance(keys[~retail])
        return out

    def _set_balance(self, keys: np.ndarray, values: np.ndarray) -> None:
        retail = keys < self.business.key_base
        self.accounts.balance[keys[retail]] = values[retail]
        self.business.set_balance(keys[~retail], values[~retail])


def _kop(roubles) -> np.ndarray:
    return np.round(np.asarray(roubles, dtype=np.float64) * 100).astype(np.int64)
