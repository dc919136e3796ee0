"""The tiny bank's digital-banking (ДБО) deliveries: daily files, truth links, churn signal."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from tests.landing_files import read_dbo

pytestmark = pytest.mark.integration

ENTITIES = ("sessions", "events", "applications", "profiles", "client_mapping")


@pytest.fixture(scope="module")
def bank(tiny_bank):
    return tiny_bank[0]


def _read(bank, entity: str) -> pl.DataFrame:
    return read_dbo(bank.landing_dir, entity)


@pytest.fixture(scope="module")
def persons(bank):
    return pl.read_parquet(bank.truth_dir / "persons.parquet")


def test_every_business_day_has_each_file_the_skipped_day_comes_with_the_next(bank):
    events = pl.read_parquet(bank.truth_dir / "delivery_events.parquet")
    skipped = events.filter((pl.col("kind") == "missing_day") & (pl.col("system") == "dbo"))
    assert skipped.height == 1
    missing = skipped["business_date"][0]
    day = bank.business_date - dt.timedelta(days=bank.sim_delta_days)
    while day <= bank.business_date:
        folder = bank.landing_dir / "dbo" / day.isoformat()
        stamp = day.strftime("%Y%m%d")
        if day == missing:
            assert not folder.exists()
            folder = bank.landing_dir / "dbo" / (day + dt.timedelta(days=1)).isoformat()
        for entity in ENTITIES:
            assert (folder / f"{entity}_{stamp}.jsonl").exists(), (day, entity)
        day += dt.timedelta(days=1)


def test_logins_link_to_truth_persons_and_sessions_end_with_the_client(bank, persons):
    sessions = _read(bank, "sessions")
    truth = persons.filter(pl.col("login_id") != "").select("person_id", "login_id", "churn_date")
    joined = sessions.join(truth, left_on="client_login_id", right_on="login_id", how="left")
    assert joined["person_id"].null_count() == 0
    moscow = (
        pl.col("started_at").str.to_datetime("%Y-%m-%dT%H:%M:%S%.3fZ") + pl.duration(hours=3)
    ).dt.date()
    after = joined.filter(pl.col("churn_date").is_not_null() & (moscow > pl.col("churn_date")))
    assert after.height == 0

    records = pl.read_parquet(bank.truth_dir / "source_records.parquet").filter(
        pl.col("system") == "dbo"
    )
    profiles = _read(bank, "profiles")
    assert set(records["record_id"].to_list()) == set(profiles["login_id"].to_list())
    assert set(records["record_id"].to_list()) == set(truth["login_id"].to_list())


def test_orphan_logins_are_in_the_truth_and_missing_from_the_mapping(bank):
    defects = pl.read_parquet(bank.truth_dir / "defects.parquet").filter(
        (pl.col("system") == "dbo") & (pl.col("defect_type") == "orphan_unmapped")
    )
    mapping = _read(bank, "client_mapping")
    profiles = _read(bank, "profiles")
    orphans = set(defects["record_id"].to_list())
    assert orphans and not orphans & set(mapping["login_id"].to_list())
    share = len(orphans) / profiles["login_id"].n_unique()
    assert 0.003 < share < 0.025
    # everything else is mapped, except logins registered in the last days (mapping late)
    recent = profiles.filter(
        pl.col("registered_at").str.slice(0, 10)
        >= (bank.business_date - dt.timedelta(days=4)).isoformat()
    )
    unmapped = set(profiles["login_id"].to_list()) - set(mapping["login_id"].to_list()) - orphans
    assert unmapped <= set(recent["login_id"].to_list())


def test_logins_fall_before_churn(bank, persons):
    sessions = _read(bank, "sessions").with_columns(
        pl.col("started_at").str.slice(0, 7).alias("month")
    )
    leavers = persons.filter(
        pl.col("churn_date").is_not_null()
        & ~pl.col("is_silent_leaver")
        & (pl.col("login_id") != "")
        & (pl.col("churn_date") > dt.date(2026, 1, 31))
    ).select(
        "login_id",
        (pl.col("churn_date").dt.offset_by("-1mo").dt.strftime("%Y-%m")).alias("month"),
    )
    counts = sessions.group_by("client_login_id", "month").len()
    before = leavers.join(
        counts, left_on=["login_id", "month"], right_on=["client_login_id", "month"], how="left"
    )["len"].fill_null(0)
    stayers = persons.filter(pl.col("churn_date").is_null() & (pl.col("login_id") != ""))
    per_stayer = (
        counts.filter(pl.col("client_login_id").is_in(stayers["login_id"].implode()))
        .group_by("month")
        .agg(pl.col("len").sum())
        .filter(pl.col("month") >= "2026-01")["len"]
        .mean()
        / stayers.height
    )
    assert before.len() > 30
    assert before.mean() < 0.8 * per_stayer, (before.mean(), per_stayer)
