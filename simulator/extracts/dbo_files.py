"""Digital banking (ДБО) extracts: sessions, events, application steps, profiles, login mapping.

UTF-8 JSON lines with snake_case fields and UTC timestamps ``2025-03-01T07:15:42.123Z``, the way
a modern mobile/internet-bank platform exports (shared/reference/source-systems.md §1.4). Each
row is filed under its Moscow business date. The ДБО knows clients by their login, not by the
core-banking id: ``client_mapping`` links the two, usually on the day of registration, sometimes
one to three days late, and for about 1 % of logins never (orphans, logged in the truth).

Profiles hold what the user typed: a display name that is often "Имя Фамилия" but may be a
diminutive, a first name only or Latin; a phone in E.164 (≈ 3 % invalid, logged); an e-mail that
is often missing. A phone changed later in the profile arrives as a second row of the login.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from simulator import names, translit
from simulator.activity.dbo import (
    DAY_MS,
    MSK_OFFSET_S,
    DboActivity,
    clamp_to_days,
    hash64,
    local_seconds,
    mix64,
    utc_ms,
    uuid_strings,
)
from simulator.defects import DefectLog, DefectRates, inject_invalid_phones
from simulator.extracts.formats import DBO_JSONL
from simulator.extracts.landing import DATE, FileType, LandingWriter
from simulator.lifecycle import NEVER_DAY, Lifecycle, MonthState
from simulator.population import days
from simulator.rng import stream

SYSTEM = "dbo"
DBO_PHONE_STYLES = {"e164": 0.95, "plain_8": 0.05}
SHARE_EMAIL_GIVEN = 0.65
MAPPING_DELAY_P = np.array([0.88, 0.06, 0.04, 0.02])
"""Days between a login's registration and the arrival of its mapping (0–3)."""
DISPLAY_NAME_KINDS = np.array(
    [
        "first_surname",
        "first",
        "diminutive",
        "diminutive_surname",
        "latin_first_surname",
        "latin_first",
        "first_patronymic",
        "surname_first",
    ]
)
DISPLAY_NAME_P = np.array([0.45, 0.18, 0.09, 0.06, 0.08, 0.05, 0.05, 0.04])
EVENT_ID_EPOCH_MS = 1_577_836_800_000
"""2020-01-01T00:00:00Z; event ids are snowflake-style: milliseconds since then, then a serial."""

SESSIONS = FileType(
    SYSTEM, "sessions", "sessions_{date}.jsonl", DBO_JSONL,
    ("session_id", "client_login_id", "channel", "app_version", "device_id", "os", "ip_prefix",
     "geo_region", "auth_method", "result", "fail_reason", "started_at", "ended_at"),
)  # fmt: skip
EVENTS = FileType(
    SYSTEM, "events", "events_{date}.jsonl", DBO_JSONL,
    ("event_id", "session_id", "client_login_id", "ts", "event_type", "screen", "product_code",
     "amount", "status", "offer_id", "campaign_id"),
)  # fmt: skip
APPLICATIONS = FileType(
    SYSTEM, "applications", "applications_{date}.jsonl", DBO_JSONL,
    ("app_id", "client_login_id", "cbs_client_id", "product_code", "channel", "offer_id",
     "campaign_id", "step", "decline_reason", "ts"),
)  # fmt: skip
PROFILES = FileType(
    SYSTEM, "profiles", "profiles_{date}.jsonl", DBO_JSONL,
    ("login_id", "display_name", "phone", "email", "registered_at", "updated_at"),
)  # fmt: skip
CLIENT_MAPPING = FileType(
    SYSTEM, "client_mapping", "client_mapping_{date}.jsonl", DBO_JSONL,
    ("login_id", "cbs_client_id", "mapped_at"),
)  # fmt: skip
FILE_TYPES = (SESSIONS, EVENTS, APPLICATIONS, PROFILES, CLIENT_MAPPING)


def _ts(col: str) -> pl.Expr:
    """``2025-03-01T07:15:42.123Z`` from epoch milliseconds (as ``values.iso_utc_ms`` prints it,
    twice as fast: ``%.3f`` is the slow part of strftime)."""
    whole = pl.col(col).cast(pl.Datetime("ms")).dt.strftime("%Y-%m-%dT%H:%M:%S")
    millis = (pl.col(col) % 1000).cast(pl.String).str.pad_start(3, "0")
    return pl.format("{}.{}Z", whole, millis)


def _moscow_date(col: str) -> pl.Expr:
    return ((pl.col(col) + MSK_OFFSET_S * 1000) // DAY_MS).cast(pl.Int32).cast(pl.Date)


class DboExtracts:
    """Formats and writes everything the digital-banking platform delivers."""

    def __init__(self, params, population, identity):
        self.params = params
        self.persons = population.persons
        self.identity = identity
        self.activity = DboActivity(params, population.persons, identity)
        self.log = DefectLog()
        self.records: list[pl.DataFrame] = []
        self._login_series = _null_empty(identity.login_id)

    @property
    def defects(self) -> list[pl.DataFrame]:
        return self.log.frames

    def _logins(self, person: np.ndarray) -> pl.Series:
        return self._login_series.gather(person)

    def _session_ids(self, seq: np.ndarray) -> pl.Series:
        seed = self.params.seed
        return uuid_strings(hash64(seed, "dbo_session", seq), hash64(seed, "dbo_session2", seq))

    # -- monthly: sessions, events, applications -------------------------------------------
    def write_month(self, writer: LandingWriter, state: MonthState, life: Lifecycle) -> None:
        month = self.activity.month(state, life)
        s = month.sessions
        seq = s["session_seq"].to_numpy()
        session_ids = self._session_ids(seq)
        device = s["device_hash"].to_numpy()
        writer.write(
            SESSIONS,
            s.with_columns(
                session_ids.alias("session_id"),
                self._logins(s["person_id"].to_numpy()).alias("client_login_id"),
                uuid_strings(device, mix64(device)).alias("device_id"),
            ).select(
                *SESSIONS.columns[:11],
                _ts("start_ms").alias("started_at"),
                _ts("end_ms").alias("ended_at"),
                _moscow_date("start_ms").alias(DATE),
            ),
        )
        e = month.events
        first_seq = int(seq[0]) if len(seq) else 0
        snowflake = ((pl.col("ts_ms") - EVENT_ID_EPOCH_MS) * (1 << 22)) + (
            pl.col("event_seq") % (1 << 22)
        )
        writer.write(
            EVENTS,
            e.with_columns(
                session_ids.gather(e["session_seq"].to_numpy() - first_seq).alias("session_id"),
                self._logins(e["person_id"].to_numpy()).alias("client_login_id"),
            ).select(
                snowflake.cast(pl.String).alias("event_id"),
                "session_id",
                "client_login_id",
                _ts("ts_ms").alias("ts"),
                "event_type",
                "screen",
                "product_code",
                (pl.col("amount_kop") / 100).alias("amount"),
                "status",
                pl.col("offer_id").cast(pl.String),
                "campaign_id",
                _moscow_date("ts_ms").alias(DATE),
            ),
        )
        a = month.steps
        person = a["person_id"].to_numpy()
        writer.write(
            APPLICATIONS,
            a.with_columns(
                self._logins(person).alias("login"),
                self.identity.abs_client_id_column.gather(person).alias("cbs"),
            ).select(
                pl.col("app_id").cast(pl.String),
                pl.when("has_login").then(pl.col("login")).alias("client_login_id"),
                pl.when(pl.col("channel").is_in(["office", "contact_center"]))
                .then(pl.col("cbs"))
                .alias("cbs_client_id"),
                "product_code",
                "channel",
                pl.col("offer_id").cast(pl.String),
                "campaign_id",
                "step",
                "decline_reason",
                _ts("ts_ms").alias("ts"),
                _moscow_date("ts_ms").alias(DATE),
            ),
        )

    # -- entities: profiles and the login → client mapping ---------------------------------
    def write_entities(self, writer: LandingWriter, life: Lifecycle | None = None) -> None:
        rng = stream(self.params.seed, "dbo_profiles")
        ident = self.identity
        person = np.flatnonzero(ident.login_id != "")
        k = len(person)
        login = ident.login_id[person]
        reg_day = self.activity.registered_day[person]
        tz = self.activity.tz[person]
        reg_ms = clamp_to_days(utc_ms(rng, reg_day, local_seconds(rng, k), tz), reg_day, reg_day)

        p = self.persons
        first = p["first_name"].to_numpy()[person].astype(str)
        surname = p["surname"].to_numpy()[person].astype(str)
        patronymic = p["patronymic"].to_numpy()[person].astype(str)
        display = _display_names(rng, first, surname, patronymic)

        # a phone changed in the profile: before the snapshot only the new number is visible,
        # later the change is a second row of its own day
        snapshot = days(self.params.snapshot_date)
        change_day = self.activity.phone_change_day[person]
        changed = change_day < NEVER_DAY
        if life is not None:  # nobody edits the profile after leaving the bank
            changed &= change_day <= life.churn_day[person]
        change_ms = clamp_to_days(
            utc_ms(rng, np.where(changed, change_day, reg_day), local_seconds(rng, k), tz),
            np.where(changed, change_day, reg_day),
            np.where(changed, change_day, reg_day),
        )
        new_phone = self.activity.new_phone[person].astype(str)
        replaced = changed & (change_day <= snapshot)
        original = p["mobile_phone"].to_numpy()[person].astype(str)
        rate = np.where(replaced, 0.0, DefectRates().invalid_phone)
        phone = inject_invalid_phones(
            rng, self.log, SYSTEM, "profiles", login, original, rate, DBO_PHONE_STYLES
        )
        phone = np.where(replaced, new_phone, phone.astype(str))
        email = p["email"].to_numpy()[person].astype(str)
        email = np.where(rng.random(k) < SHARE_EMAIL_GIVEN, email, "")

        first_rows = pl.DataFrame(
            {
                "login_id": login,
                "display_name": display,
                "phone": phone,
                "email": email,
                "reg_ms": reg_ms,
                "upd_ms": np.where(replaced, change_ms, reg_ms),
            }
        )
        later = np.flatnonzero(changed & ~replaced)
        change_rows = first_rows[later].with_columns(
            pl.Series("phone", new_phone[later]), pl.Series("upd_ms", change_ms[later])
        )
        profiles = pl.concat([first_rows, change_rows]).with_columns(
            pl.when(pl.col("upd_ms") > pl.col("reg_ms"))
            .then(_moscow_date("upd_ms"))
            .otherwise(_moscow_date("reg_ms"))
            .alias(DATE)
        )
        writer.write(
            PROFILES,
            profiles.sort(DATE, "upd_ms", maintain_order=True).select(
                "login_id",
                "display_name",
                "phone",
                "email",
                _ts("reg_ms").alias("registered_at"),
                _ts("upd_ms").alias("updated_at"),
                DATE,
            ),
        )

        # mapping: same day mostly, 1–3 days late sometimes, never for the orphans
        mapped = ident.login_mapped[person]
        cbs = ident.abs_client_id[person]
        orphan = np.flatnonzero(~mapped)
        self.log.add(
            SYSTEM,
            "client_mapping",
            login[orphan],
            "cbs_client_id",
            np.full(len(orphan), "orphan_unmapped"),
            cbs[orphan],
            np.full(len(orphan), ""),
        )
        delay = rng.choice(len(MAPPING_DELAY_P), k, p=MAPPING_DELAY_P)
        batch_ms = (
            (reg_day + delay) * DAY_MS
            - MSK_OFFSET_S * 1000
            + rng.integers(2 * 3_600_000, 5 * 3_600_000, k)
        )
        mapped_ms = np.where(delay == 0, reg_ms + rng.integers(1_000, 900_000, k), batch_ms)
        writer.write(
            CLIENT_MAPPING,
            pl.DataFrame({"login_id": login, "cbs_client_id": cbs, "mapped_ms": mapped_ms})
            .filter(pl.Series(mapped))
            .sort("mapped_ms")
            .select(
                "login_id",
                "cbs_client_id",
                _ts("mapped_ms").alias("mapped_at"),
                _moscow_date("mapped_ms").alias(DATE),
            ),
        )
        self.records.append(
            pl.DataFrame(
                {
                    "system": SYSTEM,
                    "entity": "profiles",
                    "record_id": login,
                    "person_id": person,
                    "role": "dbo_login",
                }
            )
        )


def _null_empty(values: np.ndarray) -> pl.Series:
    """A string Series with empty strings as nulls (JSON ``null``)."""
    s = pl.Series(np.asarray(values).astype(str), dtype=pl.String)
    return pl.select(pl.when(s != "").then(s)).to_series()


def _display_names(rng, first, surname, patronymic) -> np.ndarray:
    """What users type as their name in the app."""
    k = len(first)
    kind = DISPLAY_NAME_KINDS[rng.choice(len(DISPLAY_NAME_KINDS), k, p=DISPLAY_NAME_P)]
    dim = names.diminutives(first, rng)
    lat_first = np.strings.capitalize(translit.latin_email_stem(first))
    lat_last = np.strings.capitalize(translit.latin_email_stem(surname))

    def join(a, b):
        return np.strings.add(np.strings.add(a, " "), b)

    options = {
        "first_surname": join(first, surname),
        "first": first,
        "diminutive": dim,
        "diminutive_surname": join(dim, surname),
        "latin_first_surname": join(lat_first, lat_last),
        "latin_first": lat_first,
        "first_patronymic": join(first, patronymic),
        "surname_first": join(surname, first),
    }
    out = np.empty(k, dtype=object)
    for name, value in options.items():
        m = kind == name
        out[m] = value[m]
    out = np.strings.strip(out.astype(str))
    return np.where(out == "", first, out)
