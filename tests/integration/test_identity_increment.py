"""The daily increment of the golden record on the tiny bank: resolving the last business date
on top of the day before gives the clusters a full run over everything gives."""

from __future__ import annotations

import shutil

import duckdb
import polars as pl
import pytest

from identity import quality
from identity.increment import can_increment, resolve
from identity.overrides import load_overrides
from identity.records import PERSON_TABLES

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def daily(identity_bank, tmp_path_factory):
    """A copy of the resolved warehouse, resolved in full without its last business date, then
    given that date back as new loads and resolved as an increment."""
    settings, _ = identity_bank
    path = tmp_path_factory.mktemp("daily") / "cdp.duckdb"
    shutil.copy(settings.warehouse_path, path)
    overrides = load_overrides(None)
    with duckdb.connect(str(path)) as con:
        [last] = con.sql("select max(_business_date) from raw.abs__clients").fetchone()
        con.execute("create schema withheld")
        for table in PERSON_TABLES:
            con.execute(
                f"create table withheld.{table} as select * from raw.{table} "
                "where _business_date = ?", [last],
            )  # fmt: skip
            con.execute(f"delete from raw.{table} where _business_date = ?", [last])
        day_before = resolve(con, overrides, full=True)
        before = _crosswalk(con)
        for table in PERSON_TABLES:
            con.execute(f"insert into raw.{table} select * from withheld.{table}")
        summary = resolve(con, overrides)
    return path, day_before, summary, before


LATEST_RUN = "run_at = (select max(run_at) from identity.resolution_runs)"
"""The rows an identity table got from the latest resolution."""


def _crosswalk(con) -> pl.DataFrame:
    return con.sql("select record_key, golden_client_id from marts.dim_client_crosswalk").pl()


def _partition(crosswalk: pl.DataFrame) -> pl.DataFrame:
    """record → the smallest record key of its client: comparable whatever the ids."""
    return crosswalk.select(
        "record_key", pl.col("record_key").min().over("golden_client_id").alias("cluster")
    ).sort("record_key")


def test_the_increment_resolves_only_the_new_loads(daily):
    path, day_before, summary, _ = daily
    assert day_before.mode == "full"
    assert summary.mode == "increment"
    assert 0 < summary.records < day_before.records / 10
    with duckdb.connect(str(path), read_only=True) as con:
        [unresolved] = con.sql(
            "select count(*) from raw.abs__clients where _load_id not in "
            "(select load_id from identity.resolved_loads)"
        ).fetchone()
    assert unresolved == 0


def test_the_increment_clusters_as_a_full_run_over_everything(daily, warehouse):
    path, _, _, _ = daily
    with duckdb.connect(str(path), read_only=True) as con:
        incremental = _partition(_crosswalk(con))
    full = _partition(_crosswalk(warehouse))
    assert incremental["record_key"].equals(full["record_key"])
    differing = incremental.join(full, on="record_key").filter(
        pl.col("cluster") != pl.col("cluster_right")
    )
    assert differing.is_empty()


def test_untouched_clients_keep_their_ids_and_tables_stay_consistent(daily):
    path, _, summary, before = daily
    with duckdb.connect(str(path), read_only=True) as con:
        after = _crosswalk(con)
        history = con.sql(f"select * from identity.golden_id_history where {LATEST_RUN}").pl()
        offenders = {inv.name: rows for inv, rows in quality.check_invariants(con)}
        counts = con.sql(
            """
            select (select count(*) from marts.dim_clients),
                   (select count(distinct golden_client_id) from marts.dim_client_crosswalk),
                   (select count(distinct golden_client_id) from marts.dim_clients),
                   (select count(*) from marts.dim_client_attribute_sources),
                   (select count(*) from marts.dim_clients where client_type <> 'ЮЛ'),
                   (select count(*) from intermediate.int_client_records_unioned),
                   (select count(*) from marts.dim_client_crosswalk where role <> 'legal_entity')
            """
        ).fetchone()
    changed = before.join(after, on="record_key").filter(
        pl.col("golden_client_id") != pl.col("golden_client_id_right")
    )
    # Only a merge moves a record that was there the day before, and a merge is recorded.
    merged = set(history.filter(pl.col("event") == "merged_into")["golden_client_id"])
    assert set(changed["golden_client_id"]) <= merged
    assert history.height == summary.history_events > 0
    assert all(not rows for rows in offenders.values()), offenders
    rows, ids_in_crosswalk, ids, lineage_rows, people, records, person_rows = counts
    assert rows == ids_in_crosswalk == ids
    assert lineage_rows == people
    assert records == person_rows


def test_a_run_without_new_loads_changes_nothing(daily, tmp_path):
    path, *_ = daily
    copy = tmp_path / "again.duckdb"
    shutil.copy(path, copy)
    with duckdb.connect(str(copy)) as con:
        before = _crosswalk(con).sort("record_key")
        summary = resolve(con, load_overrides(None))
        assert (summary.mode, summary.records, summary.history_events) == ("increment", 0, 0)
        assert _crosswalk(con).sort("record_key").equals(before)


def test_new_overrides_call_for_a_full_run(daily, tmp_path):
    path, *_ = daily
    (tmp_path / "never_link.csv").write_text(
        "record_key_l,record_key_r\nabs:1,abs:2\n", encoding="utf-8"
    )
    with duckdb.connect(str(path), read_only=True) as con:
        assert can_increment(con, load_overrides(None))
        assert not can_increment(con, load_overrides(tmp_path))


def test_every_record_that_changed_client_is_recorded(daily):
    """The increment's crosswalk changes — records new to the golden record included, which no
    golden-id event names — are in identity.crosswalk_changes, stamped with its run."""
    path, _, _, before = daily
    with duckdb.connect(str(path), read_only=True) as con:
        after = _crosswalk(con)
        recorded = con.sql(
            "select record_key, previous_golden_client_id, golden_client_id "
            f"from identity.crosswalk_changes where {LATEST_RUN}"
        ).pl()
    changed = (
        before.rename({"golden_client_id": "previous_golden_client_id"})
        .join(after, on="record_key", how="full", coalesce=True)
        .filter(pl.col("previous_golden_client_id").ne_missing(pl.col("golden_client_id")))
        .select(recorded.columns)
    )
    assert recorded["previous_golden_client_id"].null_count() > 0  # new records
    assert recorded.sort("record_key").equals(changed.sort("record_key"))


@pytest.fixture(scope="module")
def phone_changed(identity_bank, tmp_path_factory):
    """A copy of the resolved warehouse whose next load changes the phone of a login the bank
    has no mapping for, no e-mail and linked to its client by that phone alone."""
    settings, _ = identity_bank
    path = tmp_path_factory.mktemp("phone_changed") / "cdp.duckdb"
    shutil.copy(settings.warehouse_path, path)
    with duckdb.connect(str(path)) as con:
        [(login, client, old_phone)] = con.sql(
            """
            select l.source_record_id, l.golden_client_id, l.phones_current[1]
            from intermediate.int_client_records_unioned as l
            join intermediate.int_client_records_unioned as a
              on a.golden_client_id = l.golden_client_id and a.source = 'abs'
             and list_has_any(a.phones_e164, l.phones_e164)
            where l.source = 'dbo' and l.anchor_id is null and l.email_key is null
            order by l.record_key limit 1
            """
        ).fetchall()
        [new_phone] = con.sql(
            "select '+7999' || lpad(cast(count(*) as varchar), 7, '0') "
            "from intermediate.int_client_records_unioned"
        ).fetchone()
        con.execute(
            """
            insert into raw.dbo__profiles
            select * replace (
                ? as mobile_phone, _business_date + 1 as _business_date,
                cast(_business_date + 1 as timestamp) + interval 9 hour as updated_at,
                'phone-change' as _load_id, 1 as _line_number)
            from raw.dbo__profiles where login_id = ?
            order by _business_date desc, _line_number desc limit 1
            """,
            [new_phone, login],
        )
        summary = resolve(con, load_overrides(None))
    return path, summary, login, client, old_phone, new_phone


def test_a_login_that_changes_its_phone_stays_with_its_client(phone_changed):
    path, summary, login, client, old_phone, new_phone = phone_changed
    assert summary.mode == "increment"
    with duckdb.connect(str(path), read_only=True) as con:
        [now] = con.sql(
            "select golden_client_id from marts.dim_client_crosswalk where record_key = ?",
            params=[f"dbo:{login}"],
        ).fetchone()
        [mobile] = con.sql(
            "select mobile_phone from marts.dim_clients where golden_client_id = ?", params=[client]
        ).fetchone()
        login_phones = con.sql(
            "select value from marts.dim_client_contacts "
            "where golden_client_id = ? and contains(sources, 'dbo')",
            params=[client],
        ).pl()["value"]
        [splits] = con.sql(
            f"select count(*) from identity.golden_id_history where {LATEST_RUN}"
        ).fetchone()
    assert now == client and splits == 0
    assert mobile == new_phone  # the freshest number the client gave
    assert new_phone in login_phones.to_list()
    assert old_phone != new_phone


def test_records_kept_by_an_earlier_stage_call_for_a_full_run(daily, tmp_path):
    path, *_ = daily
    copy = tmp_path / "earlier.duckdb"
    shutil.copy(path, copy)
    with duckdb.connect(str(copy)) as con:
        assert can_increment(con, load_overrides(None))
        con.execute("alter table intermediate.int_client_records_unioned drop phones_current")
        assert not can_increment(con, load_overrides(None))
        assert resolve(con, load_overrides(None)).mode == "full"
        assert "phones_current" in con.sql("from intermediate.int_client_records_unioned").columns
