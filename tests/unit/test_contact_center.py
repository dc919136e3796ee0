"""Contact-centre generator: deadlines, churn signals, KPI calibration, consent defects."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io

import numpy as np
import polars as pl
import pytest

from cdp.ru_calendar import holidays
from simulator.activity.contact_center import (
    DAY,
    ContactCenterActivity,
    call_metrics,
    due_days,
    weekday,
)
from simulator.activity.dbo import DboActivity
from simulator.config import SimulationParams
from simulator.consents import build_consents
from simulator.extracts.contact_center_files import SHARE_WITHOUT_CONSENT, ContactCenterExtracts
from simulator.extracts.landing import DeliveryPlan, LandingWriter
from simulator.identity import assign_identity
from simulator.lifecycle import Lifecycle
from simulator.population import build_population, days

pytestmark = pytest.mark.unit

PARAMS = SimulationParams(persons=12_000, months=3, seed=5, business_date=dt.date(2026, 10, 31))


@pytest.fixture(scope="module")
def bank():
    """A small bank advanced through all months, with each month's state kept."""
    population = build_population(PARAMS)
    identity = assign_identity(PARAMS, population)
    life = Lifecycle(PARAMS, population, identity.dbo_since_day)
    states = [life.advance(m) for m in range(PARAMS.months)]
    return population, identity, life, states


@pytest.fixture(scope="module")
def phone_changes(bank):
    population, identity, _, _ = bank
    return DboActivity(PARAMS, population.persons, identity)


@pytest.fixture(scope="module")
def months(bank, phone_changes):
    population, identity, life, states = bank
    activity = ContactCenterActivity(PARAMS.seed, population.persons, identity, phone_changes)
    return [activity.month(life, s) for s in states]


def _day(text: str) -> int:
    return days(dt.date.fromisoformat(text))


# -- complaint deadlines ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("received", "due"),
    [
        ("2026-04-06", "2026-04-27"),  # Monday → Monday three weeks later
        ("2026-04-10", "2026-05-04"),  # Friday; 1 May is a holiday
        ("2026-04-11", "2026-05-04"),  # Saturday counts from Monday
        ("2026-04-12", "2026-05-04"),  # Sunday as well
        ("2026-04-08", "2026-04-29"),  # Wednesday
        ("2026-03-02", "2026-03-24"),  # 9 March 2026 is a holiday (8 March was a Sunday)
        ("2026-03-06", "2026-03-30"),
    ],
)
def test_due_date_is_fifteen_working_days_later(received, due):
    assert due_days(np.array([_day(received)]))[0] == _day(due)


def test_due_dates_skip_weekends_and_holidays():
    received = np.arange(_day("2026-01-01"), _day("2026-12-31"))
    due = due_days(received)
    off = set(holidays().astype("datetime64[D]").astype(np.int64).tolist())
    assert (weekday(due) < 5).all() and not set(due.tolist()) & off
    for r, d in zip(received[::7], due[::7], strict=True):
        between = np.arange(r + 1, d + 1)
        working = (weekday(between) < 5) & ~np.isin(between, list(off))
        assert working.sum() == 15


def test_complaints_carry_their_deadline_and_some_close_late(months):
    c = pl.concat([m.complaints for m in months])
    received = (c["received_s"] // DAY).to_numpy()
    assert (c["due_day"].to_numpy() == due_days(received)).all()
    late = c["closed_late"].mean()
    assert 0.03 < late < 0.15
    assert (c["close_day"].to_numpy() > received).all()
    assert set(c["channel"].unique()) == {"call", "chat", "office", "letter", "via_cbr"}


# -- churn pressure --------------------------------------------------------------------------
def test_pressure_raises_call_rate_and_churn_topics(bank, phone_changes):
    population, identity, life, states = bank
    state = states[1]
    rates, churn_share = [], []
    for pressure in (0.0, 1.0):
        synthetic = dataclasses.replace(state, pressure=np.full(life.n, pressure))
        activity = ContactCenterActivity(PARAMS.seed, population.persons, identity, phone_changes)
        calls = activity.month(life, synthetic).calls.filter(
            (pl.col("direction") == "inbound") & (pl.col("person_id") >= 0)
        )
        rates.append(calls.height / state.active.sum())
        churn_share.append(calls["churn_signal"].mean())
    assert rates[1] > 2 * rates[0]
    assert churn_share[1] > 3 * churn_share[0]


def test_leavers_call_more_and_complain_more(months, bank):
    _, _, _, states = bank
    state, month = states[2], months[2]
    leaving = state.active & (state.pressure >= 0.5)
    staying = state.active & (state.pressure < 0.1)
    calls = month.calls.filter((pl.col("direction") == "inbound") & (pl.col("person_id") >= 0))
    per = np.bincount(calls["person_id"].to_numpy(), minlength=state.active.size)
    assert per[leaving].mean() > 1.5 * per[staying].mean()
    complained = np.zeros(state.active.size, dtype=bool)
    complained[month.complaints["person_id"].to_numpy()] = True
    assert complained[leaving].mean() > 1.5 * complained[staying].mean()


# -- KPI calibration -------------------------------------------------------------------------
def test_service_level_abandonment_aht_and_fcr_in_target_bands(months):
    for month in months:
        kpi = call_metrics(month.calls)
        assert 0.75 <= kpi["service_level"] <= 0.9, kpi
        assert 0.05 <= kpi["abandonment"] <= 0.10, kpi
        assert 4.0 <= kpi["aht_min"] <= 6.0, kpi
        assert 0.70 <= kpi["fcr"] <= 0.80, kpi


def test_service_level_is_met_on_most_days(months):
    calls = months[1].calls.filter(
        (pl.col("direction") == "inbound") & (pl.col("answered") | (pl.col("wait_sec") >= 5))
    )
    daily = calls.group_by(pl.col("start_s") // DAY).agg(
        (pl.col("answered") & (pl.col("wait_sec") <= 20)).mean().alias("sl"), pl.len()
    )
    daily = daily.filter(pl.col("len") >= 50)
    assert (daily["sl"] >= 0.72).mean() >= 0.75


def test_volumes_and_identification(months, bank):
    _, identity, _, states = bank
    for month, state in zip(months, states, strict=True):
        active = state.active.sum()
        calls = month.calls.filter(pl.col("direction") == "inbound")
        clients = calls.filter(pl.col("person_id") >= 0)
        assert 0.15 <= clients.height / active <= 0.3
        assert 0.2 <= 1 - clients["identified"].mean() <= 0.4
        digital = (state.active & (identity.login_id != "")).sum()
        assert 0.06 <= month.chats.height / digital <= 0.15
        assert 0.005 <= month.complaints["person_id"].n_unique() / active <= 0.02
        answered = clients.filter(pl.col("answered")).height
        csat = month.surveys.filter(
            (pl.col("survey_type") == "csat") & (pl.col("score") >= 0)
        ).height
        assert 0.06 <= csat / answered <= 0.14


def test_outbound_calls_follow_offers_and_applications(months, bank):
    _, _, _, states = bank
    month, state = months[1], states[1]
    outbound = month.calls.filter(pl.col("direction") == "outbound")
    offers = state.offers.filter(pl.col("channel") == "contact_center")
    offer_calls = outbound.filter(pl.col("topic") == "cross_sell_offer")
    assert offer_calls.height == offers.height
    assert set(offer_calls["outcome"].unique()) <= {"offer_made", "offer_accepted"}
    follow = outbound.filter(pl.col("topic") == "application_follow_up")
    assert follow.height == state.applications["submitted"].sum()


def test_clients_under_pressure_are_nps_detractors(bank, phone_changes):
    population, identity, life, states = bank
    state = states[1]  # September: the quarter-end NPS wave
    detractors = []
    for pressure in (0.0, 1.0):
        synthetic = dataclasses.replace(state, pressure=np.full(life.n, pressure))
        activity = ContactCenterActivity(PARAMS.seed, population.persons, identity, phone_changes)
        nps = activity.month(life, synthetic).surveys.filter(
            (pl.col("survey_type") == "nps") & (pl.col("score") >= 0)
        )
        assert nps.height > 100
        detractors.append((nps["score"] <= 6).mean())
    assert detractors[1] > detractors[0] + 0.3


def test_same_seed_same_month(bank, months, phone_changes):
    population, identity, life, states = bank
    again = ContactCenterActivity(PARAMS.seed, population.persons, identity, phone_changes)
    first = again.month(life, states[0])
    assert first.calls.equals(months[0].calls)
    assert first.chats.equals(months[0].chats)
    assert first.complaints.equals(months[0].complaints)
    assert first.surveys.equals(months[0].surveys)


def test_a_client_who_changed_the_number_calls_from_the_new_one(bank, months, phone_changes):
    """Inbound: the caller's number. Outbound calls dial the number the bank was given."""
    population, _, _, _ = bank
    calls = pl.concat([m.calls for m in months]).filter(
        (pl.col("person_id") >= 0) & (pl.col("direction") == "inbound")
    )
    person = calls["person_id"].to_numpy()
    after = (calls["start_s"].to_numpy() // DAY) >= phone_changes.phone_change_day[person]
    old = population.persons["mobile_phone"].to_numpy()[person]
    new = phone_changes.new_phone[person]
    ani = calls["ani_e164"].to_numpy()
    assert (after & (ani == new)).sum() > 10
    assert not (after & (ani == old)).any()
    assert not (~after & (ani == new) & (new != "")).any()


def test_call_ids_are_unique_across_months(months):
    ids = pl.concat([m.calls.select("call_id") for m in months])["call_id"]
    assert ids.n_unique() == ids.len()


# -- marketing communications and consent ----------------------------------------------------
def _read_cc(paths) -> pl.DataFrame:
    frames = []
    for path in paths:
        text = path.read_bytes().decode("utf-8-sig")
        frames.append(pl.read_csv(io.StringIO(text), infer_schema=False))
    return pl.concat(frames)


@pytest.fixture(scope="module")
def communications(bank, phone_changes, tmp_path_factory):
    population, identity, life, _ = bank
    root = tmp_path_factory.mktemp("cc_landing")
    writer = LandingWriter(root, PARAMS.snapshot_date, PARAMS.business_date, DeliveryPlan([]))
    consents = build_consents(PARAMS, population.persons, life, identity)
    out = ContactCenterExtracts(PARAMS, population, identity, phone_changes)
    out.write_entities(writer, life, consents)
    writer.finalize()
    files = sorted(root.glob("contact_center/*/communications_*.csv"))
    return _read_cc(files), consents, pl.concat(out.defects), identity


def test_communications_without_consent_are_rare_and_all_logged(communications):
    comms, consents, defects, identity = communications
    person_of = pl.DataFrame(
        {"client_id": identity.abs_client_id, "person_id": np.arange(identity.abs_client_id.size)}
    )
    marketing = consents.filter(pl.col("purpose") == "marketing").select(
        "person_id", "channel", "captured_day", "withdrawn_day"
    )
    checked = (
        comms.join(person_of, on="client_id", how="left")
        .with_columns(
            (pl.col("sent_at").str.to_datetime("%Y-%m-%d %H:%M:%S").dt.date().cast(pl.Int64)).alias(
                "day"
            )
        )
        .join(marketing, on=["person_id", "channel"], how="left")
        .with_columns(
            (
                pl.col("captured_day").is_not_null()
                & (pl.col("captured_day") <= pl.col("day"))
                & (pl.col("day") < pl.col("withdrawn_day"))
            ).alias("valid")
        )
    )
    assert checked.height == comms.height  # one marketing consent per person and channel
    invalid = checked.filter(~pl.col("valid"))
    share = invalid.height / comms.height
    assert SHARE_WITHOUT_CONSENT * 0.6 < share < SHARE_WITHOUT_CONSENT * 1.5
    logged = defects.filter(pl.col("defect_type") == "sent_without_consent")
    assert set(logged["record_id"]) == set(invalid["communication_id"])


def test_communications_volume_and_statuses(communications, bank):
    comms, consents, _, _ = communications
    _, _, life, _ = bank
    marketing = consents.filter(pl.col("purpose") == "marketing")
    join = life.persons["join_day"].to_numpy()
    gone = np.where(life.status == 3, life.churn_day, np.iinfo(np.int64).max)
    consented_months = 0
    for s, nxt in zip(life.month_starts[:-1], life.month_starts[1:], strict=True):
        e = nxt - 1
        valid = marketing.filter((pl.col("captured_day") <= e) & (pl.col("withdrawn_day") > s))
        who = valid["person_id"].unique().to_numpy()
        consented_months += ((join[who] <= e) & (gone[who] >= s)).sum()
    assert 1.0 <= comms.height / consented_months <= 2.0
    statuses = comms.group_by("channel").agg(pl.col("status").unique())
    allowed = {"delivered", "failed", "opened"}
    for channel, status in statuses.iter_rows():
        assert set(status) <= allowed
        assert ("opened" in status) == (channel in ("email", "push"))
    hours = comms["sent_at"].str.slice(11, 2).cast(pl.Int64)
    assert hours.min() >= 8 and hours.max() <= 21
