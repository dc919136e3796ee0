"""Which daily deliveries go wrong, and how: the plan is drawn once per run from the seed.

Within the delta window (after the initial snapshot) one card file arrives two days late, one
digital-banking day is skipped and delivered with the next, one core-banking file is delivered
twice, the core-banking contracts file switches from cp1251 to UTF-8 "after an upgrade", and the
contact-centre call file gains a column. Each is recorded in the truth.
"""

from __future__ import annotations

import datetime as dt

from simulator.config import SimulationParams
from simulator.extracts.landing import DeliveryEvent, DeliveryPlan
from simulator.rng import stream


def plan_deliveries(params: SimulationParams) -> DeliveryPlan:
    first = params.snapshot_date + dt.timedelta(days=1)
    usable = (params.business_date - first).days - 1
    if usable < 2:
        return DeliveryPlan([])
    rng = stream(params.seed, "delivery")

    def day() -> dt.date:
        return first + dt.timedelta(days=int(rng.integers(0, usable)))

    late, missing, dup, enc, col = day(), day(), day(), day(), day()
    return DeliveryPlan(
        [
            DeliveryEvent("late_file", "cards", "authorizations", late, late + dt.timedelta(2)),
            DeliveryEvent("missing_day", "dbo", None, missing, missing + dt.timedelta(1)),
            DeliveryEvent("duplicate_file", "abs", "transactions", dup, dup + dt.timedelta(1)),
            DeliveryEvent("encoding_change", "abs", "contracts", enc, None, "utf-8"),
            DeliveryEvent("column_added", "contact_center", "calls", col, None, "ivr_path"),
        ]
    )
