"""The tiny bank's contact-centre deliveries: format, the added column, truth links."""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import polars as pl
import pytest

from simulator.activity.contact_center import due_days
from simulator.population import days
from tests.landing_files import all_files

pytestmark = pytest.mark.integration


def _business_date(path) -> dt.date:
    return dt.datetime.strptime(path.stem.rsplit("_", 1)[1], "%Y%m%d").date()


def _read(path) -> pl.DataFrame:
    text = path.read_bytes().decode("utf-8-sig")
    return pl.read_csv(io.StringIO(text), infer_schema=False)


@pytest.fixture(scope="module")
def bank(tiny_bank):
    return tiny_bank[0]


@pytest.fixture(scope="module")
def calls(bank):
    return pl.concat(
        [_read(p) for p in all_files(bank.landing_dir, "contact_center", "calls_")],
        how="diagonal",
    )


def test_files_are_utf8_bom_crlf_with_quoted_header(bank):
    for prefix in ("calls_", "chats_", "complaints_", "surveys_", "communications_"):
        paths = all_files(bank.landing_dir, "contact_center", prefix)
        assert paths, prefix
        raw = paths[0].read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")
        assert raw.count(b"\r\n") == raw.count(b"\n")
        header = raw[3:].split(b"\r\n", 1)[0].decode()
        assert header.startswith('"') and header == header.lower()


def test_ivr_path_column_appears_only_from_the_planned_day(bank):
    events = pl.read_parquet(bank.truth_dir / "delivery_events.parquet").filter(
        pl.col("kind") == "column_added"
    )
    assert events.row(0, named=True)["entity"] == "calls"
    planned = events["business_date"][0]
    seen = {True: 0, False: 0}
    for path in all_files(bank.landing_dir, "contact_center", "calls_"):
        header = path.read_bytes()[3:].split(b"\r\n", 1)[0].decode()
        has = header.endswith('"ivr_path"')
        assert has == (_business_date(path) >= planned), path
        seen[has] += 1
    assert seen[True] and seen[False]
    later = _read(all_files(bank.landing_dir, "contact_center", "calls_")[-1])
    inbound = later.filter(pl.col("direction") == "inbound")
    assert inbound["ivr_path"].str.starts_with("main>").mean() > 0.8


def test_call_fields_look_like_a_contact_centre(calls):
    assert set(calls["direction"].unique()) == {"inbound", "outbound"}
    assert set(calls["abandoned"].unique()) == {"Y", "N"}
    inbound = calls.filter(pl.col("direction") == "inbound")
    assert inbound["dnis"].str.starts_with("8800").mean() > 0.8
    answered = calls.filter(pl.col("answer_ts").is_not_null())
    assert (answered["answer_ts"] >= answered["enqueue_ts"]).all()
    assert (answered["end_ts"] >= answered["answer_ts"]).all()
    unidentified = inbound["identified_client_id"].is_null().mean()
    assert 0.2 <= unidentified <= 0.45
    assert 0.01 < inbound["ani"].is_null().mean() < 0.08
    styles = inbound["ani"].drop_nulls().str.replace_all(r"\d", "9").unique()
    assert styles.len() >= 8
    assert calls["call_id"].n_unique() == calls.height


def test_identified_calls_are_recorded_in_the_truth(bank, calls):
    records = pl.read_parquet(bank.truth_dir / "source_records.parquet").filter(
        pl.col("system") == "contact_center"
    )
    assert set(records["role"].unique()) == {"identified_caller"}
    identified = calls.filter(pl.col("identified_client_id").is_not_null())
    assert set(records["record_id"]) == set(identified["call_id"])
    persons = pl.read_parquet(bank.truth_dir / "persons.parquet").select(
        "person_id", "abs_client_id"
    )
    linked = (
        identified.select("call_id", "identified_client_id")
        .join(records.select(pl.col("record_id").alias("call_id"), "person_id"), on="call_id")
        .join(persons, on="person_id")
    )
    assert (linked["identified_client_id"] == linked["abs_client_id"]).all()


def test_invalid_caller_numbers_are_logged(bank, calls):
    defects = pl.read_parquet(bank.truth_dir / "defects.parquet").filter(
        (pl.col("system") == "contact_center") & (pl.col("entity") == "calls")
    )
    assert defects.height > 0
    shown = defects.join(
        calls.select(pl.col("call_id").alias("record_id"), "ani"), on="record_id", how="inner"
    )
    assert shown.height == defects.height
    assert (shown["ani"] == shown["injected_value"]).all()
    share = defects.height / calls.filter(pl.col("ani").is_not_null()).height
    assert 0.015 < share < 0.045


def test_complaint_rows_follow_their_lifecycle(bank):
    paths = all_files(bank.landing_dir, "contact_center", "complaints_")
    rows = pl.concat([_read(p) for p in paths])
    assert set(rows["status"].unique()) <= {"registered", "in_progress", "closed"}
    received = np.array([days(d) for d in rows["received_ts"].str.slice(0, 10).str.to_date()])
    due = np.array([days(d) for d in rows["due_date"].str.to_date()])
    assert (due == due_days(received)).all()
    closed = rows.filter(pl.col("status") == "closed")
    assert closed["resolution"].is_not_null().all() and closed["closed_ts"].is_not_null().all()
    assert set(closed["resolution"].unique()) <= {"satisfied", "partial", "rejected"}
    still_open = rows.filter(pl.col("status") != "closed")
    assert still_open["resolution"].is_null().all()
    assert (
        rows.group_by("complaint_id").agg((pl.col("status") == "closed").sum())["status"].max() == 1
    )
    late = closed.filter(pl.col("closed_ts").str.slice(0, 10) > pl.col("due_date"))
    assert 0 < late.height < 0.2 * closed.height


def test_marketing_without_consent_is_logged(bank):
    comms = pl.concat(
        [_read(p) for p in all_files(bank.landing_dir, "contact_center", "communications_")]
    )
    defects = pl.read_parquet(bank.truth_dir / "defects.parquet").filter(
        pl.col("defect_type") == "sent_without_consent"
    )
    assert set(defects["record_id"]) <= set(comms["communication_id"])
    assert 0.002 < defects.height / comms.height < 0.01
