"""Digital-banking (ДБО) activity and extracts on a small in-process bank."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re

import numpy as np
import polars as pl
import pytest

from simulator import SimulationParams
from simulator.activity.dbo import PRECURSOR_MIX, DboActivity, moscow_day, uuid_strings
from simulator.delivery import plan_deliveries
from simulator.extracts.dbo_files import FILE_TYPES, DboExtracts
from simulator.extracts.landing import LandingWriter
from simulator.identity import assign_identity
from simulator.lifecycle import Lifecycle
from simulator.population import build_population, days

pytestmark = pytest.mark.unit

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
TIMESTAMP_FIELDS = {"started_at", "ended_at", "ts", "registered_at", "updated_at", "mapped_at"}
STEP_ORDER = ("started", "filled", "submitted", "scoring", "approved", "declined", "signed")


def _build(root, persons=1500, months=4, seed=5):
    params = SimulationParams(
        persons=persons,
        months=months,
        seed=seed,
        business_date=dt.date(2026, 10, 31),
        delta_days=20,
    )
    population = build_population(params)
    identity = assign_identity(params, population)
    writer = LandingWriter(
        root, params.snapshot_date, params.business_date, plan_deliveries(params)
    )
    life = Lifecycle(params, population, identity.dbo_since_day)
    out = DboExtracts(params, population, identity)
    captured = []
    generate = out.activity.month

    def spy(state, life_):
        month = generate(state, life_)
        captured.append((state, month))
        return month

    out.activity.month = spy
    for m in range(months):
        out.write_month(writer, life.advance(m), life)
    out.write_entities(writer, life)
    writer.finalize()
    return {
        "params": params,
        "population": population,
        "identity": identity,
        "life": life,
        "out": out,
        "months": captured,
        "root": root,
    }


@pytest.fixture(scope="module")
def bank(tmp_path_factory):
    return _build(tmp_path_factory.mktemp("dbo") / "landing")


def _rows(root, entity: str) -> list[dict]:
    rows = []
    for path in sorted((root / "dbo").glob(f"*/{entity}_*.jsonl")):
        rows.extend(json.loads(line) for line in path.read_text(encoding="utf-8").splitlines())
    return rows


def _frame(root, entity: str) -> pl.DataFrame:
    return pl.DataFrame(_rows(root, entity), infer_schema_length=None)


def test_files_are_json_lines_with_the_reference_fields_and_utc_timestamps(bank):
    for ft in FILE_TYPES:
        paths = sorted((bank["root"] / "dbo").glob(f"*/{ft.filename.split('{')[0]}*"))
        assert paths, ft.entity
        rows = 0
        for path in paths:
            for line in path.read_text(encoding="utf-8").splitlines():
                row = json.loads(line)
                rows += 1
                assert tuple(row) == ft.columns
                for name in TIMESTAMP_FIELDS & row.keys():
                    assert ISO_MS.match(row[name]), (ft.entity, name, row[name])
        assert rows > 0, ft.entity


def test_sessions_only_for_logins_within_their_active_period(bank):
    ident = bank["identity"]
    registered = bank["out"].activity.registered_day
    for state, month in bank["months"]:
        s = month.sessions
        assert s.height > 0
        person = s["person_id"].to_numpy()
        day = moscow_day(s["start_ms"].to_numpy())
        assert (ident.login_id[person] != "").all()
        assert state.active[person].all()
        assert (day >= ident.dbo_since_day[person]).all()
        assert (day >= registered[person]).all()
        assert (day >= state.first_day[person]).all()
        assert (day <= np.minimum(state.last_day[person], state.end_day)).all()
        assert (s["end_ms"] >= s["start_ms"]).all()
        e = month.events.join(
            s.select("session_seq", "start_ms", "end_ms", "person_id"), on="session_seq"
        )
        assert e.height == month.events.height
        assert (e["person_id"] == e["person_id_right"]).all()
        assert (e["ts_ms"] >= e["start_ms"]).all() and (e["ts_ms"] <= e["end_ms"]).all()
    sessions = _frame(bank["root"], "sessions")
    logins = set(ident.login_id[ident.login_id != ""].tolist())
    assert sessions["client_login_id"].null_count() == 0
    assert set(sessions["client_login_id"].unique().to_list()) <= logins
    assert set(sessions["channel"].unique().to_list()) == {"ios", "android", "web"}


def test_churn_pressure_lowers_logins_and_raises_precursor_events(bank):
    state, _ = bank["months"][-1]
    n = len(state.pressure)
    high = np.random.default_rng(0).random(n) < 0.5
    synthetic = dataclasses.replace(state, pressure=np.where(high, 1.0, 0.0))
    activity = DboActivity(bank["params"], bank["population"].persons, bank["identity"])
    month = activity.month(synthetic, bank["life"])

    s = month.sessions
    counts = np.bincount(s["person_id"].to_numpy(), minlength=n)
    lo = np.maximum(state.first_day, activity.login_from)
    eligible = state.active & activity.has_login & (lo <= state.last_day)
    per_high = counts[eligible & high].mean()
    per_zero = counts[eligible & ~high].mean()
    assert per_high < 0.5 * per_zero, (per_high, per_zero)

    ev = month.events.filter(pl.col("event_type") != "login")
    precursor = ev.with_columns(
        pl.col("event_type").is_in(list(PRECURSOR_MIX)).alias("pre"),
        pl.Series("high", high[ev["person_id"].to_numpy()]),
    )
    share = precursor.group_by("high").agg(pl.col("pre").mean()).sort("high")["pre"].to_list()
    assert share[1] > 2 * share[0] and share[0] > 0  # loyal clients show some too


def test_volumes_per_active_digital_person_month(bank):
    sessions = events = person_months = 0
    act = bank["out"].activity
    for state, month in bank["months"]:
        lo = np.maximum(state.first_day, act.login_from)
        hi = np.minimum(state.last_day, state.end_day)
        person_months += int((state.active & act.has_login & (lo <= hi)).sum())
        sessions += month.sessions.height
        events += month.events.height
    assert 1.0 <= sessions / person_months <= 1.6
    assert 2.8 <= events / person_months <= 4.5


def test_unmapped_logins_never_appear_in_the_mapping(bank):
    ident = bank["identity"]
    mapping = _frame(bank["root"], "client_mapping")
    has_login = ident.login_id != ""
    orphans = set(ident.login_id[has_login & ~ident.login_mapped].tolist())
    assert orphans, "the bank should have a few orphan logins"
    assert not orphans & set(mapping["login_id"].to_list())
    assert mapping["login_id"].is_unique().all()

    person = {login: i for i, login in enumerate(ident.login_id.tolist()) if login}
    expected = mapping["login_id"].map_elements(
        lambda x: ident.abs_client_id[person[x]], return_dtype=pl.String
    )
    assert (mapping["cbs_client_id"] == expected).all()
    last = days(bank["params"].business_date) - 3
    registered = bank["out"].activity.registered_day
    due = has_login & ident.login_mapped & (registered <= last)
    assert set(ident.login_id[due].tolist()) <= set(mapping["login_id"].to_list())

    profiles = _frame(bank["root"], "profiles").unique("login_id", keep="first")
    both = mapping.join(profiles, on="login_id")
    late = both.filter(
        pl.col("mapped_at").str.slice(0, 10) > pl.col("registered_at").str.slice(0, 10)
    )
    assert 0.03 < late.height / both.height < 0.4


def test_profiles_one_row_per_login_phone_defects_logged(bank):
    ident = bank["identity"]
    out = bank["out"]
    profiles = _frame(bank["root"], "profiles")
    logins = set(ident.login_id[ident.login_id != ""].tolist())
    assert set(profiles["login_id"].to_list()) == logins
    # at most one extra row per login: a phone changed after the snapshot
    assert profiles.group_by("login_id").len()["len"].max() <= 2

    records = pl.concat(out.records)
    assert set(records["record_id"].to_list()) == logins
    assert (records["role"] == "dbo_login").all() and (records["system"] == "dbo").all()
    assert (
        ident.login_id[records["person_id"].to_numpy()] == records["record_id"].to_numpy()
    ).all()

    defects = pl.concat(out.defects).filter(pl.col("field") == "phone")
    rate = defects.height / len(logins)
    assert 0.01 < rate < 0.06
    first = profiles.unique("login_id", keep="first").join(
        defects.select(pl.col("record_id").alias("login_id"), "injected_value"), on="login_id"
    )
    assert (first["phone"] == first["injected_value"]).all()
    e164 = profiles["phone"].str.contains(r"^\+79\d{9}$").mean()
    assert e164 > 0.85
    assert profiles["email"].eq("").mean() > 0.2
    assert profiles["display_name"].str.contains(r"[A-Za-z]").mean() > 0.05


def test_application_steps_follow_the_funnel(bank):
    ident = bank["identity"]
    for state, month in bank["months"]:
        steps = month.steps
        apps = state.applications
        assert steps.filter(pl.col("step") == "started").height == apps.height
        rank = {s: i for i, s in enumerate(STEP_ORDER)} | {"issued": len(STEP_ORDER)}
        ordered = steps.with_columns(
            pl.col("step").replace_strict(rank, return_dtype=pl.Int64).alias("rank")
        ).sort("app_id", "rank")
        assert (
            ordered.group_by("app_id", maintain_order=True)
            .agg((pl.col("ts_ms").diff().drop_nulls() >= 0).all().alias("ok"))["ok"]
            .all()
        )
        gap = (
            steps.filter(pl.col("step").is_in(["started", "approved", "signed"]))
            .pivot("step", index="app_id", values="ts_ms")
            .drop_nulls()
            .join(apps.select("app_id", "follow_up_hours"), on="app_id")
        )
        # The bank's follow-up (a call at start + follow_up_hours, the same instant the contact
        # centre shows) comes before the signature, and the client signs right after it.
        follow_up = gap["started"] + gap["follow_up_hours"] * 3_600_000
        earliest = pl.max_horizontal(gap["approved"], follow_up)
        wait_h = (gap["signed"] - gap.select(earliest).to_series()) / 3_600_000
        assert ((wait_h >= 0) & (wait_h <= 0.1)).all()
        with_login = steps.filter(pl.col("has_login"))["person_id"].to_numpy()
        assert (ident.login_id[with_login] != "").all()
    apps = _frame(bank["root"], "applications")
    office = apps["channel"].is_in(["office", "contact_center"])
    assert apps.filter(office)["cbs_client_id"].null_count() == 0
    assert apps.filter(~office)["cbs_client_id"].null_count() == apps.filter(~office).height
    assert apps.filter(pl.col("step") == "declined")["decline_reason"].null_count() == 0
    assert (
        apps.filter(pl.col("step") != "declined")["decline_reason"].null_count()
        == apps.filter(pl.col("step") != "declined").height
    )


def test_offer_events_carry_the_lifecycle_offer(bank):
    for state, month in bank["months"]:
        shown = month.events.filter(pl.col("event_type").is_in(["offer_shown", "offer_click"]))
        assert shown.height > 0
        offers = state.offers.filter(pl.col("channel") == "app")
        joined = shown.join(
            offers.select("offer_id", "person_id", "product", pl.col("campaign_id").alias("c")),
            on="offer_id",
        )
        assert joined.height == shown.height
        assert (joined["person_id"] == joined["person_id_right"]).all()
        assert (joined["product_code"] == joined["product"]).all()
        assert (joined["campaign_id"] == joined["c"]).all()


def test_uuid_strings_look_like_version_4():
    h = np.arange(5, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    ids = uuid_strings(h, h + np.uint64(1)).to_list()
    assert len(set(ids)) == 5
    for value in ids:
        assert re.fullmatch(
            r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", value
        )
    assert uuid_strings(h[:0], h[:0]).len() == 0


def _digest(root) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_seed_identical_bytes(tmp_path):
    a = _digest(_build(tmp_path / "a", persons=500, months=2)["root"])
    b = _digest(_build(tmp_path / "b", persons=500, months=2)["root"])
    c = _digest(_build(tmp_path / "c", persons=500, months=2, seed=6)["root"])
    assert a == b and len(a) > 20
    assert a != c
