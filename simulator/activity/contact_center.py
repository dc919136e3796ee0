"""Contact centre of one month: calls, chats, complaints and surveys (vectorised).

Inbound calls arrive per active client as a Poisson count whose rate rises with churn pressure
and low satisfaction (and falls with digital affinity); about 5 % of callers are not clients.
Each call passes the IVR (where 60–80 % of clients authenticate), waits in a queue whose waits
follow a daily and hourly staffing stress (service level 80/20 on ordinary days, worse on the odd
bad Monday or incident day), is answered or abandoned by a caller whose patience runs out, and is
talked, held and wrapped up. Issues not solved on the first call (callback, escalation,
complaint, and some "resolved" ones) bring the client back on the same topic within days, and an
abandoned caller usually tries again within hours; this gives first-contact resolution of 70–80 %.

Outbound: the lifecycle's offers made by contact-centre agents (``offer_made`` /
``offer_accepted`` when the offer led to an application) and follow-up calls on submitted
applications ``follow_up_hours`` after the application started (its start second of day is
:func:`simulator.lifecycle.application_start_seconds`).

Chats come from clients with a digital-banking login; complaints from calls and chats that
registered one plus offices, letters and the Bank of Russia; CSAT surveys follow about 10 % of
answered calls and a quarterly NPS sample of active clients answers from satisfaction and
pressure (clients about to leave are detractors far more often).

All times are local (Moscow) seconds since 1970-01-01 00:00, ``day * 86400 + second``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import polars as pl

from cdp.ru_calendar import add_working_days
from simulator import business, contacts, names
from simulator.lifecycle import Lifecycle, MonthState, application_start_seconds
from simulator.rng import stream
from simulator.strings import zfill

DAY = 86_400
INBOUND_RATE = 0.16
"""First contacts per client-month at average traits; with repeats ≈ 0.2 inbound calls."""
NON_CLIENT_SHARE = 0.05
CHAT_RATE = 0.085
"""Chats per digital client-month at average traits (≈ 0.1 with pressure and repeats)."""
OTHER_COMPLAINT_RATE = 0.001
"""Complaints per client-month through offices, letters and the Bank of Russia."""
WEEKEND_CALL_WEIGHT = 0.55
SL_SECONDS = 20
WORKING_DAYS_TO_ANSWER = 15
"""442-FZ: a financial organisation answers a complaint within 15 working days."""
SHARE_CLOSED_LATE = 0.07
CSAT_SENT = 0.3
CSAT_ANSWERED = 0.34
NPS_SAMPLE = 0.06
NPS_ANSWERED = 0.25
MAX_REPEAT_GENERATIONS = 3

HOTLINE = "88002000100"
HOTLINE_DIRECT = "74952000100"
VIP_LINE = "88002000199"
BUSINESS_LINE = "88002000300"
OUTBOUND_CLI = "74952000777"
OUTBOUND_QUEUE = "Исходящие"
SECOND_LINE = "Вторая линия"

_CALL_HOURS = np.array(
    [0.3, 0.2, 0.15, 0.1, 0.1, 0.2, 0.5, 1.5, 4.0, 6.5, 7.5, 7.2,
     6.6, 6.4, 6.3, 6.0, 5.6, 5.2, 4.6, 3.8, 3.0, 2.2, 1.3, 0.7]
)  # fmt: skip
"""Intraday arrival shape of a retail bank hotline (peak mid-morning, long afternoon tail),
after the 5-minute volumes of fpp3 ``bank_calls``; the night is thin but the line is 24/7."""
_CHAT_HOURS = np.array(
    [0.8, 0.4, 0.2, 0.1, 0.1, 0.2, 0.6, 1.8, 3.5, 5.0, 5.8, 6.0,
     6.2, 6.0, 5.8, 5.6, 5.6, 5.8, 6.2, 6.6, 6.4, 5.2, 3.5, 1.8]
)  # fmt: skip
_STAFF_STRESS = np.array(
    [1.15, 1.15, 1.15, 1.15, 1.15, 1.15, 1.15, 1.05, 1.0, 1.05, 1.1, 1.1,
     1.0, 1.0, 1.05, 1.05, 1.0, 1.0, 1.0, 1.0, 1.0, 1.05, 1.1, 1.15]
)  # fmt: skip
"""Staffing stress per hour: peaks and the thin night shift wait a little longer."""

UNRESOLVED = ("callback", "escalated", "complaint_registered")
_QUEUE_TOKENS = {
    "Карты": "cards",
    "Кредиты": "loans",
    "ДБО": "online",
    "Фрод/блокировки": "fraud",
    "Вклады": "deposits",
    "VIP": "vip",
    "Бизнес": "business",
}
_CSAT_BASE = {
    "resolved": 4.5,
    "offer_made": 4.1,
    "offer_accepted": 4.6,
    "callback": 3.4,
    "escalated": 3.0,
    "complaint_registered": 2.1,
}
COMMENTS = {
    "good": ("Спасибо, всё решили быстро", "Вежливый оператор", "Всё отлично", "Быстро помогли"),
    "neutral": ("Нормально", "Долго ждал ответа", "Пришлось объяснять дважды", "В целом ок"),
    "bad": ("Вопрос не решён", "Очень долго ждать", "Оператор не смог помочь", "Ужасный сервис"),
    "leaving": ("Буду закрывать счёт", "Переведу деньги в другой банк", "Ухожу из банка"),
}


@dataclass
class ContactCenterMonth:
    """One month of contact-centre activity in generator units (seconds, kopecks, person ids).

    ``calls`` also keeps ``generation`` and ``repeat_of`` (the call an inbound repeat follows),
    which never reach the files.
    """

    calls: pl.DataFrame
    chats: pl.DataFrame
    complaints: pl.DataFrame
    surveys: pl.DataFrame


def due_days(received_day: np.ndarray, working_days: int = WORKING_DAYS_TO_ANSWER) -> np.ndarray:
    """Day number of the answer deadline: ``working_days`` working days after receipt, counted
    from the next working day (a complaint received on a weekend or holiday counts from the
    next working day); Russian public holidays are not working days."""
    return add_working_days(received_day, working_days)


def call_metrics(calls: pl.DataFrame) -> dict[str, float]:
    """Contact-centre KPIs of generated inbound calls: service level (answered within 20 s of
    the calls offered, abandons in the first 5 s not counted), abandonment, average handling time
    in minutes and first-contact resolution (answered client calls not followed by another call
    of the same client on the same topic within 7 days)."""
    inbound = calls.filter(pl.col("direction") == "inbound")
    offered = inbound.filter(pl.col("answered") | (pl.col("wait_sec") >= 5))
    answered = inbound.filter(pl.col("answered"))
    repeat = (
        inbound.filter(pl.col("person_id") >= 0)
        .sort("start_s", maintain_order=True)
        .with_columns(
            (pl.col("start_s").shift(-1).over("person_id", "topic") - pl.col("start_s"))
            .le(7 * DAY)
            .fill_null(False)
            .alias("repeated")
        )
        .filter(pl.col("answered"))
    )
    return {
        "service_level": float(
            (offered["answered"] & (offered["wait_sec"] <= SL_SECONDS)).mean() or 0.0
        ),
        "abandonment": float(1 - (inbound["answered"].mean() or 0.0)),
        "aht_min": float(
            (answered["talk_sec"] + answered["hold_sec"] + answered["acw_sec"]).mean() or 0.0
        )
        / 60,
        "fcr": float(1 - (repeat["repeated"].mean() or 0.0)),
    }


def weekday(day: np.ndarray) -> np.ndarray:
    """0 = Monday … 6 = Sunday for day numbers since 1970-01-01 (a Thursday)."""
    return (np.asarray(day) + 3) % 7


def _draw_days(rng, first: np.ndarray, last: np.ndarray, weekend_weight: float) -> np.ndarray:
    """A day in ``[first, last]`` per row, weekends ``weekend_weight`` as likely as weekdays."""
    first = np.asarray(first, dtype=np.int64)
    width = np.maximum(np.asarray(last, dtype=np.int64) - first + 1, 1)
    day = first + (rng.random(first.size) * width).astype(np.int64)
    for _ in range(8):
        redo = np.flatnonzero((weekday(day) >= 5) & (rng.random(day.size) >= weekend_weight))
        if redo.size == 0:
            break
        day[redo] = first[redo] + (rng.random(redo.size) * width[redo]).astype(np.int64)
    return day


def _seconds_of_day(rng, n: int, profile: np.ndarray, lo: int = 0, hi: int = 24) -> np.ndarray:
    p = np.zeros(24)
    p[lo:hi] = profile[lo:hi]
    hour = rng.choice(24, n, p=p / p.sum())
    return hour * 3600 + rng.integers(0, 3600, n)


def _lookup(values: np.ndarray, mapping: dict, default) -> np.ndarray:
    """``mapping[v]`` per element (``default`` if absent), one dict lookup per distinct value."""
    uniq, inverse = np.unique(np.asarray(values), return_inverse=True)
    return np.array([mapping.get(u, default) for u in uniq.tolist()])[inverse]


@functools.cache
def _queue_table() -> dict[str, tuple[str, int]]:
    q = business.load_table("contact_queues")
    return dict(
        zip(
            q["queue"].to_list(),
            zip(q["dnis"].to_list(), q["service_level_sec"].to_list(), strict=True),
            strict=True,
        )
    )


class ContactCenterActivity:
    """Generates each month's contact-centre activity; keeps id counters between months."""

    def __init__(self, seed: int, persons: pl.DataFrame, identity, phone_changes):
        """``phone_changes``: when each person changed their number in the app, and to what
        (``DboActivity``): from that day on they call from the new one."""
        self.seed = seed
        self.n = persons.height
        self.mobile = persons["mobile_phone"].to_numpy().astype(str)
        self.phone_change_day = phone_changes.phone_change_day
        self.new_phone = phone_changes.new_phone
        self.landline = persons["landline_phone"].to_numpy().astype(str)
        self.first_name = persons["first_name"].to_numpy().astype(str)
        self.surname = persons["surname"].to_numpy().astype(str)
        self.satisfaction = persons["satisfaction"].to_numpy()
        self.business = persons["is_sole_proprietor"].to_numpy().astype(bool)
        income = persons["income_rub"].to_numpy()
        self.vip = income >= np.quantile(income, 0.97) if self.n else np.zeros(0, bool)
        self.login = identity.login_id
        self.dbo_since = identity.dbo_since_day
        self.call_seq = 0
        self.chat_seq = 0
        self.complaint_seq = 0
        self.survey_seq = 0
        queues = list(_queue_table())
        self.agents_per_queue = max(3, int(np.ceil(self.n / 20_000)))
        self.queue_code = {q: i + 1 for i, q in enumerate([*queues, OUTBOUND_QUEUE])}

    # -- the month ---------------------------------------------------------------------------
    def month(self, life: Lifecycle, state: MonthState) -> ContactCenterMonth:
        rng = stream(self.seed, "contact_center", state.index)
        m = state.index
        month_len = life.month_starts[m + 1] - life.month_starts[m]
        stress = self._daily_stress(rng, state.start_day, month_len + 40)
        inbound = self._inbound(rng, life, state, month_len, stress)
        outbound = self._outbound(rng, state)
        calls = pl.concat([inbound, outbound], how="diagonal_relaxed").sort(
            "start_s", maintain_order=True
        )
        calls = self._call_ids(calls)
        chats = self._chats(rng, life, state, month_len)
        complaints = self._complaints(rng, life, state, month_len, calls, chats)
        surveys = self._surveys(rng, life, state, calls)
        return ContactCenterMonth(calls, chats, complaints, surveys)

    def _daily_stress(self, rng, start_day: int, length: int) -> np.ndarray:
        day = start_day + np.arange(length)
        stress = np.exp(rng.normal(0, 0.12, length)) * np.where(weekday(day) == 0, 1.12, 1.0)
        incident = rng.integers(0, length, 1)
        stress[incident] *= 1.8
        return stress

    def _active_window(self, life, state, month_len):
        act = np.flatnonzero(state.active)
        first = state.first_day[act]
        last = np.minimum(state.last_day[act], state.end_day)
        keep = last >= first
        act, first, last = act[keep], first[keep], last[keep]
        span = (last - first + 1) / month_len
        return act, first, last, span

    # -- inbound calls -----------------------------------------------------------------------
    def _inbound(self, rng, life, state, month_len, stress) -> pl.DataFrame:
        act, first, last, span = self._active_window(life, state, month_len)
        p = state.pressure[act]
        n_products = np.minimum((life.holding[act] >= 0).sum(axis=1), 5)
        rate = (
            INBOUND_RATE
            * (1.25 - 0.5 * life.digital[act])
            * (0.55 + 1.6 * (1 - life.satisfaction[act]))
            * (1 + 2.5 * p)
            * (0.8 + 0.08 * n_products)
            * span
        )
        count = rng.poisson(rate)
        person = np.repeat(act, count)
        day = _draw_days(rng, np.repeat(first, count), np.repeat(last, count), WEEKEND_CALL_WEIGHT)
        k_nc = rng.poisson(NON_CLIENT_SHARE * person.size)
        nc_day = _draw_days(
            rng, np.full(k_nc, state.start_day), np.full(k_nc, state.end_day), WEEKEND_CALL_WEIGHT
        )
        person = np.concatenate([person, np.full(k_nc, -1)])
        day = np.concatenate([day, nc_day])
        k = person.size
        start = day * DAY + _seconds_of_day(rng, k, _CALL_HOURS)
        client = person >= 0
        pc = np.maximum(person, 0)
        topics = business.sample_topics(
            rng,
            k,
            np.where(client, state.pressure[pc], 0.0),
            channel="call",
            business=client & self.business[pc],
            vip=client & self.vip[pc],
        )
        batch = {
            "person_id": person,
            "start_s": start,
            "topic": topics["topic"].to_numpy().astype(str),
            "queue": topics["queue"].to_numpy().astype(str),
            "typical_talk_sec": topics["typical_talk_sec"].to_numpy(),
            "churn_signal": topics["churn_signal"].to_numpy(),
            "complaint_prone": topics["complaint_prone"].to_numpy(),
            "generation": np.zeros(k, dtype=np.int64),
            "repeat_of": np.full(k, -1, dtype=np.int64),
            "repeat_outcome": np.full(k, ""),
        }
        parts = []
        seq = 0
        for gen in range(MAX_REPEAT_GENERATIONS + 1):
            n_batch = batch["person_id"].size
            batch["local_seq"] = np.arange(seq, seq + n_batch)
            seq += n_batch
            done = self._serve(rng, batch, state, stress)
            parts.append(done)
            if gen == MAX_REPEAT_GENERATIONS:
                break
            batch = self._repeats(rng, done, state, gen + 1)
            if batch["person_id"].size == 0:
                break
        calls = pl.concat([pl.DataFrame(b) for b in parts], how="diagonal_relaxed")
        return calls.with_columns(pl.lit("inbound").alias("direction"))

    def _mobile_on(self, person: np.ndarray, day: np.ndarray) -> np.ndarray:
        """The mobile a person calls from on a day: the new number once changed in the app."""
        changed = day >= self.phone_change_day[person]
        return np.where(changed, self.new_phone[person].astype(str), self.mobile[person])

    def _serve(self, rng, b: dict, state, stress: np.ndarray) -> dict:
        """IVR, queue, answer or abandon, talk, hold, wrap-up, outcome, transfer, agent."""
        k = b["person_id"].size
        person = b["person_id"]
        client = person >= 0
        pc = np.maximum(person, 0)
        vip = client & self.vip[pc]
        queue = b["queue"]
        start = b["start_s"]
        day = start // DAY
        hour = (start % DAY) // 3600
        s = stress[np.clip(day - state.start_day, 0, stress.size - 1)] * _STAFF_STRESS[hour]
        sl_target = _lookup(queue, {q: v[1] for q, v in _queue_table().items()}, SL_SECONDS)
        scale = sl_target / SL_SECONDS
        ivr = np.where(vip, rng.integers(4, 15, k), rng.integers(15, 80, k))
        instant = rng.random(k) < np.clip(0.7 / s**2, 0.05, 0.9)
        wait = np.where(instant, rng.uniform(0, 5, k), 5 + rng.exponential(18 * s**2, k)) * scale
        patience = np.where(rng.random(k) < 0.012, rng.uniform(0, 5, k), rng.exponential(160, k))
        abandoned = patience < wait
        wait = np.rint(np.where(abandoned, patience, wait)).astype(np.int64)
        answered = ~abandoned
        talk = np.maximum(
            np.rint(b["typical_talk_sec"] * np.exp(0.45 * rng.standard_normal(k) - 0.1)), 15
        ).astype(np.int64)
        held = rng.random(k) < 0.28
        hold = np.where(held, np.rint(rng.lognormal(np.log(45), 0.7, k)), 0).astype(np.int64)
        acw = np.rint(rng.lognormal(np.log(24), 0.5, k)).astype(np.int64)
        prone = b["complaint_prone"] & (rng.random(k) < self._mood(person, state))
        outcome = business.sample_outcomes(rng, b["churn_signal"], prone)
        again = b["repeat_outcome"] == "complaint_registered"
        outcome = np.where(again & (outcome == "complaint_registered"), "escalated", outcome)
        escalated = outcome == "escalated"
        transfer = answered & (rng.random(k) < np.where(escalated, 0.5, 0.05))
        queues = np.array(list(_queue_table()))
        other = queues[rng.integers(0, queues.size, k)]
        transferred_to = np.where(transfer, np.where(escalated, SECOND_LINE, other), "")
        transferred_to = np.where(transferred_to == queue, SECOND_LINE, transferred_to)
        agent = self._agents(rng, queue)
        identified = client & (rng.random(k) < np.where(vip, 0.92, 0.68))
        ani_kind = np.where(
            client,
            rng.choice(4, k, p=[0.88, 0.05, 0.04, 0.03]),
            np.where(rng.random(k) < 0.06, 3, 2),
        )
        ani_kind = np.where((ani_kind == 1) & (self.landline[pc] == ""), 0, ani_kind)
        identified &= ~((ani_kind >= 2) & (rng.random(k) < 0.5))
        stranger = contacts.mobile_phones(rng, k, unique=False)
        ani = np.select(
            [ani_kind == 0, ani_kind == 1, ani_kind == 2],
            [self._mobile_on(pc, b["start_s"] // DAY), self.landline[pc], stranger],
            "",
        )
        dnis = np.where(
            vip,
            VIP_LINE,
            np.where(
                queue == "Бизнес",
                BUSINESS_LINE,
                np.where(rng.random(k) < 0.06, HOTLINE_DIRECT, HOTLINE),
            ),
        )
        token = _lookup(queue, _QUEUE_TOKENS, "other")
        auth = np.where(identified, "auth_ok", np.where(client, "auth_fail", "auth_skip"))
        ivr_path = np.strings.add(
            np.strings.add(np.where(vip, "vip>", "main>lang_ru>"), auth),
            np.strings.add(np.strings.add(">", token), np.where(answered, ">agent", ">hangup")),
        )
        return b | {
            "ivr_sec": ivr.astype(np.int64),
            "wait_sec": wait,
            "answered": answered,
            "talk_sec": np.where(answered, talk, 0),
            "hold_sec": np.where(answered, hold, 0),
            "acw_sec": np.where(answered, acw, 0),
            "outcome": np.where(answered, outcome, ""),
            "transferred_to": transferred_to,
            "agent_id": np.where(answered, agent, ""),
            "identified": identified,
            "ani_e164": ani,
            "dnis": dnis,
            "ivr_path": ivr_path,
        }

    def _mood(self, person: np.ndarray, state) -> np.ndarray:
        """Chance that a complaint-prone issue makes this client complain: a topic alone does
        not, a dissatisfied client or one about to leave does."""
        pc = np.maximum(person, 0)
        mood = 0.1 + 0.9 * (1 - self.satisfaction[pc]) + 0.8 * state.pressure[pc]
        return np.where(person >= 0, np.clip(mood, 0, 1), 0.3)

    def _agents(self, rng, queue: np.ndarray) -> np.ndarray:
        code = _lookup(queue, self.queue_code, 0)
        slot = rng.integers(0, self.agents_per_queue, queue.size)
        return np.strings.add("op", (code * 1000 + slot + 1).astype(str))

    def _repeats(self, rng, done: dict, state, gen: int) -> dict:
        """Callers whose issue is still open call again on the same topic."""
        person = done["person_id"]
        pressure = np.where(person >= 0, state.pressure[np.maximum(person, 0)], 0.0)
        open_issue = np.isin(done["outcome"], UNRESOLVED)
        p = np.where(~done["answered"], 0.55, np.where(open_issue, 0.7, 0.1) * (1 + 0.5 * pressure))
        again = np.flatnonzero(rng.random(person.size) < p)
        hours = np.where(
            ~done["answered"][again],
            rng.lognormal(np.log(1.0), 1.0, again.size),
            rng.lognormal(np.log(40), 0.7, again.size),
        )
        start = done["start_s"][again] + np.rint(np.minimum(hours, 24 * 7) * 3600).astype(np.int64)
        night = (start % DAY) < 7 * 3600
        start = np.where(night, start + 8 * 3600, start)
        keep = start // DAY <= state.end_day + 7
        again, start = again[keep], start[keep]
        cols = ("person_id", "topic", "queue", "typical_talk_sec", "churn_signal")
        out = {c: done[c][again] for c in cols}
        out["complaint_prone"] = done["complaint_prone"][again]
        out["start_s"] = start
        out["generation"] = np.full(again.size, gen, dtype=np.int64)
        out["repeat_of"] = done["local_seq"][again]
        out["repeat_outcome"] = np.where(
            done["outcome"][again] == "", done["repeat_outcome"][again], done["outcome"][again]
        )
        return out

    # -- outbound calls ----------------------------------------------------------------------
    def _outbound(self, rng, state) -> pl.DataFrame:
        offers = state.offers.filter(pl.col("channel") == "contact_center")
        apps = state.applications
        accepted = set(apps.filter(pl.col("offer_id") >= 0)["offer_id"].to_list())
        k = offers.height
        person = offers["person_id"].to_numpy()
        day = offers["shown_day"].to_numpy()
        offer_start = day * DAY + _seconds_of_day(rng, k, _CALL_HOURS, 10, 20)
        took = np.isin(offers["offer_id"].to_numpy(), list(accepted))
        offer_rows = {
            "person_id": person,
            "start_s": offer_start,
            "topic": np.full(k, "cross_sell_offer"),
            "answered": np.ones(k, dtype=bool),
            "talk_sec": np.rint(rng.lognormal(np.log(np.where(took, 330, 210)), 0.4)).astype(
                np.int64
            ),
            "outcome": np.where(took, "offer_accepted", "offer_made"),
            "campaign_id": offers["campaign_id"].to_numpy().astype(str),
        }
        sub = apps.filter(pl.col("submitted"))
        j = sub.height
        app_start = sub["start_day"].to_numpy() * DAY + application_start_seconds(
            sub["app_id"].to_numpy()
        )
        follow = app_start + np.rint(sub["follow_up_hours"].to_numpy() * 3600).astype(np.int64)
        reached = rng.random(j) < 0.85
        outcome = np.where(
            sub["signed"].to_numpy(),
            "offer_accepted",
            np.where(sub["approved"].to_numpy(), "offer_made", "resolved"),
        )
        follow_rows = {
            "person_id": sub["person_id"].to_numpy(),
            "start_s": follow,
            "topic": np.full(j, "application_follow_up"),
            "answered": reached,
            "talk_sec": np.where(reached, np.rint(rng.lognormal(np.log(180), 0.45, j)), 0).astype(
                np.int64
            ),
            "outcome": np.where(reached, outcome, "callback"),
            "app_id": sub["app_id"].to_numpy(),
        }
        frame = pl.concat(
            [pl.DataFrame(offer_rows), pl.DataFrame(follow_rows)], how="diagonal_relaxed"
        )
        n = frame.height
        person = frame["person_id"].to_numpy()
        answered = frame["answered"].to_numpy()
        ring = rng.integers(4, 25, n)
        return frame.with_columns(
            pl.lit("outbound").alias("direction"),
            pl.lit(OUTBOUND_QUEUE).alias("queue"),
            pl.Series("ivr_sec", np.zeros(n, dtype=np.int64)),
            pl.Series("wait_sec", ring.astype(np.int64)),
            pl.Series("hold_sec", np.where(answered & (rng.random(n) < 0.1), 30, 0)),
            pl.Series(
                "acw_sec", np.where(answered, np.rint(rng.lognormal(np.log(30), 0.4, n)), 0)
            ).cast(pl.Int64),
            pl.lit("").alias("transferred_to"),
            pl.Series(
                "agent_id", np.where(answered, self._agents(rng, np.full(n, OUTBOUND_QUEUE)), "")
            ),
            pl.Series("identified", answered),
            pl.Series("ani_e164", self.mobile[person] if n else np.array([], dtype=str)),
            pl.lit(OUTBOUND_CLI).alias("dnis"),
            pl.lit(None, pl.String).alias("ivr_path"),
            pl.lit(0, pl.Int64).alias("generation"),
            pl.lit(-1, pl.Int64).alias("repeat_of"),
            pl.lit(False).alias("churn_signal"),
            pl.lit(False).alias("complaint_prone"),
        )

    def _call_ids(self, calls: pl.DataFrame) -> pl.DataFrame:
        """Asterisk-style unique ids ``<UTC epoch>.<sequence>``; inbound repeats point at the
        id of the call they follow."""
        n = calls.height
        seq = np.arange(self.call_seq, self.call_seq + n)
        self.call_seq += n
        utc = calls["start_s"].to_numpy() - 3 * 3600
        call_id = np.strings.add(np.strings.add(utc.astype(str), "."), seq.astype(str))
        calls = calls.with_columns(pl.Series("call_id", call_id))
        parents = calls.filter(pl.col("direction") == "inbound").select(
            pl.col("local_seq").alias("repeat_of"), pl.col("call_id").alias("repeat_of_call")
        )
        return calls.join(parents, on="repeat_of", how="left", maintain_order="left")

    # -- chats -------------------------------------------------------------------------------
    def _chats(self, rng, life, state, month_len) -> pl.DataFrame:
        act, first, last, span = self._active_window(life, state, month_len)
        has_login = (self.login[act] != "") & (self.dbo_since[act] <= last)
        act, first, last, span = act[has_login], first[has_login], last[has_login], span[has_login]
        first = np.maximum(first, self.dbo_since[act])
        p = state.pressure[act]
        rate = (
            CHAT_RATE
            * (0.5 + life.digital[act])
            * (0.6 + 1.4 * (1 - life.satisfaction[act]))
            * (1 + 1.5 * p)
            * span
        )
        count = rng.poisson(rate)
        person = np.repeat(act, count)
        k = person.size
        day = _draw_days(rng, np.repeat(first, count), np.repeat(last, count), 0.8)
        start = day * DAY + _seconds_of_day(rng, k, _CHAT_HOURS)
        topics = business.sample_topics(rng, k, state.pressure[person], channel="chat")
        bot = topics["bot_handled"].to_numpy()
        wait = np.where(bot, rng.integers(1, 5, k), rng.integers(10, 240, k))
        handle = topics["talk_sec"].to_numpy() * np.where(bot, 0.35, 1.0)
        end = start + wait + np.rint(handle).astype(np.int64)
        mood = 0.5 * self._mood(person, state)  # a chat client complains less readily
        prone = topics["complaint_prone"].to_numpy() & (rng.random(k) < mood)
        outcome = business.sample_outcomes(rng, topics["churn_signal"].to_numpy(), prone)
        outcome = np.where(
            bot, np.where(rng.random(k) < 0.85, "resolved", "callback"), outcome
        ).astype(str)
        channel = np.where(rng.random(k) < 0.8, "app", "web")
        authenticated = (channel == "app") | (rng.random(k) < 0.5)
        login = np.where(authenticated, self.login[person], "")
        client_id_known = authenticated & ~bot & (rng.random(k) < 0.3)
        score = self._csat_scores(rng, life, state, person, outcome, wait)
        asked = rng.random(k) < 0.55
        self.chat_seq += k
        chat_id = np.strings.add(
            "CH", zfill(np.arange(self.chat_seq - k, self.chat_seq).astype(str), 9)
        )
        return (
            pl.DataFrame(
                {
                    "person_id": person,
                    "start_s": start,
                    "end_s": end,
                    "channel": channel,
                    "login_id": login,
                    "identified": client_id_known,
                    "display_name": self._display_names(rng, person),
                    "topic": topics["topic"].to_numpy().astype(str),
                    "bot_handled": bot,
                    "outcome": outcome,
                    "csat": pl.Series(score).set(pl.Series(~asked), None),
                }
            )
            .sort("start_s", maintain_order=True)
            .with_columns(pl.Series("chat_id", chat_id))
        )

    def _display_names(self, rng, person: np.ndarray) -> np.ndarray:
        k = person.size
        first = self.first_name[person]
        dim = names.diminutives(first, rng)
        kind = rng.choice(6, k, p=[0.45, 0.25, 0.1, 0.08, 0.07, 0.05])
        surname = self.surname[person]
        initial = np.strings.add(np.strings.slice(surname, 0, 1), ".")
        return np.select(
            [kind == 0, kind == 1, kind == 2, kind == 3, kind == 4],
            [
                dim,
                first,
                np.strings.add(np.strings.add(first, " "), surname),
                np.strings.lower(dim),
                np.strings.add(np.strings.add(first, " "), initial),
            ],
            "",
        )

    # -- complaints --------------------------------------------------------------------------
    def _complaints(self, rng, life, state, month_len, calls, chats) -> pl.DataFrame:
        from_calls = calls.filter(
            (pl.col("outcome") == "complaint_registered")
            & (pl.col("person_id") >= 0)
            & (pl.col("direction") == "inbound")
        )
        from_chats = chats.filter(pl.col("outcome") == "complaint_registered")
        call_end = from_calls.select(
            pl.col("start_s") + pl.col("ivr_sec") + pl.col("wait_sec") + pl.col("talk_sec")
        ).to_series()
        act, first, last, span = self._active_window(life, state, month_len)
        p = state.pressure[act]
        rate = OTHER_COMPLAINT_RATE * (1 + 3 * p) * (0.5 + 1.8 * (1 - life.satisfaction[act]))
        count = rng.poisson(rate * span)
        other_person = np.repeat(act, count)
        j = other_person.size
        other_day = _draw_days(rng, np.repeat(first, count), np.repeat(last, count), 0.0)
        other_s = other_day * DAY + rng.integers(9 * 3600, 19 * 3600, j)
        ch = business.load_table("complaint_channels").filter(
            pl.col("channel").is_in(["office", "letter", "via_cbr"])
        )
        w = ch["weight"].to_numpy()
        other_channel = ch["channel"].to_numpy().astype(str)[rng.choice(w.size, j, p=w / w.sum())]
        person = np.concatenate(
            [from_calls["person_id"].to_numpy(), chats_person := from_chats["person_id"].to_numpy()]
        )
        person = np.concatenate([person, other_person])
        received = np.concatenate(
            [call_end.to_numpy(), from_chats["end_s"].to_numpy(), other_s]
        ).astype(np.int64)
        channel = np.concatenate(
            [
                np.full(from_calls.height, "call"),
                np.full(chats_person.size, "chat"),
                other_channel,
            ]
        )
        k = person.size
        sampled = business.sample_complaints(rng, k)
        resolution = sampled["resolution"].to_numpy().astype(str)
        pressure = state.pressure[person]
        soured = (resolution != "rejected") & (rng.random(k) < 0.35 * pressure)
        resolution = np.where(soured, "rejected", resolution)
        rday = received // DAY
        due = due_days(rday)
        late = rng.random(k) < SHARE_CLOSED_LATE
        work = np.where(
            late,
            WORKING_DAYS_TO_ANSWER + rng.integers(1, 11, k),
            np.clip(np.rint(rng.lognormal(np.log(7), 0.45, k)), 1, WORKING_DAYS_TO_ANSWER),
        )
        close_day = add_working_days(rday, work.astype(np.int64))
        close_s = close_day * DAY + rng.integers(10 * 3600, 19 * 3600, k)
        progress_day = add_working_days(rday, rng.integers(1, 3, k))
        progress_day = np.minimum(progress_day, close_day - 1)
        amount = sampled["amount_claimed_kopecks"]
        amount_np = amount.fill_null(0).to_numpy()
        share = np.where(
            resolution == "satisfied",
            1.0,
            np.where(resolution == "partial", rng.uniform(0.3, 0.7, k), 0.0),
        )
        compensation = np.rint(amount_np * share).astype(np.int64)
        order = np.argsort(received, kind="stable")
        self.complaint_seq += k
        seq = np.empty(k, dtype=np.int64)
        seq[order] = np.arange(self.complaint_seq - k, self.complaint_seq)
        year = (
            rday.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
        ).astype(str)
        cid = np.strings.add(
            np.strings.add(np.strings.add("CMPL-", year), "-"), zfill(seq.astype(str), 7)
        )
        unknown = np.isin(channel, ["letter", "via_cbr"]) & (rng.random(k) < 0.03)
        return pl.DataFrame(
            {
                "complaint_id": cid,
                "person_id": person,
                "identified": ~unknown,
                "received_s": received,
                "channel": channel,
                "category": sampled["category"],
                "product": sampled["product"],
                "amount_claimed_kop": amount,
                "due_day": due,
                "progress_day": progress_day,
                "close_day": close_day,
                "close_s": close_s,
                "closed_late": close_day > due,
                "resolution": resolution,
                "compensation_kop": compensation,
            }
        ).sort("received_s", maintain_order=True)

    # -- surveys -----------------------------------------------------------------------------
    def _csat_scores(self, rng, life, state, person, outcome, wait) -> np.ndarray:
        base = _lookup(np.asarray(outcome), _CSAT_BASE, 3.5)
        latent = (
            base
            + 1.4 * (life.satisfaction[person] - 0.7)
            - 0.5 * (np.asarray(wait) > 60)
            - 1.0 * state.pressure[person]
            + rng.normal(0, 0.8, person.size)
        )
        return np.clip(np.rint(latent), 1, 5).astype(np.int64)

    def _surveys(self, rng, life, state, calls) -> pl.DataFrame:
        answered = calls.filter(
            pl.col("answered") & (pl.col("direction") == "inbound") & (pl.col("person_id") >= 0)
        )
        k = answered.height
        sent = np.flatnonzero(rng.random(k) < CSAT_SENT)
        c = answered[sent]
        person = c["person_id"].to_numpy()
        end = (
            c["start_s"] + c["ivr_sec"] + c["wait_sec"] + c["talk_sec"] + c["hold_sec"]
        ).to_numpy()
        sent_s = end + rng.integers(30, 600, sent.size)
        got = rng.random(sent.size) < CSAT_ANSWERED
        answered_s = np.where(got, sent_s + rng.integers(20, 4 * 3600, sent.size), -1)
        score = self._csat_scores(
            rng, life, state, person, c["outcome"].to_numpy(), c["wait_sec"].to_numpy()
        )
        csat = {
            "survey_type": np.full(sent.size, "csat"),
            "person_id": person,
            "call_id": c["call_id"].to_numpy().astype(str),
            "sent_s": sent_s,
            "answered_s": answered_s,
            "score": np.where(got, score, -1),
            "max_score": np.full(sent.size, 5),
            "identified": c["identified"].to_numpy(),
        }
        parts = [csat]
        calendar_month = (
            np.datetime64(int(state.start_day), "D").astype("datetime64[M]").astype(int) % 12 + 1
        )
        if calendar_month % 3 == 0:
            parts.append(self._nps(rng, life, state))
        frame = pl.concat([pl.DataFrame(p) for p in parts], how="diagonal_relaxed")
        n = frame.height
        frame = frame.sort("sent_s", maintain_order=True)
        score = frame["score"].to_numpy()
        band = np.where(
            frame["max_score"].to_numpy() == 5,
            np.select([score >= 4, score == 3], ["good", "neutral"], "bad"),
            np.select([score >= 9, score >= 7], ["good", "neutral"], "bad"),
        )
        pressure = state.pressure[frame["person_id"].to_numpy()]
        band = np.where((band == "bad") & (rng.random(n) < pressure), "leaving", band)
        pick = rng.integers(0, 4, n)
        comment = np.full(n, "", dtype=object)
        for b, options in COMMENTS.items():
            sel = band == b
            comment[sel] = np.array(options)[pick[sel] % len(options)]
        has_comment = (score >= 0) & (rng.random(n) < np.where(band == "good", 0.15, 0.45))
        self.survey_seq += n
        return frame.with_columns(
            pl.Series(
                "survey_id",
                np.strings.add(
                    "SV",
                    zfill(np.arange(self.survey_seq - n, self.survey_seq).astype(str), 9),
                ),
            ),
            pl.Series("comment", np.where(has_comment, comment, "").astype(str)),
        )

    def _nps(self, rng, life, state) -> dict:
        active = np.flatnonzero(state.active & (state.last_day >= state.first_day))
        who = active[rng.random(active.size) < NPS_SAMPLE]
        k = who.size
        day = _draw_days(
            rng, np.maximum(state.first_day[who], state.start_day), state.last_day[who], 0.0
        )
        day = np.minimum(day, state.end_day)
        sent_s = day * DAY + rng.integers(11 * 3600, 19 * 3600, k)
        got = rng.random(k) < NPS_ANSWERED
        answered_s = np.where(got, sent_s + rng.integers(600, 3 * DAY, k), -1)
        latent = (
            2.0 + 8.5 * life.satisfaction[who] - 4.0 * state.pressure[who] + rng.normal(0, 1.6, k)
        )
        score = np.clip(np.rint(latent), 0, 10).astype(np.int64)
        return {
            "survey_type": np.full(k, "nps"),
            "person_id": who,
            "call_id": np.full(k, ""),
            "sent_s": sent_s,
            "answered_s": answered_s,
            "score": np.where(got, score, -1),
            "max_score": np.full(k, 10),
            "identified": np.ones(k, dtype=bool),
        }
