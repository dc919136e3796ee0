"""Digital banking (ДБО) activity of one month: sessions, in-app events and application steps.

Logins per month follow the client's digital affinity and **fall as churn pressure rises** (app
logins decline before a client leaves); inside the sessions, the share of churn-precursor events
(``sbp_me2me`` to own accounts elsewhere, ``requisites_share``, ``autopay_disable``,
``statement_download``) rises with the pressure. Loyal clients show these events too, at a low
base rate, so no single signal is clean.

Besides the random sessions, some sessions exist because something happened that the app must
show: an offer displayed in the app (``state.offers`` with channel ``app``), an application
started in the app or the internet bank, a deposit closed on the churn day, a phone number
changed in the profile. Their events carry the lifecycle's ids (offer, campaign, product).

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

from simulator.lifecycle import NEVER_DAY, P_INDEX, Lifecycle, MonthState
from simulator.population import days
from simulator.products import PRODUCTS, RETAIL
from simulator.reference import read_rows
from simulator.rng import stream

SESSIONS_PER_MONTH = 1.3
"""Random sessions per month of a login holder with digital affinity 0.8 (before pressure);
forced sessions (offers, applications ...) come on top. Calibrated with the event rate so a
digital client averages ≈ 1.3 sessions and ≈ 3.5 events a month."""
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
FAIL_REASONS = {
    "pin": "wrong_pin",
    "biometry": "biometry_failed",
    "password+sms": "wrong_password",
    "sms": "sms_code_expired",
}


@dataclass
class DboMonth:
    """One month of ДБО activity, still in internal form (person ids, epoch milliseconds)."""

    sessions: pl.DataFrame
    """session_seq, person_id, channel, device_hash, os, app_version, ip_prefix, geo_region,
    auth_method, result, fail_reason, start_ms, end_ms."""
    events: pl.DataFrame
    """event_seq, session_seq, person_id, ts_ms, event_type, screen, product_code, amount_kop
    (null when none), status, offer_id (-1 none), campaign_id."""
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
        region = persons["region_code"].to_numpy().astype(np.int64)
        tz_lookup = np.zeros(100, dtype=np.int64)
        for code, hours in TZ_FROM_MOSCOW.items():
            tz_lookup[code] = hours
        self.tz = tz_lookup[np.clip(region, 0, 99)]
        self.region = region
        regions = read_rows("regions")
        self.region_codes = np.array([int(r["region_code"]) for r in regions], dtype=np.int64)
        self.region_names = np.array([r["name"] for r in regions])
        name_lookup = np.full(100, "", dtype=object)
        name_lookup[self.region_codes] = self.region_names
        self.home_region_name = name_lookup[np.clip(region, 0, 99)].astype(str)

        self.has_login = identity.login_id != ""
        self.registered_day = registration_days(params, identity)
        self.login_from = np.where(self.has_login, self.registered_day, NEVER_DAY)
        income_z = np.log(persons["income_rub"].to_numpy() / 42_000)
        self.p_ios = np.clip(0.32 + 0.15 * income_z, 0.1, 0.75)
        self.base_ios = unit(hash64(self.seed, "dbo_platform", pid)) < self.p_ios
        self.web_share = 0.04 + 0.4 * unit(hash64(self.seed, "dbo_web", pid)) ** 3
        self.web_phase = (hash64(self.seed, "dbo_browser", pid) % np.uint64(5)).astype(np.int64)
        self.home_net = hash64(self.seed, "dbo_home_net", pid)
        self.device_gen = np.zeros(n, dtype=np.int64)

        rng = stream(self.seed, "dbo_phone_change")
        after = 30 + rng.exponential(PHONE_CHANGE_YEARS * 365.25, n).astype(np.int64)
        change = np.where(self.has_login, self.login_from + after, NEVER_DAY)
        self.phone_change_day = np.where(change <= days(params.business_date), change, NEVER_DAY)
        self.session_seq = 0
        self.event_seq = 0

    # -- one month -----------------------------------------------------------------------
    def month(self, state: MonthState, life: Lifecycle) -> DboMonth:
        rng = stream(self.seed, "dbo", state.index)
        lo = np.maximum(state.first_day, self.login_from)
        hi = np.minimum(state.last_day, state.end_day)
        can = state.active & self.has_login & (lo <= hi)

        apps = self._applications(rng, state)
        s_parts, e_parts = [], []
        self._apply_sessions(rng, apps, lo, hi, can, s_parts, e_parts)
        self._close_sessions(rng, state, life, lo, hi, can, s_parts, e_parts)
        self._phone_sessions(rng, lo, hi, can, s_parts, e_parts)
        base = _session_count(s_parts)
        rand = self._random_sessions(rng, state, lo, hi, can)
        s_parts.append(rand)
        self._offer_events(rng, state, apps, rand, base, can, e_parts)

        sessions = _concat_dicts(s_parts)
        k = len(sessions["person"])
        order = np.lexsort((sessions["kind"], sessions["start_ms"]))
        sessions = {c: v[order] for c, v in sessions.items()}
        seq = self.session_seq + np.arange(k, dtype=np.int64)
        self.session_seq += k
        seq_of_index = np.empty(k, dtype=np.int64)
        seq_of_index[order] = seq
        sessions["seq"] = seq

        attrs = self._session_attributes(rng, state, sessions)
        success = attrs["result"] == "success"
        events = self._login_events(rng, sessions, success)
        rand_events = self._random_events(rng, state, sessions, success)
        forced = _concat_dicts(e_parts) if e_parts else None
        if forced is not None and len(forced["session_index"]):
            forced["session_seq"] = seq_of_index[forced.pop("session_index")]
        elif forced is not None:
            forced.pop("session_index")
        frames = [events, rand_events] + ([forced] if forced is not None else [])
        ev = _concat_dicts(frames)
        ev_order = np.lexsort((ev["session_seq"], ev["ts_ms"]))
        ev = {c: v[ev_order] for c, v in ev.items()}
        n_ev = len(ev["ts_ms"])
        ev["event_seq"] = self.event_seq + np.arange(n_ev, dtype=np.int64)
        self.event_seq += n_ev

        session_frame = pl.DataFrame(
            {
                "session_seq": seq,
                "person_id": sessions["person"],
                **attrs,
                "start_ms": sessions["start_ms"],
                "end_ms": sessions["end_ms"],
            }
        ).with_columns(
            pl.when(pl.col(c) != "").then(pl.col(c)).alias(c) for c in ("geo_region", "fail_reason")
        )
        event_frame = pl.DataFrame(
            {
                "event_seq": ev["event_seq"],
                "session_seq": ev["session_seq"],
                "person_id": ev["person"],
                "ts_ms": ev["ts_ms"],
                "event_type": np.asarray(EVENT_TYPES)[ev["type"]],
                "screen": np.asarray([SCREENS[t] for t in EVENT_TYPES])[ev["type"]],
                "product_code": ev["product"].astype(str),
                "amount_kop": ev["amount_kop"],
                "status": ev["status"].astype(str),
                "offer_id": ev["offer_id"],
                "campaign_id": ev["campaign"].astype(str),
            }
        ).with_columns(
            pl.when(pl.col("amount_kop") >= 0).then(pl.col("amount_kop")).alias("amount_kop"),
            pl.when(pl.col("product_code") != "").then(pl.col("product_code")).alias("product_code"),
            pl.when(pl.col("campaign_id") != "").then(pl.col("campaign_id")).alias("campaign_id"),
        )
        return DboMonth(session_frame, event_frame, apps["steps"])

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
        sec = np.where(
            online,
            local_seconds(rng, k),
            np.where(office, 9 * 3600 + rng.integers(0, 10 * 3600, k), 9 * 3600)
            + np.where(call, rng.integers(0, 12 * 3600, k), 0),
        )
        t0 = clamp_to_days(utc_ms(rng, start_day, sec, self.tz[person]), start_day, start_day)
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
        follow = a["follow_up_hours"].to_numpy()
        t_signed = t_dec + (follow * 3_600_000).astype(np.int64) + rng.integers(0, 300_000, k)
        issue_day = a["issue_day"].to_numpy().astype(np.int64)
        issue_ms = utc_ms(rng, issue_day, rng.integers(10 * 3600, 18 * 3600, k), self.tz[person])
        t_issued = np.maximum(t_signed + rng.integers(300_000, 3 * 3_600_000, k), issue_ms)

        offers = state.offers
        campaign = np.full(k, "", dtype=object)
        offer_channel = np.full(k, "", dtype=object)
        if k and offers.height:
            oid = offers["offer_id"].to_numpy()
            pos = np.searchsorted(oid, offer_id)
            pos = np.clip(pos, 0, len(oid) - 1)
            hit = (offer_id >= 0) & (oid[pos] == offer_id)
            campaign[hit] = offers["campaign_id"].to_numpy()[pos[hit]]
            offer_channel[hit] = offers["channel"].to_numpy()[pos[hit]]
        has_login = self.has_login[person] & (self.login_from[person] <= start_day)

        flags = {
            "started": np.ones(k, dtype=bool),
            "filled": a["filled"].to_numpy(),
            "submitted": a["submitted"].to_numpy(),
        }
        approved = a["approved"].to_numpy()
        flags["scoring"] = flags["submitted"]
        flags["approved"] = approved
        flags["declined"] = flags["submitted"] & ~approved
        flags["signed"] = a["signed"].to_numpy()
        flags["issued"] = a["issued"].to_numpy()
        times = {
            "started": t0,
            "filled": t_filled,
            "submitted": t_sub,
            "scoring": t_score,
            "approved": t_dec,
            "declined": t_dec,
            "signed": t_signed,
            "issued": t_issued,
        }
        app_id = a["app_id"].to_numpy().astype(np.int64)
        reason = a["decline_reason"].to_numpy().astype(str)
        rows = []
        for step, mask in flags.items():
            idx = np.flatnonzero(mask)
            rows.append(
                {
                    "app_id": app_id[idx],
                    "person_id": person[idx],
                    "has_login": has_login[idx],
                    "product_code": product[idx],
                    "channel": channel[idx],
                    "offer_id": offer_id[idx],
                    "campaign_id": campaign[idx].astype(str),
                    "step": np.full(len(idx), step),
                    "decline_reason": reason[idx] if step == "declined" else np.full(len(idx), ""),
                    "ts_ms": times[step][idx],
                }
            )
        steps = (
            pl.DataFrame(_concat_dicts(rows))
            .with_columns(
                pl.when(pl.col(c) != "").then(pl.col(c)).alias(c)
                for c in ("campaign_id", "decline_reason")
            )
            .sort("ts_ms", "app_id", maintain_order=True)
        )
        return {
            "steps": steps,
            "person": person,
            "channel": channel,
            "product": product,
            "start_day": start_day,
            "offer_id": offer_id,
            "offer_channel": offer_channel.astype(str),
            "campaign": campaign.astype(str),
            "has_login": has_login,
            "online": online,
            "submitted": flags["submitted"],
            "filled": flags["filled"],
            "t0": t0,
            "t_filled": t_filled,
            "t_sub": t_sub,
        }

    # -- forced sessions -------------------------------------------------------------------
    def _apply_sessions(self, rng, apps, lo, hi, can, s_parts, e_parts) -> None:
        """An application started in the app or the internet bank happens inside a session."""
        p = apps["person"]
        day = apps["start_day"]
        sel = np.flatnonzero(
            apps["online"] & apps["has_login"] & can[p] & (day >= lo[p]) & (day <= hi[p])
        )
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
        base = _session_count(s_parts)
        channel = np.where(apps["channel"][sel] == "web", 1, 0)
        s_parts.append(_sessions(person, start, end, SESSION_APPLY, channel))
        index = base + np.arange(k)
        product = apps["product"][sel]
        is_credit = np.array([PRODUCTS[c].is_credit for c in product], dtype=bool)
        kind = np.where(
            is_credit, "credit_apply", np.where(np.isin(product, DEPOSITS), "deposit_open", "")
        )
        kind = np.where(kind == "", "product_apply", kind)
        status = np.where(apps["submitted"][sel], "submitted", "abandoned")
        e_parts.append(
            _events(person, index, t0, kind, product, status, campaign=apps["campaign"][sel])
        )
        e_parts[-1]["offer_id"] = apps["offer_id"][sel]
        # the app offer that led here: shown on the main screen, clicked, then the form
        c = np.flatnonzero(apps["offer_channel"][sel] == "app")
        for event, status, back in (("offer_shown", "shown", (40_000, 90_000)),
                                    ("offer_click", "clicked", (3_000, 25_000))):  # fmt: skip
            e_parts.append(
                _events(
                    person[c],
                    index[c],
                    t0[c] - rng.integers(*back, len(c)),
                    event,
                    product[c],
                    status,
                    offer_id=apps["offer_id"][sel][c],
                    campaign=apps["campaign"][sel][c],
                )
            )

    def _offer_events(self, rng, state, apps, rand: dict, base: int, can, e_parts) -> None:
        """Other app offers are shown in one of the month's successful sessions of the client,
        and clicked now and then; a client who does not log in never sees the banner."""
        o = state.offers.filter(pl.col("channel") == "app")
        person = o["person_id"].to_numpy().astype(np.int64)
        offer_id = o["offer_id"].to_numpy().astype(np.int64)
        led_to_app = np.isin(offer_id, apps["offer_id"][apps["online"] & apps["has_login"]])
        keep = can[person] & ~led_to_app
        o, person, offer_id = o.filter(pl.Series(keep)), person[keep], offer_id[keep]
        ok = np.flatnonzero(~rand["fail"])
        order = ok[np.argsort(rand["person"][ok], kind="stable")]
        sorted_person = rand["person"][order]
        first = np.searchsorted(sorted_person, person, side="left")
        count = np.searchsorted(sorted_person, person, side="right") - first
        seen = np.flatnonzero(count > 0)
        pick = order[first[seen] + (rng.random(len(seen)) * count[seen]).astype(np.int64)]
        person, offer_id = person[seen], offer_id[seen]
        k = len(seen)
        start, end = rand["start_ms"][pick], rand["end_ms"][pick]
        room = np.maximum(end - start - 4_000, 1)
        shown = start + 3_000 + (rng.random(k) * room * 0.7).astype(np.int64)
        click = rng.random(k) < SHARE_OFFER_CLICK
        click_ts = np.minimum(shown + rng.integers(2_000, 40_000, k), end - 500)
        click_ts = np.maximum(click_ts, shown + 1)
        product = o["product"].to_numpy().astype(str)[seen]
        campaign = o["campaign_id"].to_numpy().astype(str)[seen]
        index = base + pick
        e_parts.append(
            _events(person, index, shown, "offer_shown", product, "shown", offer_id, campaign)
        )
        c = np.flatnonzero(click)
        e_parts.append(
            _events(
                person[c], index[c], click_ts[c], "offer_click", product[c], "clicked",
                offer_id[c], campaign[c],
            )
        )  # fmt: skip

    def _close_sessions(self, rng, state, life, lo, hi, can, s_parts, e_parts) -> None:
        """Deposits closed on the churn day: most leavers close them in the app."""
        b = life.book
        deposit_codes = [P_INDEX[c] for c in DEPOSITS]
        close = b["close_day"]
        sel = np.flatnonzero(
            np.isin(b["product"], deposit_codes)
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
        base = _session_count(s_parts)
        s_parts.append(_sessions(person, start, end, SESSION_CLOSE, np.full(k, -1)))
        product = np.asarray(RETAIL)[b["product"][sel]]
        e_parts.append(
            _events(
                person,
                base + np.arange(k),
                ts,
                "deposit_close",
                product,
                "success",
                amount_kop=b["amount_kop"][sel],
            )
        )

    def _phone_sessions(self, rng, lo, hi, can, s_parts, e_parts) -> None:
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
        base = _session_count(s_parts)
        s_parts.append(_sessions(person, start, end, SESSION_PHONE, np.full(k, -1)))
        e_parts.append(_events(person, base + np.arange(k), ts, "change_phone", "", "success"))

    def _random_sessions(self, rng, state, lo, hi, can) -> dict:
        who = np.flatnonzero(can)
        span = np.minimum((hi[who] - lo[who] + 1) / 30.4, 1.0)
        lam = (
            SESSIONS_PER_MONTH
            * (0.2 + self.digital[who])
            * (1 - LOGIN_DROP * state.pressure[who])
            * span
        )
        count = rng.poisson(lam)
        person = np.repeat(who, count)
        k = len(person)
        width = hi[person] - lo[person] + 1
        day = lo[person] + (rng.random(k) * width).astype(np.int64)
        start = clamp_to_days(
            utc_ms(rng, day, local_seconds(rng, k), self.tz[person]), lo[person], hi[person]
        )
        fail = rng.random(k) < SHARE_FAILED_LOGINS
        n_events = np.where(fail, 0, rng.poisson(EVENTS_PER_SESSION, k))
        duration = np.where(
            fail,
            rng.uniform(5, 45, k),
            20 + rng.lognormal(np.log(100), 0.8, k) + 25 * n_events,
        )
        out = _sessions(person, start, start + (duration * 1000).astype(np.int64), 0, -1)
        out["fail"] = fail
        out["n_events"] = n_events
        return out

    # -- session attributes ----------------------------------------------------------------
    def _session_attributes(self, rng, state: MonthState, s: dict) -> dict:
        person = s["person"]
        k = len(person)
        forced = s["channel"]
        web = np.where(forced >= 0, forced == 1, rng.random(k) < self.web_share[person])
        mobile = ~web

        # a new phone this month: the month's first mobile session registers it
        switch = rng.random(self.n) < SHARE_NEW_DEVICE
        users = np.unique(person[mobile])
        switched = users[switch[users]]
        self.device_gen[switched] += 1
        first_mobile = np.zeros(k, dtype=bool)
        mob_idx = np.flatnonzero(mobile)
        _, first = np.unique(person[mob_idx], return_index=True)
        first_mobile[mob_idx[first]] = True
        new_device = first_mobile & np.isin(person, switched)

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
        ios_minor = np.minimum(ios_age // 45, 7)
        droid_lag = (u_dev**0.7 * 1000).astype(np.int64)
        droid_major, _ = _release_index(day - droid_lag, ANDROID_RELEASES)
        web_os = WEB_OS[np.searchsorted(np.cumsum(WEB_OS_P), u_dev * 0.999999)]

        # app version: every two weeks (a hotfix now and then); devices update with a lag
        app_lag = np.minimum((-np.log1p(-u_dev) * 9).astype(np.int64), 120)
        release = np.maximum(day - app_lag - APP_RELEASE_BASE, 0) // 14
        hotfix = (mix64(release) % np.uint64(4) == 0).astype(np.int64)
        web_release = np.maximum(day - APP_RELEASE_BASE, 0) // 7
        web_year = 2020 + (web_release * 7 + 3) // 365

        # authentication and result
        u_auth = unit(hash64(self.seed, "dbo_auth", device))
        mobile_auth = np.where(u_auth < 0.55, "biometry", np.where(u_auth < 0.92, "pin", "sms"))
        mobile_auth = np.where(
            (mobile_auth == "biometry") & (rng.random(k) < 0.1), "pin", mobile_auth
        )
        web_auth = np.where(rng.random(k) < 0.85, "password+sms", "sms")
        auth = np.where(web, web_auth, np.where(new_device, "password+sms", mobile_auth))
        fail = s["fail"]
        reason = np.select(
            [auth == a for a in FAIL_REASONS], list(FAIL_REASONS.values()), "technical_error"
        )
        reason = np.where(rng.random(k) < 0.1, "technical_error", reason)
        reason = np.where(
            (auth == "password+sms") & (rng.random(k) < 0.35), "sms_code_expired", reason
        )

        # network and geography
        on_mobile_net = mobile & (rng.random(k) < 0.6)
        home = self.home_net[person]
        mobile_net = MOBILE_NETS[rng.integers(0, len(MOBILE_NETS), k)]
        home_net = HOME_NETS[(home % np.uint64(len(HOME_NETS))).astype(np.int64)]
        third = np.where(
            on_mobile_net,
            rng.integers(0, 256, k),
            ((home >> np.uint64(20)) % np.uint64(256)).astype(np.int64),
        )
        u_geo = rng.random(k)
        other = self.region_names[rng.integers(0, len(self.region_names), k)]
        geo = np.where(
            u_geo < 0.92,
            self.home_region_name[person],
            np.where(u_geo < 0.95, "Москва", np.where(u_geo < 0.99, other, "")),
        )

        channel = np.where(web, "web", np.where(ios, "ios", "android"))
        frame = pl.DataFrame(
            {
                "channel": channel,
                "ios_major": ios_major,
                "ios_minor": ios_minor,
                "droid_major": droid_major,
                "web_os": web_os,
                "release": release,
                "hotfix": hotfix,
                "web_year": web_year,
                "web_week": (web_release * 7 + 3) % 365 // 7 + 1,
                "net": np.where(on_mobile_net, mobile_net, home_net),
                "third": third,
            }
        ).select(
            pl.when(pl.col("channel") == "web")
            .then(pl.col("web_os"))
            .when(pl.col("channel") == "ios")
            .then(pl.format("iOS {}.{}", "ios_major", "ios_minor"))
            .otherwise(pl.format("Android {}", "droid_major"))
            .alias("os"),
            pl.when(pl.col("channel") == "web")
            .then(pl.format("web-{}.{}", "web_year", pl.col("web_week").cast(pl.String)))
            .otherwise(
                pl.format(
                    "{}.{}.{}",
                    10 + pl.col("release") // 26,
                    pl.col("release") % 26,
                    pl.col("hotfix"),
                )
            )
            .alias("app_version"),
            pl.format("{}.{}.0/24", "net", "third").alias("ip_prefix"),
        )
        return {
            "channel": channel,
            "device_hash": device,
            "os": frame["os"].to_numpy(),
            "app_version": frame["app_version"].to_numpy(),
            "ip_prefix": frame["ip_prefix"].to_numpy(),
            "geo_region": geo,
            "auth_method": auth,
            "result": np.where(fail, "fail", "success"),
            "fail_reason": np.where(fail, reason, ""),
        }

    # -- events ----------------------------------------------------------------------------
    def _login_events(self, rng, s: dict, success: np.ndarray) -> dict:
        k = len(s["person"])
        return _events(
            s["person"],
            s["seq"],
            s["start_ms"] + rng.integers(300, 2_500, k),
            "login",
            "",
            np.where(success, "success", "fail"),
            key="session_seq",
        )

    def _random_events(self, rng, state: MonthState, s: dict, success: np.ndarray) -> dict:
        count = np.where(success & (s["kind"] == SESSION_RANDOM), s["n_events"], 0)
        idx = np.repeat(np.arange(len(count)), count)
        k = len(idx)
        person = s["person"][idx]
        start, end = s["start_ms"][idx], s["end_ms"][idx]
        lo = start + 2_500
        ts = lo + (rng.random(k) * np.maximum(end - 500 - lo, 1)).astype(np.int64)

        names = list(EVENT_MIX)
        w = np.array(list(EVENT_MIX.values()))
        kind = np.asarray(names)[rng.choice(len(names), k, p=w / w.sum())]
        pressure = state.pressure[person]
        shift = rng.random(k) < PRECURSOR_SHIFT * pressure
        pre = list(PRECURSOR_MIX)
        pw = np.array(list(PRECURSOR_MIX.values()))
        kind = np.where(shift, np.asarray(pre)[rng.choice(len(pre), k, p=pw / pw.sum())], kind)

        amount = np.full(k, -1, dtype=np.int64)
        for name, (mu, sd) in AMOUNT_LOGNORMAL.items():
            m = np.flatnonzero(kind == name)
            bump = 0.8 * pressure[m] if name == "sbp_me2me" else 0.0
            rub = rng.lognormal(mu + bump, sd, len(m))
            whole = name in ("sbp_transfer", "sbp_me2me", "card2card", "payment_mobile")
            amount[m] = np.round(rub).astype(np.int64) * 100 if whole else np.round(rub * 100)
        amount = np.maximum(amount, np.where(amount >= 0, 1_000, -1))
        money = np.isin(kind, MONEY_EVENTS)
        u = rng.random(k)
        status = np.where(
            money & (u < 0.03), "failed", np.where(money & (u < 0.045), "cancelled", "success")
        )
        product = np.where(np.isin(kind, ("push_open", "chat_open")), "", "CURRENT")
        return _events(
            person, s["seq"][idx], ts, kind, product, status, amount_kop=amount, key="session_seq"
        )


# -- small builders --------------------------------------------------------------------------
def _day_start_ms(day) -> np.ndarray:
    return np.asarray(day, dtype=np.int64) * DAY_MS - MSK_OFFSET_S * 1000


def _sessions(person, start, end, kind, channel) -> dict:
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


def _session_count(parts: list[dict]) -> int:
    return sum(len(p["person"]) for p in parts)


_TYPE_INDEX = {t: i for i, t in enumerate(EVENT_TYPES)}


def _events(
    person,
    session,
    ts,
    event_type,
    product,
    status,
    offer_id=None,
    campaign=None,
    amount_kop=None,
    key: str = "session_index",
) -> dict:
    k = len(person)
    types = np.broadcast_to(np.asarray(event_type), (k,))
    type_idx = np.zeros(k, dtype=np.int64)
    for name in np.unique(types).tolist():
        type_idx[types == name] = _TYPE_INDEX[name]
    return {
        "person": np.asarray(person, dtype=np.int64),
        key: np.asarray(session, dtype=np.int64),
        "ts_ms": np.asarray(ts, dtype=np.int64),
        "type": type_idx,
        "product": np.broadcast_to(np.asarray(product, dtype=object), (k,)).copy(),
        "status": np.broadcast_to(np.asarray(status, dtype=object), (k,)).copy(),
        "offer_id": np.full(k, -1, np.int64) if offer_id is None else np.asarray(offer_id),
        "campaign": np.full(k, "", dtype=object)
        if campaign is None
        else np.asarray(campaign, dtype=object),
        "amount_kop": np.full(k, -1, np.int64) if amount_kop is None else np.asarray(amount_kop),
    }


def _concat_dicts(parts: list[dict]) -> dict:
    keys = parts[0].keys()
    return {c: np.concatenate([np.asarray(p[c]) for p in parts]) for c in keys}
