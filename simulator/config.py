"""Parameters of one simulation run; everything that changes the output bytes lives here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class SimulationParams:
    """Shape of the simulated bank. Same params and seed give byte-identical files."""

    persons: int
    months: int
    seed: int
    business_date: dt.date
    delta_days: int = 14
    pan_token_key: str = "dev-only-pan-token-key"

    @property
    def snapshot_date(self) -> dt.date:
        """Date of the initial full snapshot; the days after it arrive as daily deltas."""
        return self.business_date - dt.timedelta(days=self.delta_days)

    @property
    def history_start(self) -> dt.date:
        """First day of simulated history: ``months`` whole months ending at the business date."""
        year = self.business_date.year
        month = self.business_date.month - self.months + 1
        while month <= 0:
            month += 12
            year -= 1
        return dt.date(year, month, 1)


def params_from_settings(settings, **overrides) -> SimulationParams:
    """The simulation the product's settings ask for; explicit overrides (CLI flags) win."""
    values = {
        "persons": settings.sim_persons,
        "months": settings.sim_months,
        "seed": settings.sim_seed,
        "business_date": settings.business_date,
        "delta_days": settings.sim_delta_days,
        "pan_token_key": settings.pan_token_key.get_secret_value(),
    }
    values.update({k: v for k, v in overrides.items() if v is not None})
    return SimulationParams(**values)
