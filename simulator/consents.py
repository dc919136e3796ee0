"""Consents under 152-FZ (processing of personal data) and 38-FZ (marketing, per channel).

Every client signs the processing consent when joining; marketing consents are given per channel
(SMS, e-mail, call, push) at joining or later, each with the document version in force on that
day, and some are withdrawn — clients who decided to leave withdraw far more often.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from simulator.population import days
from simulator.rng import stream
from simulator.strings import pick_labels

CHANNELS = ("sms", "email", "call", "push")
DOCUMENT_VERSIONS = (
    (dt.date(2000, 1, 1), "ПДн-1.0"),
    (dt.date(2022, 9, 1), "ПДн-2.0"),
    (dt.date(2025, 9, 1), "ПДн-3.0-отдельный"),
)
"""Versions in force from each date; since 01.09.2025 the consent is a separate document."""
NEVER = np.iinfo(np.int64).max


def build_consents(params, persons: pl.DataFrame, life, identity) -> pl.DataFrame:
    """One row per consent: who, purpose, channel, captured and (maybe) withdrawn day."""
    rng = stream(params.seed, "consents")
    n = persons.height
    today = days(params.business_date)
    join = persons["join_day"].to_numpy()
    digital = persons["digital"].to_numpy()
    base = {
        "sms": np.full(n, 0.55),
        "email": 0.25 + 0.3 * digital,
        "call": np.full(n, 0.35),
        "push": 0.6 * digital,
    }
    rows = [
        {
            "person_id": np.arange(n),
            "purpose": np.full(n, "processing"),
            "channel": np.full(n, ""),
            "captured_day": join,
        }
    ]
    for channel in CHANNELS:
        who = np.flatnonzero(rng.random(n) < base[channel])
        later = rng.random(len(who)) < 0.3
        delay = np.where(later, rng.exponential(300, len(who)), 0).astype(np.int64)
        rows.append(
            {
                "person_id": who,
                "purpose": np.full(len(who), "marketing"),
                "channel": np.full(len(who), channel),
                "captured_day": np.minimum(join[who] + delay, today),
            }
        )
    frame = pl.concat([pl.DataFrame(r) for r in rows])
    person = frame["person_id"].to_numpy()
    captured = frame["captured_day"].to_numpy()
    marketing = frame["purpose"].to_numpy() == "marketing"
    decided = life.decide_day[person]
    leaver_wd = marketing & (decided < NEVER) & (rng.random(len(person)) < 0.35)
    wd_leaver = np.where(
        leaver_wd, np.maximum(decided, captured) + rng.integers(1, 60, len(person)), NEVER
    )
    random_wd = marketing & (rng.random(len(person)) < 0.08)
    wd_random = np.where(
        random_wd, captured + rng.exponential(700, len(person)).astype(np.int64), NEVER
    )
    withdrawn = np.minimum(wd_leaver, wd_random)
    withdrawn = np.where(withdrawn <= today, withdrawn, NEVER)
    cuts = np.array([days(d) for d, _ in DOCUMENT_VERSIONS])
    versions = np.array([v for _, v in DOCUMENT_VERSIONS])
    return frame.with_columns(
        pl.Series("consent_id", np.arange(len(person)) * 3 + 900_000_001),
        identity.abs_client_id_column.gather(person),
        pl.Series("withdrawn_day", withdrawn),
        pick_labels(
            versions, np.maximum(np.searchsorted(cuts, captured, side="right") - 1, 0)
        ).alias("document_version"),
        pick_labels(
            ("ДБО", "Офис"), np.where(rng.random(len(person)) < 0.3 + 0.6 * digital[person], 0, 1)
        ).alias("capture_method"),
    )
