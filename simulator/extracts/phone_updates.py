"""A number a client changed in the app, as another system takes it in.

The ДБО draws when each person changes their number and to what (``DboActivity``); the core
banking system and card processing each learn of a share of the changes, some days later and
never after the client left. Before the snapshot a record simply shows the new number; after it
the update is the whole record again as a row of that day's delta, as these systems deliver a
changed record.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from simulator import contacts
from simulator.extracts.landing import DATE
from simulator.lifecycle import NEVER_DAY
from simulator.population import days
from simulator.rng import stream


@dataclass(frozen=True)
class PhoneUpdates:
    """How one system's records take in the numbers changed in the app."""

    stream: str
    share: float
    """Share of the changes the system takes in; the others keep the old number there."""
    max_lag_days: int
    """At most this many days after the change in the app."""
    phone_column: str
    styles: dict[str, float]
    """How the system spells a number (``contacts.format_phones``)."""
    updated_column: str | None = None
    """The record's own "last updated" date (``dd.mm.yyyy``), set to the update's day."""


@dataclass(frozen=True)
class PlannedUpdates:
    """The updates of one system's records: which record, the new number as the system spells
    it, the day, and whether that day is on or before the snapshot."""

    row: np.ndarray
    phone: np.ndarray
    day: np.ndarray
    in_snapshot: np.ndarray

    def in_snapshot_mask(self, records: int) -> np.ndarray:
        """Records whose snapshot row shows the new number (the old one is not in the file)."""
        mask = np.zeros(records, dtype=bool)
        mask[self.row[self.in_snapshot]] = True
        return mask


def plan(person: np.ndarray, updates: PhoneUpdates, phone_changes, life, params) -> PlannedUpdates:
    """``person``: the person each record belongs to, -1 for records that never take an update
    (a core's duplicate records)."""
    rng = stream(params.seed, updates.stream)
    own = person >= 0
    change = np.full(len(person), NEVER_DAY)
    change[own] = phone_changes.phone_change_day[person[own]]
    churn = np.full(len(person), NEVER_DAY)
    churn[own] = life.churn_day[person[own]]
    changed = change < NEVER_DAY
    day = np.where(changed, change, 0) + rng.integers(0, updates.max_lag_days + 1, len(person))
    reaches = (
        changed
        & (rng.random(len(person)) < updates.share)
        & (day <= days(params.business_date))
        & (day <= churn)
    )
    phone = contacts.format_phones(
        rng, phone_changes.new_phone[person[reaches]].astype(str), updates.styles
    )
    return PlannedUpdates(
        row=np.flatnonzero(reaches),
        phone=phone.astype(str),
        day=day[reaches],
        in_snapshot=day[reaches] <= days(params.snapshot_date),
    )


def apply(records: pl.DataFrame, planned: PlannedUpdates, updates: PhoneUpdates) -> pl.DataFrame:
    """The records with the new numbers on their snapshot rows, and the later updates as rows
    of their own day (``DATE``). The snapshot rows' columns are replaced, not joined: a join of
    the wide frame would copy it, at the simulation's peak (the АБС clients' frame at 1 M
    persons)."""
    update_days = pl.Series(planned.day).cast(pl.Date)
    new = {updates.phone_column: pl.Series(planned.phone)}
    if updates.updated_column:
        new[updates.updated_column] = update_days.dt.strftime("%d.%m.%Y")
    now, later = pl.Series(planned.in_snapshot), pl.Series(~planned.in_snapshot)
    snapshot_rows = records.with_columns(
        records[c].clone().scatter(planned.row[planned.in_snapshot], values.filter(now))
        for c, values in new.items()
    )
    later_rows = records[planned.row[~planned.in_snapshot]].with_columns(
        *(values.filter(later).alias(c) for c, values in new.items()),
        update_days.filter(later).alias(DATE),
    )
    return pl.concat([snapshot_rows, later_rows])
