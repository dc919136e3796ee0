"""Which source records each person has: core-banking client ids (duplicates included), card
holder ids and digital-banking logins. Decided once, before any month is simulated.

About 9 % of persons get a second core-banking client record (1.5 % a third): re-registered in
another branch, often after a passport replacement or a marriage, so the two records differ the
way real duplicates do. Sole proprietors have a separate ИП record for the same human.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import polars as pl

from cdp import identifiers as ids
from simulator.config import SimulationParams
from simulator.population import Population, days
from simulator.rng import stream

SHARE_SECOND_RECORD = 0.09
SHARE_THIRD_RECORD = 0.015
SHARE_SECOND_HOLDER = 0.02
SHARE_DBO_NEVER_MAPPED = 0.01
CIF_BASE = 10_000_000
BRANCH_AFTER_DAYS = 400
"""A company's separate division registers as its own client this long after the head office."""


@dataclass
class Identity:
    """Per-person source identifiers (arrays indexed by person_id) and extra ABS records."""

    abs_client_id: np.ndarray
    login_id: np.ndarray
    dbo_since_day: np.ndarray
    holder_id: np.ndarray
    duplicates: pl.DataFrame
    """person_id, abs_client_id, registered_day, ordinal (2, 3) of extra ФЛ records."""
    sole_proprietors: pl.DataFrame
    """person_id, abs_client_id, registered_day of ИП records."""
    companies: pl.DataFrame
    """company_id, abs_client_id, kpp_branch (second record of a company, '' if none)."""
    login_mapped: np.ndarray
    """False for logins whose mapping to a client id never arrives (orphans)."""

    @functools.cached_property
    def abs_client_id_column(self) -> pl.Series:
        """``abs_client_id`` converted to polars once: gathering from it costs a fraction of
        converting each gathered numpy unicode array anew."""
        return pl.Series("abs_client_id", self.abs_client_id, dtype=pl.String)


def assign_identity(params: SimulationParams, population: Population) -> Identity:
    rng = stream(params.seed, "identity")
    p = population.persons
    n = p.height
    today = days(params.business_date)
    join = p["join_day"].to_numpy()

    dup2 = rng.random(n) < SHARE_SECOND_RECORD
    dup3 = dup2 & (rng.random(n) < SHARE_THIRD_RECORD / SHARE_SECOND_RECORD)
    ip = p["is_sole_proprietor"].to_numpy()
    companies = population.companies
    m = companies.height
    branch = rng.random(m) < 0.03

    extra_persons = np.concatenate([np.flatnonzero(dup2), np.flatnonzero(dup3)])
    ordinal = np.concatenate([np.full(dup2.sum(), 2), np.full(dup3.sum(), 3)])
    gap = rng.exponential(900, len(extra_persons)).astype(np.int64) + 30
    dup_day = join[extra_persons] + gap * (ordinal - 1)
    exists = dup_day <= today
    extra_persons, ordinal, dup_day = extra_persons[exists], ordinal[exists], dup_day[exists]
    ip_persons = np.flatnonzero(ip)
    ip_day = join[ip_persons] + rng.integers(0, 2000, len(ip_persons))
    ip_persons, ip_day = ip_persons[ip_day <= today], ip_day[ip_day <= today]
    company_day = companies["join_day"].to_numpy()
    branch &= company_day + BRANCH_AFTER_DAYS <= today

    owners = np.concatenate(
        [
            join,
            dup_day,
            ip_day,
            company_day,
            company_day[branch] + BRANCH_AFTER_DAYS,
        ]
    )
    order = np.argsort(owners, kind="stable")
    cif = np.empty(len(owners), dtype=np.int64)
    cif[order] = CIF_BASE + np.cumsum(rng.integers(1, 4, len(owners)))
    cif_str = cif.astype(str)
    a, b = n, n + len(extra_persons)
    c = b + len(ip_persons)
    d = c + m

    digital = p["digital"].to_numpy()
    has_login = rng.random(n) < np.clip(digital * 1.15, 0, 0.98)
    dbo_since = join + rng.exponential(120, n).astype(np.int64)
    dbo_since = np.where(has_login & (dbo_since <= today), dbo_since, np.iinfo(np.int64).max)
    login = np.where(
        dbo_since < np.iinfo(np.int64).max,
        np.char.add("L", (100_000_000 + rng.permutation(n) * 7 + 3).astype(str)),
        "",
    )
    holder = np.char.add("H", (20_000_000 + rng.permutation(n) * 3 + 1).astype(str))

    return Identity(
        abs_client_id=cif_str[:a],
        login_id=login,
        dbo_since_day=dbo_since,
        holder_id=holder,
        duplicates=pl.DataFrame(
            {
                "person_id": extra_persons,
                "abs_client_id": cif_str[a:b],
                "registered_day": dup_day,
                "ordinal": ordinal,
            }
        ),
        sole_proprietors=pl.DataFrame(
            {
                "person_id": ip_persons,
                "abs_client_id": cif_str[b:c],
                "registered_day": ip_day,
                "ogrnip": _ogrnips(params.seed, ip_day, p["region_code"].to_numpy()[ip_persons]),
            }
        ),
        companies=pl.DataFrame(
            {
                "company_id": np.arange(m),
                "abs_client_id": cif_str[c:d],
                "branch_abs_client_id": _scatter(m, np.flatnonzero(branch), cif_str[d:]),
            }
        ),
        login_mapped=rng.random(n) >= SHARE_DBO_NEVER_MAPPED,
    )


def _ogrnips(seed: int, bank_registration_day: np.ndarray, regions: np.ndarray) -> np.ndarray:
    """OGRNIP of each ИП, registered with the tax office (since 2004, when OGRNIP began) in the
    year the ИП came to the bank or up to three years before."""
    rng = stream(seed, "ogrnip")
    year = 1970 + bank_registration_day // 365
    year = np.maximum(year - rng.integers(0, 4, len(year)), 2004)
    return ids.ogrnip(rng, rng.permutation(len(year)), year, regions).astype(str)


def _scatter(n: int, idx: np.ndarray, values: np.ndarray) -> np.ndarray:
    out = np.full(n, "", dtype=object)
    out[idx] = values
    return out.astype(str)
