"""Digital banking (ДБО) activity of one month: sessions, in-app events and application steps.

Logins per month follow the client's digital affinity and **fall as churn pressure rises** (app
logins decline before a client leaves); inside the sessions, the share of churn-precursor events
(``sbp_me2me`` to own accounts elsewhere, ``requisites_share``, ``autopay_disable``,
``statement_download``) rises with the pressure. Loyal clients show these events too, at a low
base rate, so no single signal is clean.

Besides the ordinary sessions, some sessions exist because something happened in the app: an
application started in the app or the internet bank (preceded by the offer banner that led to it,
if any), a deposit closed on the churn day, a phone number changed in the profile. Other app
offers (``state.offers`` with channel ``app``) are shown in one of the client's sessions of the
month, so a client who does not log in never sees them. Events carry the lifecycle's ids (offer,
campaign, product).

Times are drawn on the client's local clock (hour profile of mobile banking, regions east of
Moscow shifted by their offset) and kept as milliseconds since the epoch in UTC. Every row's
business date is its Moscow date; a session never falls outside the client's active period nor
before the login's registration day.

Everything is vectorised; per-person device, platform and network attributes come from a keyed
hash so they stay stable across months without being stored.
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass

import numpy as np
import polars as pl

from simulator.contacts import mobile_phones
from simulator.lifecycle import (
    NEVER_DAY,
    P_INDEX,
    Lifecycle,
    MonthState,
    application_start_seconds,
)
from simulator.population import days
from simulator.products import PRODUCTS, RETAIL
from simulator.reference import read_rows
from simulator.rng import stream

SESSIONS_PER_MONTH = 1.3
"""Ordinary sessions a month of a login holder, times ``0.2 + digital`` (before pressure);
application, deposit-closing and phone-change sessions come on top. Calibrated with the event
rate so an active login holder averages ≈ 1.25 sessions and ≈ 3.7 events a month."""
EVENTS_PER_SESSION = 1.8
"""Mean events after the login event in a random successful session."""
LOGIN_DROP = 0.75
"""Fraction of logins lost at churn pressure 1."""
PRECURSOR_SHIFT = 0.5
"""Share of a session's events that become churn-precursor events at pressure 1."""
SHARE_FAILED_LOGINS = 0.04
SHARE_NEW_DEVICE = 0.025
"""Monthly chance that a mobile user switches to a new phone."""
PHONE_CHANGE_YEARS = 25.0
"""Mean years until a login's phone number is changed in the profile (≈ 4 % a year)."""
SHARE_CLOSE_IN_APP = 0.6
"""Share of deposits closed on the churn day that the client closes in the app."""
SHARE_OFFER_CLICK = 0.06
"""Click rate of an app offer that does not lead to an application."""

SESSION_RANDOM, SESSION_APPLY, SESSION_CLOSE, SESSION_PHONE = range(4)
MSK_OFFSET_S = 3 * 3600
DAY_MS = 86_400_000
DEPOSITS = ("SAVINGS", "DEMAND_DEPOSIT", "TERM_DEPOSIT")

EVENT_MIX = {
    "balance_view": 34.0,
    "sbp_transfer": 10.0,
    "sbp_me2me": 2.0,
    "card2card": 5.0,
    "payment_mobile": 10.0,
    "payment_utilities": 6.0,
    "autopay_disable": 0.4,
    "push_open": 15.0,
    "chat_open": 3.0,
    "statement_download": 2.0,
    "requisites_share": 1.2,
}
"""Event types of an ordinary session (loyal clients show a few precursor types too)."""
PRECURSOR_MIX = {
    "sbp_me2me": 0.45,
    "requisites_share": 0.2,
    "statement_download": 0.15,
    "autopay_disable": 0.12,
    "chat_open": 0.08,
}
"""What an event becomes when churn pressure replaces it."""
SCREENS = {
    "login": "auth",
    "balance_view": "main",
    "sbp_transfer": "transfers/sbp",
    "sbp_me2me": "transfers/sbp_me2me",
    "card2card": "transfers/card2card",
    "payment_mobile": "payments/mobile",
    "payment_utilities": "payments/zhkh",
    "autopay_disable": "payments/autopay",
    "deposit_open": "deposits/open",
    "deposit_close": "deposits/close",
    "credit_apply": "credits/apply",
    "product_apply": "products/apply",
    "change_phone": "profile/phone",
    "push_open": "push",
    "chat_open": "chat",
    "statement_download": "accounts/statement",
    "requisites_share": "accounts/requisites",
    "offer_shown": "main/banner",
    "offer_click": "offers/details",
}
EVENT_TYPES = tuple(SCREENS)
MONEY_EVENTS = ("sbp_transfer", "sbp_me2me", "card2card", "payment_mobile", "payment_utilities")
AMOUNT_LOGNORMAL = {
    "sbp_transfer": (np.log(2_500), 1.0),
    "sbp_me2me": (np.log(20_000), 1.0),
    "card2card": (np.log(3_000), 0.9),
    "payment_mobile": (np.log(500), 0.5),
    "payment_utilities": (np.log(5_500), 0.5),
}
"""Roubles: median and log-sd of each money event's amount."""

_HOURS = np.array(
    [0.8, 0.4, 0.2, 0.15, 0.15, 0.3, 1.0, 2.8, 4.5, 5.2, 5.5, 5.6,
     5.8, 5.7, 5.4, 5.3, 5.4, 5.8, 6.3, 6.8, 6.9, 6.0, 4.2, 2.2]
)  # fmt: skip
HOUR_PROFILE = _HOURS / _HOURS.sum()
"""Local hour of mobile-banking logins: morning commute, lunch and a long evening peak."""

TZ_FROM_MOSCOW = {
    39: -1, 63: 1, 64: 1, 73: 1, 18: 1, 2: 2, 56: 2, 59: 2, 66: 2, 72: 2, 74: 2, 55: 3,
    22: 4, 24: 4, 42: 4, 54: 4, 70: 4, 38: 5, 25: 7, 27: 7,
}  # fmt: skip
"""Hours ahead of Moscow of the regions that do not keep Moscow time."""

IOS_RELEASES = (("2022-09-12", 16), ("2023-09-18", 17), ("2024-09-16", 18), ("2025-09-15", 26),
                ("2026-09-14", 27))  # fmt: skip
ANDROID_RELEASES = (("2021-10-04", 12), ("2022-08-15", 13), ("2023-10-04", 14),
                    ("2024-10-15", 15), ("2025-06-10", 16), ("2026-06-09", 17))  # fmt: skip
WEB_OS = np.array(["Windows 11", "Windows 10", "macOS 15", "macOS 14", "Linux", "Android"])
WEB_OS_P = np.array([0.38, 0.34, 0.12, 0.06, 0.03, 0.07])
DBO_LAUNCH = days(dt.date(2011, 6, 1))
"""The bank's internet bank and app went live; earlier clients registered later."""
APP_RELEASE_BASE = days(dt.date(2020, 1, 6))
"""A Monday; the mobile app ships every two weeks, the internet bank every week."""
MOBILE_NETS = np.array(["176.59", "31.173", "85.140", "95.153", "188.170", "37.113", "217.118",
                        "83.149"])  # fmt: skip
HOME_NETS = np.array(["95.165", "188.242", "178.66", "46.242", "93.80", "5.18", "109.252",
                      "91.77", "37.145", "212.3", "90.154", "213.87"])  # fmt: skip
CHANNELS = ("android", "ios", "web")
AUTH_METHODS = ("biometry", "pin", "sms", "password+sms")
FAIL_REASONS = ("biometry_failed", "wrong_pin", "sms_code_expired", "wrong_password",
                "technical_error")  # fmt: skip
"""Typical failure of each authentication method (same order), then a generic one."""
STATUSES = ("success", "fail", "failed", "cancelled", "shown", "clicked", "submitted", "abandoned")
PRODUCT_CODES = tuple(RETAIL)


@dataclass
class DboMonth:
    """One month of ДБО activity, still in internal form (person ids, epoch milliseconds)."""

    sessions: pl.DataFrame
    """session_seq (consecutive), person_id, channel, device_hash, os, app_version, ip_prefix,
    geo_region, auth_method, result, fail_reason, start_ms, end_ms."""
    events: pl.DataFrame
    """event_seq, session_seq, person_id, ts_ms, event_type, screen, product_code, amount_kop,
    status, offer_id, campaign_id (nulls where a field does not apply)."""
    steps: pl.DataFrame
    """app_id, person_id, has_login, product_code, channel, offer_id, campaign_id, step,
    decline_reason, ts_ms — one row per application step reached."""


# -- keyed hashing ---------------------------------------------------------------------------
_MASK = (1 << 64) - 1


def mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser over a uint64 array (wrapping arithmetic)."""
    z = np.asarray(x).astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def hash64(seed: int, name: str, *parts) -> np.ndarray:
    """A 64-bit hash of integer arrays, keyed by the run seed and a name."""
    salt = np.uint64(((seed * 0x100000001B3) ^ (zlib.crc32(name.encode()) << 17)) & _MASK)
    h = mix64(np.asarray(parts[0]).astype(np.uint64) ^ salt)
    for p in parts[1:]:
        h = mix64(h ^ np.asarray(p).astype(np.uint64))
    return h


def unit(h: np.ndarray) -> np.ndarray:
    """Uniform [0, 1) from a hash."""
    return (h >> np.uint64(11)).astype(np.float64) * 2.0**-53


_HEX_PAIRS = np.array([[ord(c) for c in f"{b:02x}"] for b in range(256)], dtype=np.uint8)


def uuid_strings(h1: np.ndarray, h2: np.ndarray) -> pl.Series:
    """Version-4-looking UUIDs (``8-4-4-4-12`` lower-case hex) from two 64-bit hashes per row."""
    n = len(h1)
    raw = np.empty((n, 16), dtype=np.uint8)
    raw[:, :8] = np.asarray(h1, dtype=np.uint64).astype(">u8").view(np.uint8).reshape(n, 8)
    raw[:, 8:] = np.asarray(h2, dtype=np.uint64).astype(">u8").view(np.uint8).reshape(n, 8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    hexed = _HEX_PAIRS[raw].reshape(n, 32)
    dash = np.full((n, 1), ord("-"), dtype=np.uint8)
    parts = [hexed[:, :8], dash, hexed[:, 8:12], dash, hexed[:, 12:16], dash, hexed[:, 16:20]]
    out = np.ascontiguousarray(np.concatenate([*parts, dash, hexed[:, 20:]], axis=1))
    return pl.Series(out.view("S36").ravel()).cast(pl.String)


# -- time helpers ----------------------------------------------------------------------------
def local_seconds(rng: np.random.Generator, k: int, profile: np.ndarray = HOUR_PROFILE):
    hour = rng.choice(24, k, p=profile)
    return hour * 3600 + rng.integers(0, 3600, k)


def utc_ms(rng: np.random.Generator, day, local_sec, tz_hours) -> np.ndarray:
    """Epoch milliseconds (UTC) of a local day and second of a client ``tz_hours`` off Moscow."""
    offset = MSK_OFFSET_S + 3600 * np.asarray(tz_hours, dtype=np.int64)
    sec = np.asarray(day, dtype=np.int64) * 86_400 + np.asarray(local_sec, dtype=np.int64) - offset
    return sec * 1000 + rng.integers(0, 1000, len(sec))


def moscow_day(ms) -> np.ndarray:
    return (np.asarray(ms, dtype=np.int64) + MSK_OFFSET_S * 1000) // DAY_MS


def clamp_to_days(ms, lo_day, hi_day) -> np.ndarray:
    """Shift timestamps by whole days so their Moscow date lies in ``[lo_day, hi_day]``."""
    ms = np.asarray(ms, dtype=np.int64)
    d = moscow_day(ms)
    ms = np.where(d < lo_day, ms + (lo_day - d) * DAY_MS, ms)
    d = moscow_day(ms)
    return np.where(d > hi_day, ms - (d - hi_day) * DAY_MS, ms)


def _release_index(day: np.ndarray, releases) -> tuple[np.ndarray, np.ndarray]:
    starts = np.array([days(dt.date.fromisoformat(d)) for d, _ in releases])
    majors = np.array([v for _, v in releases])
    i = np.clip(np.searchsorted(starts, day, side="right") - 1, 0, len(starts) - 1)
    return majors[i], np.maximum(day - starts[i], 0)


def registration_days(params, identity) -> np.ndarray:
    """Day each login was registered: ``dbo_since_day``, except that nobody had a login before
    the bank's app launched — clients from before then registered over the following years
    (always before the simulated history starts, so no session moves)."""
    since = identity.dbo_since_day
    rng = stream(params.seed, "dbo_registration")
    adopt = DBO_LAUNCH + rng.exponential(3 * 365.25, len(since)).astype(np.int64)
    latest = np.maximum(since, days(params.history_start) - 1)
    return np.where(since < DBO_LAUNCH, np.minimum(np.maximum(adopt, since), latest), since)


# -- the generator ---------------------------------------------------------------------------
class DboActivity:
    """Generates each month's ДБО activity; keeps only the device generation of each person."""

    def __init__(self, params, persons: pl.DataFrame, identity):
        self.params = params
        self.seed = params.seed
        n = persons.height
        self.n = n
        pid = np.arange(n, dtype=np.int64)
        self.digital = persons["digital"].to_numpy()
        region = np.clip(persons["region_code"].to_numpy().astype(np.int64), 0, 99)
        tz_lookup = np.zeros(100, dtype=np.int64)
        for code, hours in TZ_FROM_MOSCOW.items():
            tz_lookup[code] = hours
        self.tz = tz_lookup[region]
        regions = read_rows("regions")
        self.region_names = tuple(r["name"] for r in regions)
        code_to_pos = np.full(100, -1, dtype=np.int64)
        code_to_pos[[int(r["region_code"]) for r in regions]] = np.arange(len(regions))
        self.home_region = code_to_pos[region]
        self.moscow = self.region_names.index("Москва")

        self.has_login = identity.login_id != ""
        self.registered_day = registration_days(params, identity)
        self.login_from = np.where(self.has_login, self.registered_day, NEVER_DAY)
        income_z = np.log(persons["income_rub"].to_numpy() / 42_000)
        p_ios = np.clip(0.32 + 0.15 * income_z, 0.1, 0.75)
        self.base_ios = unit(hash64(self.seed, "dbo_platform", pid)) < p_ios
        self.web_share = 0.04 + 0.4 * unit(hash64(self.seed, "dbo_web", pid)) ** 3
        self.web_phase = (hash64(self.seed, "dbo_browser", pid) % np.uint64(5)).astype(np.int64)
        self.home_net = hash64(self.seed, "dbo_home_net", pid)
        self.device_gen = np.zeros(n, dtype=np.int64)

        rng = stream(self.seed, "dbo_phone_change")
        after = 30 + rng.exponential(PHONE_CHANGE_YEARS * 365.25, n).astype(np.int64)
        change = np.where(
            self.has_login, np.where(self.has_login, self.login_from, 0) + after, NEVER_DAY
        )
        self.phone_change_day = np.where(change <= days(params.business_date), change, NEVER_DAY)
        # the number changed to: one per person, shared by every system that learns of it
        changed = np.flatnonzero(self.phone_change_day < NEVER_DAY)
        self.new_phone = np.full(n, "", dtype=object)
        self.new_phone[changed] = mobile_phones(stream(self.seed, "new_phone"), len(changed))
        self.session_seq = 0
        self.event_seq = 0

    # -- one month -----------------------------------------------------------------------
    def month(self, state: MonthState, life: Lifecycle) -> DboMonth:
        rng = stream(self.seed, "dbo", state.index)
        lo = np.maximum(state.first_day, self.login_from)
        hi = np.minimum(state.last_day, state.end_day)
        can = state.active & self.has_login & (lo <= hi)

        apps = self._applications(rng, state)
        s_parts: list[dict] = []
        e_parts: list[dict] = []
        self._apply_sessions(rng, apps, lo, can, s_parts, e_parts)
        self._close_sessions(rng, state, life, lo, hi, can, s_parts, e_parts)
        self._phone_sessions(rng, lo, hi, can, s_parts, e_parts)
        base = _count(s_parts)
        rand = self._random_sessions(rng, state, lo, hi, can)
        s_parts.append(rand)
        self._offer_events(rng, state, apps, rand, base, can, e_parts)

        # sessions in time order; forced events point at sessions by their index before sorting
        s = _concat(s_parts)
        k = len(s["person"])
        order = np.lexsort((s["kind"], s["start_ms"]))
        s = {c: v[order] for c, v in s.items()}
        s["seq"] = self.session_seq + np.arange(k, dtype=np.int64)
        self.session_seq += k
        seq_of_index = np.empty(k, dtype=np.int64)
        seq_of_index[order] = s["seq"]

        sessions = self._session_frame(rng, state, s)
        success = ~s["fail"]
        e_parts = [
            {**e, "session": seq_of_index[e["session"]]} for e in e_parts if len(e["person"])
        ]
        e_parts.append(self._login_events(rng, s))
        e_parts.append(self._random_events(rng, state, s, success))
        ev = _concat(e_parts)
        ev_order = np.lexsort((ev["session"], ev["ts_ms"]))
        ev = {c: v[ev_order] for c, v in ev.items()}
        n_ev = len(ev["ts_ms"])
        event_seq = self.event_seq + np.arange(n_ev, dtype=np.int64)
        self.event_seq += n_ev
        campaigns = state.offers.select(
            pl.col("offer_id").cast(pl.Int64), pl.col("campaign_id").cast(pl.String)
        )
        events = (
            pl.DataFrame(
                {
                    "event_seq": event_seq,
                    "session_seq": ev["session"],
                    "person_id": ev["person"],
                    "ts_ms": ev["ts_ms"],
                    "type": ev["type"],
                    "product": ev["product"],
                    "amount_kop": ev["amount_kop"],
                    "status": ev["status"],
                    "offer_id": ev["offer_id"],
                }
            )
            .join(campaigns, on="offer_id", how="left", maintain_order="left")
            .select(
                "event_seq",
                "session_seq",
                "person_id",
                "ts_ms",
                _decode("type", EVENT_TYPES).alias("event_type"),
                _decode("type", tuple(SCREENS[t] for t in EVENT_TYPES)).alias("screen"),
                _decode("product", PRODUCT_CODES).alias("product_code"),
                pl.when(pl.col("amount_kop") >= 0).then(pl.col("amount_kop")).alias("amount_kop"),
                _decode("status", STATUSES).alias("status"),
                pl.when(pl.col("offer_id") >= 0).then(pl.col("offer_id")).alias("offer_id"),
                "campaign_id",
            )
        )
        return DboMonth(sessions, events, apps["steps"])

    # -- applications ----------------------------------------------------------------------
    def _applications(self, rng, state: MonthState) -> dict:
        a = state.applications
        k = a.height
        person = a["person_id"].to_numpy().astype(np.int64)
        channel = a["channel"].to_numpy().astype(str)
        product = a["product"].to_numpy().astype(str)
        start_day = a["start_day"].to_numpy().astype(np.int64)
        offer_id = a["offer_id"].to_numpy().astype(np.int64)
        office = channel == "office"
        call = channel == "contact_center"
        online = ~office & ~call
        moscow_second = application_start_seconds(a["app_id"].to_numpy())
        t0 = (start_day * 86_400 + moscow_second - MSK_OFFSET_S) * 1000
        fill = np.where(
            online,
            rng.lognormal(np.log(360), 0.7, k),
            np.where(office, rng.uniform(900, 2400, k), rng.uniform(300, 900, k)),
        )
        submit = np.where(online, rng.lognormal(np.log(90), 0.8, k), rng.uniform(60, 400, k))
        is_credit = np.array([PRODUCTS[c].is_credit for c in product], dtype=bool)
        decision = np.where(
            is_credit,
            np.minimum(rng.lognormal(np.log(1200), 1.5, k), 3 * 86_400),
            rng.uniform(5, 120, k),
        )
        t_filled = t0 + (fill * 1000).astype(np.int64)
        t_sub = t_filled + (submit * 1000).astype(np.int64)
        t_score = t_sub + rng.integers(2_000, 60_000, k)
        t_dec = t_score + (decision * 1000).astype(np.int64)
        follow_ms = (a["follow_up_hours"].to_numpy() * 3_600_000).astype(np.int64)
        t_signed = np.maximum(t_dec, t0 + follow_ms) + rng.integers(0, 300_000, k)
        issue_day = a["issue_day"].to_numpy().astype(np.int64)
        issue_ms = utc_ms(rng, issue_day, rng.integers(10 * 3600, 18 * 3600, k), self.tz[person])
        t_issued = np.maximum(t_signed + rng.integers(300_000, 3 * 3_600_000, k), issue_ms)

        offers = state.offers.sort("offer_id")
        oid = offers["offer_id"].to_numpy().astype(np.int64)
        offer_channel = np.full(k, "", dtype=object)
        if len(oid):
            pos = np.clip(np.searchsorted(oid, offer_id), 0, len(oid) - 1)
            hit = (offer_id >= 0) & (oid[pos] == offer_id)
            offer_channel[hit] = offers["channel"].to_numpy()[pos[hit]]
        has_login = self.has_login[person] & (self.login_from[person] <= start_day)

        filled = a["filled"].to_numpy()
        submitted = a["submitted"].to_numpy()
        approved = a["approved"].to_numpy()
        steps = (
            ("started", np.ones(k, dtype=bool), t0),
            ("filled", filled, t_filled),
            ("submitted", submitted, t_sub),
            ("scoring", submitted, t_score),
            ("approved", approved, t_dec),
            ("declined", submitted & ~approved, t_dec),
            ("signed", a["signed"].to_numpy(), t_signed),
            ("issued", a["issued"].to_numpy(), t_issued),
        )
        rows = pl.concat(
            [
                a.select("app_id", "person_id", "product", "channel", "offer_id", "decline_reason")
                .with_columns(
                    pl.Series("has_login", has_login),
                    pl.lit(step).alias("step"),
                    pl.Series("ts_ms", ts),
                )
                .filter(pl.Series(mask))
                for step, mask, ts in steps
            ]
        )
        campaigns = state.offers.select(
            pl.col("offer_id").cast(rows["offer_id"].dtype), pl.col("campaign_id").cast(pl.String)
        )
        steps_frame = (
            rows.join(campaigns, on="offer_id", how="left", maintain_order="left")
            .select(
                "app_id",
                "person_id",
                "has_login",
                pl.col("product").alias("product_code"),
                "channel",
                pl.when(pl.col("offer_id") >= 0).then(pl.col("offer_id")).alias("offer_id"),
                "campaign_id",
                "step",
                pl.when((pl.col("step") == "declined") & (pl.col("decline_reason") != ""))
                .then(pl.col("decline_reason"))
                .alias("decline_reason"),
                "ts_ms",
            )
            .sort("ts_ms", "app_id", maintain_order=True)
        )
        return {
            "steps": steps_frame,
            "person": person,
            "channel": channel,
            "product": product,
            "start_day": start_day,
            "offer_id": offer_id,
            "offer_channel": offer_channel.astype(str),
            "has_login": has_login,
            "online": online,
            "submitted": submitted,
            "filled": filled,
            "t0": t0,
            "t_filled": t_filled,
            "t_sub": t_sub,
        }

    # -- sessions that exist because something happened --------------------------------------
    def _apply_sessions(self, rng, apps, lo, can, s_parts, e_parts) -> None:
        """An application started in the app or the internet bank happens inside a session;
        an app offer that led to it was shown and clicked just before."""
        p = apps["person"]
        day = apps["start_day"]
        sel = np.flatnonzero(apps["online"] & apps["has_login"] & can[p] & (day >= lo[p]))
        k = len(sel)
        person = p[sel]
        t0 = apps["t0"][sel]
        start = np.maximum(t0 - rng.integers(100_000, 400_000, k), _day_start_ms(lo[person]))
        done = np.where(
            apps["submitted"][sel],
            apps["t_sub"][sel],
            np.where(apps["filled"][sel], apps["t_filled"][sel], t0 + 60_000),
        )
        end = done + rng.integers(5_000, 60_000, k)
        index = _count(s_parts) + np.arange(k)
        channel = np.where(apps["channel"][sel] == "web", 1, 0)
        s_parts.append(_sessions(person, start, end, SESSION_APPLY, channel))

        product = apps["product"][sel]
        offer = apps["offer_id"][sel]
        is_credit = np.array([PRODUCTS[c].is_credit for c in product], dtype=bool)
        kind = np.where(
            is_credit,
            "credit_apply",
            np.where(np.isin(product, DEPOSITS), "deposit_open", "product_apply"),
        )
        status = np.where(apps["submitted"][sel], "submitted", "abandoned")
        e_parts.append(_events(person, index, t0, kind, product, status, offer_id=offer))
        c = np.flatnonzero(apps["offer_channel"][sel] == "app")
        for event, status, back in (("offer_shown", "shown", (40_000, 90_000)),
                                    ("offer_click", "clicked", (3_000, 25_000))):  # fmt: skip
            ts = t0[c] - rng.integers(*back, len(c))
            e_parts.append(
                _events(person[c], index[c], ts, event, product[c], status, offer_id=offer[c])
            )

    def _close_sessions(self, rng, state, life, lo, hi, can, s_parts, e_parts) -> None:
        """Deposits closed on the churn day: most leavers close them in the app."""
        b = life.book
        close = b["close_day"]
        sel = np.flatnonzero(
            np.isin(b["product"], [P_INDEX[c] for c in DEPOSITS])
            & (close >= state.start_day)
            & (close <= state.end_day)
        )
        person = b["person_id"][sel].astype(np.int64)
        day = close[sel]
        ok = (
            can[person]
            & (day == life.churn_day[person])
            & (day >= lo[person])
            & (day <= hi[person])
            & (rng.random(len(sel)) < SHARE_CLOSE_IN_APP)
        )
        sel, person, day = sel[ok], person[ok], day[ok]
        k = len(sel)
        start = clamp_to_days(
            utc_ms(rng, day, local_seconds(rng, k), self.tz[person]), lo[person], hi[person]
        )
        ts = start + rng.integers(20_000, 90_000, k)
        end = ts + rng.integers(10_000, 60_000, k)
        index = _count(s_parts) + np.arange(k)
        s_parts.append(_sessions(person, start, end, SESSION_CLOSE, -1))
        product = b["product"][sel].astype(np.int64)  # P_INDEX order is PRODUCT_CODES order
        amount = b["amount_kop"][sel]
        e_parts.append(
            _events(person, index, ts, "deposit_close", product, "success", amount_kop=amount)
        )

    def _phone_sessions(self, rng, lo, hi, can, s_parts, e_parts) -> None:
        """A phone number changed in the profile (the profile file shows the new number)."""
        day = self.phone_change_day
        person = np.flatnonzero(can & (day >= lo) & (day <= hi))
        k = len(person)
        start = clamp_to_days(
            utc_ms(rng, day[person], local_seconds(rng, k), self.tz[person]),
            lo[person],
            hi[person],
        )
        ts = start + rng.integers(10_000, 60_000, k)
        end = ts + rng.integers(5_000, 60_000, k)
        index = _count(s_parts) + np.arange(k)
        s_parts.append(_sessions(person, start, end, SESSION_PHONE, -1))
        e_parts.append(_events(person, index, ts, "change_phone", -1, "success"))

    # -- ordinary sessions -------------------------------------------------------------------
    def _random_sessions(self, rng, state, lo, hi, can) -> dict:
        """Logins driven by digital affinity, thinned by churn pressure, spread over the part of
        the month the client is with the bank and has a login."""
        who = np.flatnonzero(can)
        span = np.minimum((hi[who] - lo[who] + 1) / 30.4, 1.0)
        pressure = state.pressure[who]
        lam = SESSIONS_PER_MONTH * (0.2 + self.digital[who]) * (1 - LOGIN_DROP * pressure) * span
        person = np.repeat(who, rng.poisson(lam))
        k = len(person)
        width = hi[person] - lo[person] + 1
        day = lo[person] + (rng.random(k) * width).astype(np.int64)
        start = clamp_to_days(
            utc_ms(rng, day, local_seconds(rng, k), self.tz[person]), lo[person], hi[person]
        )
        fail = rng.random(k) < SHARE_FAILED_LOGINS
        n_events = np.where(fail, 0, rng.poisson(EVENTS_PER_SESSION, k))
        duration = np.where(
            fail, rng.uniform(5, 45, k), 20 + rng.lognormal(np.log(100), 0.8, k) + 25 * n_events
        )
        out = _sessions(person, start, start + (duration * 1000).astype(np.int64), 0, -1)
        out["fail"] = fail
        out["n_events"] = n_events
        return out

    def _offer_events(self, rng, state, apps, rand: dict, base: int, can, e_parts) -> None:
        """Other app offers are shown in one of the month's successful sessions of the client,
        and clicked now and then; a client who does not log in never sees the banner."""
        o = state.offers.filter(pl.col("channel") == "app")
        person = o["person_id"].to_numpy().astype(np.int64)
        offer_id = o["offer_id"].to_numpy().astype(np.int64)
        product = _encode(o["product"].to_numpy().astype(str), PRODUCT_CODES)
        led_to_app = np.isin(offer_id, apps["offer_id"][apps["online"] & apps["has_login"]])
        keep = np.flatnonzero(can[person] & ~led_to_app)
        person, offer_id, product = person[keep], offer_id[keep], product[keep]
        ok = np.flatnonzero(~rand["fail"])
        order = ok[np.argsort(rand["person"][ok], kind="stable")]
        sorted_person = rand["person"][order]
        first = np.searchsorted(sorted_person, person, side="left")
        count = np.searchsorted(sorted_person, person, side="right") - first
        seen = np.flatnonzero(count > 0)
        pick = order[first[seen] + (rng.random(len(seen)) * count[seen]).astype(np.int64)]
        person, offer_id, product = person[seen], offer_id[seen], product[seen]
        k = len(seen)
        start, end = rand["start_ms"][pick], rand["end_ms"][pick]
        room = np.maximum(end - start - 4_000, 1)
        shown = start + 3_000 + (rng.random(k) * room * 0.7).astype(np.int64)
        click_ts = np.maximum(np.minimum(shown + rng.integers(2_000, 40_000, k), end - 500), shown)
        index = base + pick
        e_parts.append(_events(person, index, shown, "offer_shown", product, "shown", offer_id))
        c = np.flatnonzero(rng.random(k) < SHARE_OFFER_CLICK)
        e_parts.append(
            _events(person[c], index[c], click_ts[c], "offer_click", product[c], "clicked",
                    offer_id[c])
        )  # fmt: skip

    # -- session attributes ----------------------------------------------------------------
    def _session_frame(self, rng, state: MonthState, s: dict) -> pl.DataFrame:
        person = s["person"]
        k = len(person)
        forced = s["channel"]
        web = np.where(forced >= 0, forced == 1, rng.random(k) < self.web_share[person])
        mobile = ~web

        # a new phone this month: the month's first mobile session registers it
        switch = rng.random(self.n) < SHARE_NEW_DEVICE
        mob_idx = np.flatnonzero(mobile)
        users, first = np.unique(person[mob_idx], return_index=True)
        switched = users[switch[users]]
        self.device_gen[switched] += 1
        new_device = np.zeros(k, dtype=bool)
        new_device[mob_idx[first]] = switch[users]

        gen = self.device_gen[person]
        web_gen = (state.index + self.web_phase[person]) // 5
        keep_platform = (gen == 0) | (unit(hash64(self.seed, "dbo_keep", person, gen)) < 0.85)
        ios = np.where(keep_platform, self.base_ios[person], ~self.base_ios[person])
        device = np.where(
            web,
            hash64(self.seed, "dbo_browser_id", person, web_gen),
            hash64(self.seed, "dbo_device_id", person, gen),
        )
        u_dev = unit(mix64(device))
        day = moscow_day(s["start_ms"])

        # operating system: devices adopt new majors with a lag of their own
        ios_lag = (u_dev * 150).astype(np.int64) + np.where(u_dev > 0.9, 300, 0)
        ios_major, ios_age = _release_index(day - ios_lag, IOS_RELEASES)
        droid_major, _ = _release_index(
            day - (u_dev**0.7 * 1000).astype(np.int64), ANDROID_RELEASES
        )
        web_os = np.searchsorted(np.cumsum(WEB_OS_P), u_dev * 0.999999)

        # app version: every two weeks (a hotfix now and then); devices update with a lag
        app_lag = np.minimum((-np.log1p(-u_dev) * 9).astype(np.int64), 120)
        release = np.maximum(day - app_lag - APP_RELEASE_BASE, 0) // 14
        hotfix = (mix64(release) % np.uint64(4) == 0).astype(np.int64)
        web_release = np.maximum(day - APP_RELEASE_BASE, 0) // 7 * 7 + 3

        # authentication: the device's habit, SMS on a new phone; failures fit the method
        u_auth = unit(hash64(self.seed, "dbo_auth", device))
        auth = np.where(u_auth < 0.55, 0, np.where(u_auth < 0.92, 1, 2))
        auth = np.where((auth == 0) & (rng.random(k) < 0.1), 1, auth)
        auth = np.where(new_device, 3, auth)
        auth = np.where(web, np.where(rng.random(k) < 0.85, 3, 2), auth)
        reason = np.where(rng.random(k) < 0.1, 4, auth)
        reason = np.where((auth == 3) & (rng.random(k) < 0.35), 2, reason)

        # network and geography
        on_mobile_net = mobile & (rng.random(k) < 0.6)
        home = self.home_net[person]
        net = np.where(
            on_mobile_net,
            rng.integers(0, len(MOBILE_NETS), k),
            len(MOBILE_NETS) + (home % np.uint64(len(HOME_NETS))).astype(np.int64),
        )
        third = np.where(
            on_mobile_net,
            rng.integers(0, 256, k),
            ((home >> np.uint64(20)) % np.uint64(256)).astype(np.int64),
        )
        u_geo = rng.random(k)
        other = rng.integers(0, len(self.region_names), k)
        geo = np.where(
            u_geo < 0.92,
            self.home_region[person],
            np.where(u_geo < 0.95, self.moscow, np.where(u_geo < 0.99, other, -1)),
        )
        channel = np.where(web, 2, np.where(ios, 1, 0))
        fail = s["fail"]
        nets = (*MOBILE_NETS.tolist(), *HOME_NETS.tolist())
        return pl.DataFrame(
            {
                "session_seq": s["seq"],
                "person_id": person,
                "channel": channel,
                "device_hash": device,
                "ios_major": ios_major,
                "ios_minor": np.minimum(ios_age // 45, 7),
                "droid_major": droid_major,
                "web_os": web_os,
                "release": release,
                "hotfix": hotfix,
                "web_day": web_release + APP_RELEASE_BASE,
                "net": net,
                "third": third,
                "geo": geo,
                "auth": auth,
                "fail": fail,
                "reason": reason,
                "start_ms": s["start_ms"],
                "end_ms": s["end_ms"],
            }
        ).select(
            "session_seq",
            "person_id",
            _decode("channel", CHANNELS),
            "device_hash",
            pl.when(pl.col("channel") == 2)
            .then(_decode("web_os", tuple(WEB_OS.tolist())))
            .when(pl.col("channel") == 1)
            .then(pl.format("iOS {}.{}", "ios_major", "ios_minor"))
            .otherwise(pl.format("Android {}", "droid_major"))
            .alias("os"),
            pl.when(pl.col("channel") == 2)
            .then(
                pl.format(
                    "web-{}.{}",
                    pl.col("web_day").cast(pl.Date).dt.year(),
                    pl.col("web_day").cast(pl.Date).dt.week(),
                )
            )
            .otherwise(
                pl.format(
                    "{}.{}.{}", 10 + pl.col("release") // 26, pl.col("release") % 26, "hotfix"
                )
            )
            .alias("app_version"),
            pl.format("{}.{}.0/24", _decode("net", nets), "third").alias("ip_prefix"),
            _decode("geo", self.region_names).alias("geo_region"),
            _decode("auth", AUTH_METHODS).alias("auth_method"),
            pl.when(pl.col("fail"))
            .then(pl.lit("fail"))
            .otherwise(pl.lit("success"))
            .alias("result"),
            pl.when(pl.col("fail")).then(_decode("reason", FAIL_REASONS)).alias("fail_reason"),
            "start_ms",
            "end_ms",
        )

    # -- events ----------------------------------------------------------------------------
    def _login_events(self, rng, s: dict) -> dict:
        k = len(s["person"])
        ts = s["start_ms"] + rng.integers(300, 2_500, k)
        status = np.where(s["fail"], STATUSES.index("fail"), STATUSES.index("success"))
        return _events(s["person"], s["seq"], ts, "login", -1, status)

    def _random_events(self, rng, state: MonthState, s: dict, success: np.ndarray) -> dict:
        """The ordinary content of a session; churn pressure turns some of it into precursors."""
        count = np.where(success & (s["kind"] == SESSION_RANDOM), s["n_events"], 0)
        idx = np.repeat(np.arange(len(count)), count)
        k = len(idx)
        person = s["person"][idx]
        start, end = s["start_ms"][idx], s["end_ms"][idx]
        lo = start + 2_500
        ts = lo + (rng.random(k) * np.maximum(end - 500 - lo, 1)).astype(np.int64)

        mix = np.array([_TYPE_INDEX[t] for t in EVENT_MIX])
        w = np.array(list(EVENT_MIX.values()))
        kind = mix[rng.choice(len(mix), k, p=w / w.sum())]
        pressure = state.pressure[person]
        shift = rng.random(k) < PRECURSOR_SHIFT * pressure
        pre = np.array([_TYPE_INDEX[t] for t in PRECURSOR_MIX])
        pw = np.array(list(PRECURSOR_MIX.values()))
        kind = np.where(shift, pre[rng.choice(len(pre), k, p=pw / pw.sum())], kind)

        amount = np.full(k, -1, dtype=np.int64)
        for name, (mu, sd) in AMOUNT_LOGNORMAL.items():
            m = np.flatnonzero(kind == _TYPE_INDEX[name])
            bump = 0.8 * pressure[m] if name == "sbp_me2me" else 0.0
            rub = np.maximum(rng.lognormal(mu + bump, sd, len(m)), 10.0)
            kop = np.round(rub) * 100 if name != "payment_utilities" else np.round(rub * 100)
            amount[m] = kop.astype(np.int64)
        money = np.isin(kind, [_TYPE_INDEX[t] for t in MONEY_EVENTS])
        u = rng.random(k)
        status = np.where(
            money & (u < 0.03),
            STATUSES.index("failed"),
            np.where(money & (u < 0.045), STATUSES.index("cancelled"), STATUSES.index("success")),
        )
        no_product = np.isin(kind, [_TYPE_INDEX["push_open"], _TYPE_INDEX["chat_open"]])
        product = np.where(no_product, -1, PRODUCT_CODES.index("CURRENT"))
        return _events(person, s["seq"][idx], ts, kind, product, status, amount_kop=amount)


# -- small builders --------------------------------------------------------------------------
_TYPE_INDEX = {t: i for i, t in enumerate(EVENT_TYPES)}


def _decode(col: str, vocabulary: tuple[str, ...]) -> pl.Expr:
    """Integer codes to strings (``-1`` → null)."""
    mapping = dict(enumerate(vocabulary))
    return pl.col(col).replace_strict(mapping, default=None, return_dtype=pl.String).alias(col)


def _encode(values, vocabulary: tuple[str, ...]) -> np.ndarray:
    """Codes of values: an int array passes through, a string (or string array) is looked up."""
    arr = np.asarray(values)
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64)
    lookup = {v: i for i, v in enumerate(vocabulary)}
    if arr.ndim == 0:
        return np.asarray(lookup[str(arr)], dtype=np.int64)
    codes = np.empty(arr.shape, dtype=np.int64)
    for v in np.unique(arr).tolist():
        codes[arr == v] = lookup[v]
    return codes


def _day_start_ms(day) -> np.ndarray:
    return np.asarray(day, dtype=np.int64) * DAY_MS - MSK_OFFSET_S * 1000


def _sessions(person, start, end, kind: int, channel) -> dict:
    k = len(person)
    return {
        "person": np.asarray(person, dtype=np.int64),
        "start_ms": np.asarray(start, dtype=np.int64),
        "end_ms": np.asarray(end, dtype=np.int64),
        "kind": np.full(k, kind, dtype=np.int64),
        "channel": np.broadcast_to(np.asarray(channel, dtype=np.int64), (k,)).copy(),
        "fail": np.zeros(k, dtype=bool),
        "n_events": np.zeros(k, dtype=np.int64),
    }


def _events(person, session, ts, event_type, product, status, offer_id=None, amount_kop=None):
    """Event columns as codes; ``session`` is a session index (forced) or seq (ordinary)."""
    k = len(person)

    def full(v, vocab):
        return np.broadcast_to(_encode(v, vocab), (k,)).copy()

    return {
        "person": np.asarray(person, dtype=np.int64),
        "session": np.asarray(session, dtype=np.int64),
        "ts_ms": np.asarray(ts, dtype=np.int64),
        "type": full(event_type, EVENT_TYPES),
        "product": full(product, PRODUCT_CODES),
        "status": full(status, STATUSES),
        "offer_id": np.full(k, -1, np.int64) if offer_id is None else np.asarray(offer_id),
        "amount_kop": np.full(k, -1, np.int64) if amount_kop is None else np.asarray(amount_kop),
    }


def _count(parts: list[dict]) -> int:
    return sum(len(p["person"]) for p in parts)


def _concat(parts: list[dict]) -> dict:
    return {c: np.concatenate([np.asarray(p[c]) for p in parts]) for c in parts[0]}
