"""Each contact-policy rule alone on a hand-made warehouse, plus the gates, holdout and files.

Every test builds only the tables its rule reads (in-memory DuckDB with the warehouse's schema
and column names) and checks exactly which clients the rule lets through or stops.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import duckdb
import polars as pl
import pytest

from activation.audience import holdout_bucket, rule_passes
from activation.export import encode
from activation.policy import (
    RuleContext,
    closed_clients,
    complaints,
    consent,
    contactability,
    do_not_contact,
    frequency_caps,
    load_policy,
    money_laundering,
    quiet_hours,
)
from activation.safety import ExportRefused, check_data_quality, check_size_jump

pytestmark = pytest.mark.unit

AS_OF = dt.date(2026, 10, 31)


@pytest.fixture
def con():
    with duckdb.connect() as con:
        con.execute("""
            create schema staging; create schema marts;
            create table marts.dim_client_crosswalk as select * from (values
                ('abs', 'A1', 'GC1'), ('abs', 'A2', 'GC2'), ('abs', 'A2b', 'GC2'),
                ('abs', 'A3', 'GC3'), ('cards', 'H3', 'GC3'), ('dbo', 'login4', 'GC4'))
                t(source, source_record_id, golden_client_id);
        """)
        yield con


def passing(con, rule, channel="sms", stop_list=None, **policy_overrides):
    policy = load_policy(stop_list or Path("/nonexistent/stop_list.csv"))
    if policy_overrides:
        policy = policy.__class__(**{**policy.__dict__, **policy_overrides})
    ctx = RuleContext(channel=channel, as_of=AS_OF, policy=policy, rule=rule.name)
    if rule.prepare:
        rule.prepare(con, ctx)
    sql, params = rule.query(ctx)
    found = {r[0] for r in con.execute(sql, params).fetchall()}
    return found if rule.mode == "require" else {"GC1", "GC2", "GC3", "GC4"} - found


def consents(con, rows):
    con.execute(
        "create or replace table staging.stg_abs__consents (consent_id varchar, abs_client_id "
        "varchar, consent_type varchar, channel varchar, captured_date date, withdrawn_date date)"
    )
    con.executemany("insert into staging.stg_abs__consents values (?, ?, ?, ?, ?, ?)", rows)


def test_marketing_consent_needs_the_channel_and_a_withdrawal_counts_at_once(con):
    d = dt.date
    consents(con, [
        ("1", "A1", "РЕКЛАМА", "SMS", d(2025, 1, 1), None),             # in force
        ("2", "A2", "РЕКЛАМА", "SMS", d(2025, 1, 1), None),             # ... but the duplicate
        ("3", "A2b", "РЕКЛАМА", "SMS", d(2025, 1, 1), d(2026, 10, 30)),  # record withdrew it
        ("4", "A3", "РЕКЛАМА", "EMAIL", d(2025, 1, 1), None),           # other channel only
        ("5", "A3", "ОБРАБОТКА_ПДН", None, d(2020, 1, 1), None),
    ])  # fmt: skip
    assert passing(con, consent.MARKETING, "sms") == {"GC1"}
    assert passing(con, consent.MARKETING, "email") == {"GC3"}
    assert passing(con, consent.PERSONAL_DATA, "sms") == {"GC3"}


def test_a_consent_captured_again_after_a_withdrawal_is_in_force(con):
    d = dt.date
    consents(con, [
        ("1", "A1", "РЕКЛАМА", "ЗВОНОК", d(2024, 1, 1), d(2025, 1, 1)),
        ("2", "A1", "РЕКЛАМА", "ЗВОНОК", d(2025, 6, 1), None),
        ("3", "A3", "РЕКЛАМА", "ЗВОНОК", d(2026, 11, 5), None),  # after the as-of date
    ])  # fmt: skip
    assert passing(con, consent.MARKETING, "call") == {"GC1"}


def test_do_not_contact_requests_stop_their_channel_or_all_from_their_date(con, tmp_path):
    path = tmp_path / "stop.csv"
    path.write_text(
        "golden_client_id,channel,requested_date,reason\n"
        "GC1,sms,2026-10-01,letter\nGC2,all,2026-10-31,call\nGC3,sms,2026-11-15,future\n"
        "GC4,email,2026-01-01,letter\n"
    )
    assert passing(con, do_not_contact.RULE, "sms", stop_list=path) == {"GC3", "GC4"}
    assert passing(con, do_not_contact.RULE, "email", stop_list=path) == {"GC1", "GC3"}
    path.write_text("golden_client_id,channel,requested_date,reason\nGC1,fax,2026-01-01,x\n")
    with pytest.raises(ValueError, match="unknown channel"):
        passing(con, do_not_contact.RULE, "sms", stop_list=path)


def test_open_complaints_and_those_closed_within_30_days_stop_a_client(con):
    con.execute("""
        create table staging.stg_contact_center__complaints as select * from (values
            ('c1', 'A1', 'in_progress', null::timestamp),
            ('c2', 'A2', 'closed', timestamp '2026-10-15 10:00:00'),
            ('c3', 'A3', 'closed', timestamp '2026-09-20 10:00:00'))
            t(complaint_id, abs_client_id, status, closed_at)
    """)
    assert passing(con, complaints.RULE) == {"GC3", "GC4"}
    assert passing(con, complaints.RULE, complaint_cooldown_days=60) == {"GC4"}


def test_115fz_suspensions_in_force_stop_the_card_owner(con):
    con.execute("""
        create table staging.stg_cards__blocks as select * from (values
            ('b1', 'card1', '40817810000000000001', 'fz115_suspension', date '2026-10-01', null),
            ('b2', 'card2', '40817810000000000002', 'fz115_suspension', date '2026-01-01',
             date '2026-02-01'),
            ('b3', 'card3', '40817810000000000003', 'fraud', date '2026-10-01', null),
            ('b4', 'card4', '40817810000000000099', 'fz115_suspension', date '2026-10-01', null))
            t(block_id, card_id, account_number, block_type, date_from, date_to);
        create table staging.stg_cards__cards as select * from (values
            ('card1', 'H9'), ('card2', 'H9'), ('card3', 'H9'), ('card4', 'H3'))
            t(card_id, holder_id);
        create table marts.dim_accounts as select * from (values
            ('40817810000000000001', 'GC1'), ('40817810000000000002', 'GC2'),
            ('40817810000000000003', 'GC4')) t(account_number, golden_client_id);
        create table staging.stg_abs__clients as select * from (values
            ('A2', 'высокий'), ('A1', 'низкий')) t(abs_client_id, aml_risk_level);
    """)
    # GC1 by its account, GC3 as the holder of card4; GC2's block ended; GC4's is not 115-FZ
    assert passing(con, money_laundering.RULE) == {"GC2", "GC4"}
    assert passing(con, money_laundering.RULE, aml_abs_risk_levels=("высокий",)) == {"GC4"}


def test_a_rule_listing_a_client_it_cannot_place_still_judges_the_others(con):
    listed = "select * from (values ('GC1'), (null)) t(golden_client_id)"
    for mode, expected in (("exclude", {"GC2", "GC3"}), ("require", {"GC1"})):
        passed = con.execute(
            f"select c from (values ('GC1'), ('GC2'), ('GC3')) t(c) "
            f"where {rule_passes(mode, listed, 'c')}"
        ).fetchall()
        assert {r[0] for r in passed} == expected


def test_closed_clients_are_left_out(con):
    con.execute("""
        create table marts.mart_client_360 as select * from (values
            ('GC1', 'active'), ('GC2', 'closed'), ('GC3', 'dormant'), ('GC4', 'new'))
            t(golden_client_id, lifecycle_stage)
    """)
    assert passing(con, closed_clients.RULE) == {"GC1", "GC3", "GC4"}


def test_frequency_caps_count_recent_sent_messages_per_channel_group(con):
    con.execute("""
        create table staging.stg_contact_center__communications as select * from (values
            ('A1', 'sms', timestamp '2026-10-30 10:00:00', 'delivered'),
            ('A1', 'email', timestamp '2026-10-28 10:00:00', 'opened'),
            ('A2', 'sms', timestamp '2026-10-30 10:00:00', 'delivered'),
            ('A2', 'sms', timestamp '2026-10-29 10:00:00', 'failed'),
            ('A3', 'call', timestamp '2026-10-25 06:00:00', 'delivered'),
            ('A3', 'sms', timestamp '2026-10-24 20:59:00', 'delivered'))
            t(abs_client_id, channel, sent_at, status)
    """)
    # GC1: 2 marketing contacts in 7 days → over the cap on every channel.
    # GC2: one counted (the failed one does not). GC3: one call on 25.10 (Moscow), the SMS on
    # 24.10 23:59 Moscow falls outside the 7 days 25.10–31.10.
    assert passing(con, frequency_caps.RULE, "sms") == {"GC2", "GC3", "GC4"}
    assert passing(con, frequency_caps.RULE, "call") == {"GC2", "GC4"}


def test_contactability_needs_a_valid_contact_of_the_channel(con):
    con.execute("""
        create table marts.dim_clients as select * from (values
            ('GC1', '+79161234567', 'a@example.ru'), ('GC2', '+79161234568', null),
            ('GC3', null, 'c@example.ru'), ('GC4', null, null))
            t(golden_client_id, mobile_phone, email);
        create table marts.dim_client_contacts as select * from (values
            ('GC1', 'phone', '+79161234567', true), ('GC1', 'email', 'a@example.ru', true),
            ('GC2', 'phone', '+79161234568', false), ('GC3', 'email', 'c@example.ru', true))
            t(golden_client_id, contact_type, value, is_valid);
    """)
    assert passing(con, contactability.RULE, "sms") == {"GC1"}
    assert passing(con, contactability.RULE, "email") == {"GC1", "GC3"}
    assert passing(con, contactability.RULE, "push") == {"GC4"}


def test_quiet_hours_need_a_known_region_time_zone(con):
    con.execute("""
        create table marts.dim_clients as select * from (values
            ('GC1', 'г. Москва, ул. Тверская, д. 1'),
            ('GC2', 'Респ. Башкортостан, г. Уфа, ул. Ленина, д. 2'),
            ('GC3', 'Приморский край, г. Владивосток, ул. Светланская, д. 3'),
            ('GC4', 'Атлантида, ул. Морская, д. 4'))
            t(golden_client_id, registration_address)
    """)
    assert passing(con, quiet_hours.RULE, "call") == {"GC1", "GC2", "GC3"}
    zones = dict(con.execute("select golden_client_id, utc_offset_hours "
                             "from activation_client_time_zones").fetchall())  # fmt: skip
    assert zones == {"GC1": 3, "GC2": 5, "GC3": 10}
    assert not quiet_hours.RULE.applies_to("sms")


def run_results(folder, which, statuses, generated_at):
    folder.mkdir(parents=True)
    (folder / "run_results.json").write_text(json.dumps({
        "metadata": {"generated_at": generated_at}, "args": {"which": which},
        "results": [{"unique_id": f"test.x.t{i}", "status": s} for i, s in enumerate(statuses)],
    }))  # fmt: skip


def test_the_data_quality_gate_reads_the_latest_build(tmp_path):
    with pytest.raises(ExportRefused, match="no warehouse build"):
        check_data_quality(tmp_path)
    run_results(tmp_path / "a", "build", ["pass", "fail"], "2026-12-01T00:00:00Z")
    with pytest.raises(ExportRefused, match="1 blocking failure"):
        check_data_quality(tmp_path)
    run_results(tmp_path / "b", "build", ["pass", "warn"], "2026-12-02T00:00:00Z")
    run_results(tmp_path / "c", "generate", ["error"], "2026-12-03T00:00:00Z")  # docs: ignored
    gate = check_data_quality(tmp_path)
    assert gate.checks == 2 and gate.failures == []


def test_the_size_gate_refuses_jumps_both_ways():
    check_size_jump(100, None, 2.0)
    check_size_jump(150, 100, 2.0)
    check_size_jump(50, 100, 2.0)
    for size in (201, 49, 0):
        with pytest.raises(ExportRefused, match="size gate"):
            check_size_jump(size, 100, 2.0)


def test_the_holdout_is_stable_per_campaign_and_close_to_its_share():
    ids = [f"GC{i:010d}" for i in range(20_000)]
    first = [holdout_bucket("C1", i) < 0.1 for i in ids]
    assert first == [holdout_bucket("C1", i) < 0.1 for i in ids]
    assert 0.09 < sum(first) / len(ids) < 0.11
    other = [holdout_bucket("C2", i) < 0.1 for i in ids]
    assert first != other  # another campaign draws another control group


def test_files_carry_the_rows_in_their_encoding_and_are_byte_stable():
    frame = pl.DataFrame({"golden_client_id": ["GC1"], "first_name": ["ЁЖИК"]})
    legacy = encode(frame, "csv-cp1251")
    assert legacy.decode("cp1251") == "golden_client_id;first_name\r\nGC1;ЁЖИК\r\n"
    assert encode(frame, "csv").decode("utf-8").splitlines()[1] == "GC1,ЁЖИК"
    parquet = encode(frame, "parquet")
    assert parquet == encode(frame, "parquet")
    assert pl.read_parquet(io.BytesIO(parquet)).equals(frame)
    with pytest.raises(ExportRefused, match="cp1251"):
        encode(pl.DataFrame({"x": ["😀"]}), "csv-cp1251")
