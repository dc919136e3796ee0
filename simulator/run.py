"""One simulation run: population, then month by month, then the entity extracts and the truth.

Memory stays flat in the length of the history: each month's events are written to the landing
zone (and its truth rows to the truth folder) before the next month is simulated.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from simulator import business as business_ref
from simulator.accounts import BusinessAccounts, RetailAccounts
from simulator.activity.cards import card_month
from simulator.activity.postings import PostingsGenerator
from simulator.config import SimulationParams
from simulator.consents import build_consents
from simulator.delivery import plan_deliveries
from simulator.extracts import abs_files, card_files
from simulator.extracts.contact_center_files import ContactCenterExtracts
from simulator.extracts.dbo_files import DboExtracts
from simulator.extracts.landing import LandingWriter
from simulator.identity import assign_identity
from simulator.lifecycle import Lifecycle
from simulator.population import build_population
from simulator.rng import stream
from simulator.truth import TruthWriter


@dataclass
class SimulationSummary:
    landing_dir: Path
    truth_dir: Path
    files: int = 0
    rows: int = 0
    bytes: int = 0
    seconds: float = 0.0
    rows_by_system: dict[str, int] = field(default_factory=dict)

    def describe(self) -> str:
        systems = ", ".join(f"{k}: {v:,}" for k, v in sorted(self.rows_by_system.items()))
        return (
            f"{self.files} files, {self.rows:,} rows, {self.bytes / 1e6:,.1f} MB in "
            f"{self.seconds:.1f} s ({systems})\n"
            f"landing: {self.landing_dir}\ntruth:   {self.truth_dir}"
        )


def simulate(params: SimulationParams, landing_dir: Path, truth_dir: Path) -> SimulationSummary:
    """Write the landing zone and the ground truth from scratch (old contents are replaced)."""
    started = time.perf_counter()
    for folder in (landing_dir, truth_dir):
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
    plan = plan_deliveries(params)
    writer = LandingWriter(landing_dir, params.snapshot_date, params.business_date, plan)
    try:
        manifest = _simulate_into(params, writer, TruthWriter(truth_dir), plan)
    finally:
        writer.close()

    summary = SimulationSummary(landing_dir, truth_dir, seconds=time.perf_counter() - started)
    for row in manifest:
        summary.files += 1
        summary.rows += row["rows"]
        summary.bytes += row["bytes"]
        summary.rows_by_system[row["system"]] = (
            summary.rows_by_system.get(row["system"], 0) + row["rows"]
        )
    return summary


def _simulate_into(params, writer: LandingWriter, truth: TruthWriter, plan) -> list[dict]:
    population = build_population(params)
    identity = assign_identity(params, population)
    life = Lifecycle(params, population, identity.dbo_since_day)
    retail = RetailAccounts(life.book, population.persons["region_code"].to_numpy())
    business = BusinessAccounts(population.companies, population.persons, identity, params.seed)
    postings = PostingsGenerator(params.seed, life, population, retail, business)
    abs_out = abs_files.AbsExtracts(params, population, identity, retail, business)
    cards_out = card_files.CardExtracts(params, population, identity)
    dbo_out = DboExtracts(params, population, identity)
    cc_out = ContactCenterExtracts(params, population, identity, dbo_out.activity)

    home_city = business_ref.cities_for_regions(
        stream(params.seed, "home_city"), population.persons["region_code"].to_numpy()
    )
    for m in range(params.months):
        state = life.advance(m)
        cards = card_month(params.seed, life, state, home_city)
        month = postings.month(state, cards)
        cards_out.write_month(writer, cards)
        del cards  # the month's largest frame goes before the core-banking files are described
        abs_out.write_month(writer, state, month)
        cc_out.write_month(writer, state, life)
        dbo_out.write_month(writer, state, life)
        truth.flush_month(life)
        del month

    consents = build_consents(params, population.persons, life, identity)
    abs_out.write_entities(writer, life, consents, phone_changes=dbo_out.activity)
    cc_out.write_entities(writer, life, consents)
    cards_out.write_entities(writer, life, retail, phone_changes=dbo_out.activity)
    dbo_out.write_entities(writer, life)
    manifest = writer.finalize()
    extracts = (abs_out, cards_out, cc_out, dbo_out)
    truth.finish(
        params,
        population,
        identity,
        life,
        plan,
        defects=[d for e in extracts for d in e.defects],
        records=[r for e in extracts for r in e.records],
    )
    return manifest
