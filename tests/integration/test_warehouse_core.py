"""Core facts and dimensions built by Dagster on the tiny bank: grain, reconciliation with
staging, classification coverage, card matching, golden clients, and incremental = full."""

from __future__ import annotations

import contextlib
import datetime as dt
import json

import dagster as dg
import duckdb
import pytest

from benchmarks.equivalence import NOT_COMPARED, dbt_on_copy, warehouse_copy
from cdp.ru_calendar import holidays
from cdp.warehouse import row_hash
from tests.warehouse_queries import SOLE_PROPRIETORS_SINCE, first_row

pytestmark = pytest.mark.integration

CORE_MODELS = [
    "dim_dates",
    "dim_products",
    "dim_accounts",
    "fct_transactions",
    "fct_card_transactions",
    "fct_balances_daily",
    "fct_contracts",
    "fct_interactions",
]
RETAIL_TYPES_THE_BANK_PRODUCES = [
    "salary_credit",
    "pension_benefit",
    "sbp_in",
    "sbp_out",
    "own_account_other_bank",
    "card_to_card",
    "utilities",
    "tax",
    "loan_issue",
    "loan_repayment",
    "deposit_topup",
    "deposit_withdrawal",
    "cash_deposit",
    "fee",
    "interest",
    "card_settlement",
]
"""Every type the simulated АБС posts (docs/sources/abs.md); cash withdrawals leave through
card clearings (card_settlement), so no posting is a cash_withdrawal today."""

MAX_OTHER_SHARE = 0.01
"""Share of client posting legs no rule recognises; the tiny bank has none today."""

INCREMENTAL_CUT = dt.date(2026, 10, 29)
"""Rows from this business date on are removed before the incremental run: it covers the late
authorization file (auth of 10-29 delivered on 10-31) and clearings of earlier authorizations.
(No earlier cut would leave a month end as the previous business date: the tiny bank's first
delivery is its history snapshot of 2026-10-21.)"""


def test_every_core_model_materializes_and_the_invariants_run_as_checks(warehouse_bank):
    _, result = warehouse_bank
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert {dg.AssetKey(["marts", m]) for m in CORE_MODELS} <= materialized
    checks = {
        (e.event_specific_data.asset_key.path[-1], e.event_specific_data.check_name): (
            e.event_specific_data.passed
        )
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }
    assert checks[("fct_balances_daily", "balances_reconcile_with_posted_turnovers")]
    assert checks[("fct_balances_daily", "balances_chain_from_day_to_day")]
    assert checks[("fct_transactions", "one_row_per_posting_and_entry_side")]


def test_every_client_posting_leg_is_in_fct_transactions_once(built):
    """Grain: one row per posting and side whose account is a client account — no more, no
    fewer (both directions of the set difference are empty)."""
    missing, extra = first_row(
        built,
        """
        with expected as (
            select document_id, 'debit' as entry_side from staging.stg_abs__transactions
            where debit_account_number in (select account_number from marts.dim_accounts)
            union all
            select document_id, 'credit' from staging.stg_abs__transactions
            where credit_account_number in (select account_number from marts.dim_accounts)
        ),
        actual as (select document_id, entry_side from marts.fct_transactions)
        select
            (select count(*) from (from expected except all from actual)),
            (select count(*) from (from actual except all from expected))
        """,
    )
    assert (missing, extra) == (0, 0)
    [postings] = first_row(built, "select count(*) from staging.stg_abs__transactions")
    [legs] = first_row(built, "select count(*) from marts.fct_transactions")
    assert legs > postings  # transfers between two client accounts give two legs


def test_turnovers_reconcile_with_staging_postings(built):
    """Per side, the legs' amounts sum to the staging postings whose account on that side is
    a client account."""
    fact_debit, fact_credit, staged_debit, staged_credit = first_row(
        built,
        """
        select
            (select sum(amount_rub) from marts.fct_transactions where entry_side = 'debit'),
            (select sum(amount_rub) from marts.fct_transactions where entry_side = 'credit'),
            (select sum(amount_rub) from staging.stg_abs__transactions
             where debit_account_number in (select account_number from marts.dim_accounts)),
            (select sum(amount_rub) from staging.stg_abs__transactions
             where credit_account_number in (select account_number from marts.dim_accounts))
        """,
    )
    assert (fact_debit, fact_credit) == (staged_debit, staged_credit)


def test_few_legs_stay_unclassified_and_every_retail_type_occurs(built):
    by_type = dict(
        built.execute(
            "select transaction_type, count(*) from marts.fct_transactions group by all"
        ).fetchall()
    )
    total = sum(by_type.values())
    assert by_type.get("other", 0) / total < MAX_OTHER_SHARE
    assert {t for t in RETAIL_TYPES_THE_BANK_PRODUCES if by_type.get(t, 0) == 0} == set()


def test_own_account_transfers_name_the_client_and_other_transfers_do_not(built):
    """A signal the rules do not read: a transfer between the client's own accounts names the
    client as counterparty (docs/sources/abs.md), an SBP or card-to-card transfer names someone
    else. Own-name matches fall short of 100 % where the АБС record spells the name otherwise."""
    shares = dict(
        built.execute(
            """
            select
                t.transaction_type,
                avg(cast(upper(t.counterparty_name)
                    = upper(concat_ws(' ', c.surname, c.first_name, c.patronymic)) as integer))
            from marts.fct_transactions as t
            inner join staging.stg_abs__clients as c on t.abs_client_id = c.abs_client_id
            where t.transaction_type in
                ('own_account_other_bank', 'sbp_in', 'sbp_out', 'card_to_card')
            group by t.transaction_type
            """
        ).fetchall()
    )
    assert shares["own_account_other_bank"] >= 0.9
    assert max(shares["sbp_in"], shares["sbp_out"], shares["card_to_card"]) <= 0.01


def test_balances_differ_from_postings_exactly_where_a_posting_was_quarantined(built):
    """The balance file's turnovers equal the staged postings on every account-day except
    those touched by a posting the raw stage rejected (a broken row): the singular dbt test
    leaves those out, and this test shows the left-out set is exactly the mismatching one."""
    only_mismatched, only_quarantined, quarantined_days = first_row(
        built,
        """
        with posted as (
            select account_number, posting_date,
                sum(amount_rub) filter (where entry_side = 'debit') as debit_rub,
                sum(amount_rub) filter (where entry_side = 'credit') as credit_rub
            from marts.fct_transactions group by all
        ),
        mismatched as (
            select coalesce(b.account_number, p.account_number) as account_number,
                coalesce(b.balance_date, p.posting_date) as posting_date
            from marts.fct_balances_daily as b
            full join posted as p
                on b.account_number = p.account_number and b.balance_date = p.posting_date
            where b.debit_turnover_rub is distinct from coalesce(p.debit_rub, 0)
                or b.credit_turnover_rub is distinct from coalesce(p.credit_rub, 0)
        ),
        quarantined as (
            select distinct account_number, posting_date from (
                select
                    unnest([split_part(raw_text, ';', 4), split_part(raw_text, ';', 5)])
                        as account_number,
                    cast(strptime(split_part(raw_text, ';', 3), '%d.%m.%Y') as date)
                        as posting_date
                from quarantine.abs__transactions where is_rejected
            ) where account_number in (select account_number from marts.dim_accounts)
        )
        select
            (select count(*) from (from mismatched except from quarantined)),
            (select count(*) from (from quarantined except from mismatched)),
            (select count(*) from quarantined)
        """,
    )
    assert quarantined_days > 0  # the tiny bank has broken posting rows: this test can fail
    assert (only_mismatched, only_quarantined) == (0, 0)


def test_card_settlement_postings_carry_the_clearings(built):
    """Every clearing day of a card becomes one АБС posting (docs/sources/cards.md); clearings
    of the last days are posted later, so postings are a little short of the clearings."""
    settled, cleared = first_row(
        built,
        "select (select sum(amount_rub) from marts.fct_transactions "
        "where transaction_type = 'card_settlement'), "
        "(select sum(cleared_amount_rub) from marts.fct_card_transactions)",
    )
    assert 0.99 * float(cleared) <= float(settled) <= float(cleared)


def test_authorizations_are_matched_to_their_clearings(built):
    statuses = dict(
        built.execute(
            "select match_status, count(*) from marts.fct_card_transactions group by all"
        ).fetchall()
    )
    approved = statuses["matched"] + statuses.get("auth_only", 0)
    assert statuses["matched"] / approved >= 0.99
    assert statuses.get("clearing_only", 0) == 0
    assert statuses["reversed"] > 0 and statuses["declined"] > 0
    # an approval waits at most three days for its clearing
    [stale] = first_row(
        built,
        "select count(*) from marts.fct_card_transactions where match_status = 'auth_only' and "
        "transaction_date < (select max(transaction_date) from marts.fct_card_transactions) - 3",
    )
    assert stale == 0
    [requests] = first_row(
        built,
        "select count(*) from staging.stg_cards__authorizations where mti in ('0100', '0200')",
    )
    assert sum(statuses.values()) == requests


def test_an_account_lacks_a_golden_client_only_when_its_owner_is_not_in_the_client_file(built):
    """Orphan owners (`99…`) and client rows rejected at load; every other account is
    attached to its golden client."""
    unexplained, orphans = first_row(
        built,
        """
        select
            count(*) filter (where abs_client_id in
                (select abs_client_id from staging.stg_abs__clients)),
            count(*)
        from marts.dim_accounts where golden_client_id is null
        """,
    )
    [accounts] = first_row(built, "select count(*) from marts.dim_accounts")
    assert unexplained == 0
    assert orphans / accounts < 0.02


def test_interactions_hold_every_contact_of_the_sources(built):
    expected = {
        "call_inbound": "select count(*) from staging.stg_contact_center__calls "
        "where direction = 'inbound'",
        "call_outbound": "select count(*) from staging.stg_contact_center__calls "
        "where direction = 'outbound'",
        "chat": "select count(*) from staging.stg_contact_center__chats",
        "dbo_login": "select count(*) from staging.stg_dbo__sessions",
        "complaint": "select count(*) from staging.stg_contact_center__complaints",
    }
    counts = dict(
        built.execute(
            "select interaction_type, count(*) from marts.fct_interactions group by all"
        ).fetchall()
    )
    assert {k: counts.get(k) for k in expected} == {
        k: first_row(built, q)[0] for k, q in expected.items()
    }
    [identified_calls, attached_calls] = first_row(
        built,
        "select count(*) filter (where client_record_key is not null), "
        "count(golden_client_id) from marts.fct_interactions where interaction_type like 'call%'",
    )
    assert attached_calls >= 0.99 * identified_calls


def test_dim_dates_marks_the_working_days_of_cdp_ru_calendar(built):
    rows = built.execute(
        "select date_day, is_working_day from marts.dim_dates "
        "where year(date_day) between 2000 and 2035"
    ).fetchall()
    assert rows
    non_working = set(holidays().astype(dt.date).tolist())
    disagreements = [
        d for d, working in rows if working != (d.weekday() < 5 and d not in non_working)
    ]
    assert disagreements == []
    [first, last] = first_row(built, "select min(date_day), max(date_day) from marts.dim_dates")
    [first_posting, last_posting] = first_row(
        built, "select min(posting_date), max(posting_date) from marts.fct_transactions"
    )
    assert first <= first_posting and last >= last_posting


FINGERPRINTS = {
    "fct_transactions": "hash(transaction_leg_id, golden_client_id, transaction_type, amount_rub)",
    "fct_card_transactions": "hash(card_transaction_id, match_status, amount_rub, clearing_date, "
    "golden_client_id)",
    "fct_balances_daily": "hash(account_balance_id, closing_balance_rub, golden_client_id)",
    "fct_interactions": "hash(interaction_id, outcome, ended_at, golden_client_id)",
}


def _fingerprints(con) -> dict[str, tuple]:
    return {
        table: first_row(con, f"select count(*), sum({expr}) from marts.{table}")
        for table, expr in FINGERPRINTS.items()
    }


CLIENT_TABLES_BY_CLIENT = (
    "marts.fct_client_activity_days",
    "marts.fct_client_states",
    "ml.ml_features__client_months",
    "ml.ml_features__churn",
    "ml.ml_features__cross_sell",
    "ml.ml_features__lead_priority",
)
"""The client tables keyed by golden client and refreshed through its scope
(macros/client_refresh_scope.sql)."""
CLIENT_TABLES = (
    *CLIENT_TABLES_BY_CLIENT,
    "intermediate.int_account_last_balances_tracked",
    "intermediate.int_account_months_aggregated",
    "marts.mart_channel_usage_daily",
    "marts.mart_kpi_daily",
    "marts.mart_segment_memberships",
)
"""The tables an incremental build rewrites per client (macros/client_refresh_scope.sql), per
account from the loads after its watermark (the accounts' latest balances and month-end
balances), or per day (the channel usage, macros/channel_usage_dates.sql; the daily KPIs from
their first changed day on, macros/kpi_daily_days.sql; the segment memberships from their first
changed client state on, macros/segment_memberships_dates.sql)."""

LATER_DELIVERIES = ("dbo__applications", "dbo__events", "dbo__sessions", "contact_center__calls")
"""Raw tables the client tables read through views, not the facts: held back from the earlier
build, so the incremental one must find their later deliveries itself."""

LATE_FILE = ("dbo__applications", 3)
"""And one table delivered late: its files of the three days before the cut are loaded after
the earlier build too, their applications started before the dates that build holds."""

LATE_LOADS = f"""
select load_id from audit.file_loads
where
    delivery_date >= $cut
    or (table_name = '{LATE_FILE[0]}' and delivery_date >= $cut - {LATE_FILE[1]})
"""
"""The loads the earlier build has not taken in."""


def _columns_but_build_stamps(con, schema: str, table: str) -> list[str]:
    return [
        column
        for (column,) in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [schema, table],
        ).fetchall()
        if column not in NOT_COMPARED
    ]


def _table_fingerprint(con, table: str, rows: str | None = None) -> tuple:
    """Rows and a hash of every column but the build stamps of ``schema.table`` — or of the
    ``rows`` a select returns in that table's columns."""
    columns = _columns_but_build_stamps(con, *table.split("."))
    source = f"({rows}) as fingerprinted" if rows else table
    return first_row(con, f"select count(*), sum({row_hash(*columns)}) from {source}")


PLANTED = 100000
"""Added to a count on the days a test expects an increment to compute again (and on one it
expects kept): far above any count of the tiny bank."""


def _planted_days(con, table: str, column: str, day_column: str) -> list:
    return first_row(
        con,
        f"select list(distinct {day_column} order by {day_column}) from {table} "
        f"where {column} >= {PLANTED}",
    )[0]


def _with_plant_undone(table: str, column: str, day_column: str, day: dt.date) -> str:
    """The rows of ``table`` with the count planted on ``day`` taken off again."""
    return (
        f"select * replace (case when {day_column} = date '{day}' then {column} - {PLANTED} "
        f"else {column} end as {column}) from {table}"
    )


def _assert_increment_computes_all_but(
    copy, tmp_path, table: str, column: str, day_column: str, kept_day: dt.date, full: tuple
) -> None:
    """dbt run of ``table`` on ``copy``: every count planted on it is gone but ``kept_day``'s,
    and with that one undone the table equals ``full`` (its fingerprint before the plants)."""
    run = dbt_on_copy(copy, tmp_path, "run", "--select", _model(table))
    assert run.returncode == 0, run.stdout[-3000:]
    with duckdb.connect(str(copy), read_only=True) as con:
        assert _planted_days(con, table, column, day_column) == [kept_day]
        restored = _with_plant_undone(table, column, day_column, kept_day)
        assert _table_fingerprint(con, table, restored) == full


def _record_late_load(con, load_id: str, table_name: str | None = None) -> None:
    """A load ``load_id`` in the load audit, finished an hour from now — after every table's
    watermark —, as a copy of the latest load (of ``table_name``)."""
    con.execute(
        "insert into audit.file_loads select * replace ($load_id as load_id, "
        "now()::timestamp + interval 1 hour as finished_at) from audit.file_loads "
        "where $table_name is null or table_name = $table_name "
        "order by finished_at desc limit 1",
        {"load_id": load_id, "table_name": table_name},
    )


def _client_fingerprints(con) -> dict[str, tuple]:
    return {table: _table_fingerprint(con, table) for table in CLIENT_TABLES}


def _model(table: str) -> str:
    return table.split(".")[1]


STALE_RECORDS = {
    "GC_STALE": "select min(client_record_key) from marts.fct_transactions",
    "GC_MOVED": "select max(client_record_key) from marts.fct_transactions "
    "where golden_client_id is not null",
}
"""Golden ids planted on the postings of two records before the earlier build: one merged into
the record's client since (a golden-id event, and the crosswalk change every resolution records),
one whose record moved to it without an event (a crosswalk change only)."""


def _make_previous_build(con, cut: dt.date) -> None:
    """The facts as a build before ``cut`` left them: their rows of later business dates gone,
    the clearings that came since undone, two records' golden ids stale."""
    for table in FINGERPRINTS:
        con.execute(f"delete from marts.{table} where _business_date >= ?", [cut])
    con.execute(
        "update marts.fct_card_transactions set match_status = 'auth_only', "
        "cleared_amount_rub = null, clearing_date = null, _clearing_load_id = null "
        "where match_status = 'matched' and clearing_date >= ?",
        [cut],
    )
    for golden_id, record in STALE_RECORDS.items():
        con.execute(
            f"update marts.fct_transactions set golden_client_id = '{golden_id}' where "
            f"client_record_key = ({record})"
        )


@contextlib.contextmanager
def _later_deliveries_held_back(copy, cut: dt.date):
    """The raw rows of LATER_DELIVERIES delivered on or after ``cut`` moved aside while the
    block runs (the earlier build), then put back."""
    with duckdb.connect(str(copy)) as con:
        con.execute("create schema held_back")
        for table in LATER_DELIVERIES:
            con.execute(
                f"create table held_back.{table} as select * from raw.{table} "
                f"where _load_id in ({LATE_LOADS})",
                {"cut": cut},
            )
            con.execute(f"delete from raw.{table} where _load_id in ({LATE_LOADS})", {"cut": cut})
    yield
    with duckdb.connect(str(copy)) as con:
        for table in LATER_DELIVERIES:
            con.execute(f"insert into raw.{table} select * from held_back.{table}")
        con.execute("drop schema held_back cascade")


def _set_client_watermarks(con, cut: dt.date) -> dt.datetime:
    """The client tables as that build left them: taken in every load delivered before ``cut``
    — the tiny bank was ingested table by table, so the later deliveries are moved to after
    the build, as a daily schedule delivers them — and since recorded: the merge that makes
    GC_STALE's rows another client's, the record of GC_MOVED's rows moving to another
    client, and GC_GONE, whose rows the client tables hold from the start of its history
    (states and months come from the golden record, not only from its records' rows), merged
    away with its one record, which has no rows: every row of GC_GONE must go."""
    con.execute(
        "update audit.file_loads set finished_at = finished_at + interval 1 day "
        f"where load_id in ({LATE_LOADS})",
        {"cut": cut},
    )
    [watermark] = first_row(
        con,
        f"select max(finished_at) from audit.file_loads where load_id not in ({LATE_LOADS})",
        {"cut": cut},
    )
    for table in CLIENT_TABLES:
        con.execute(f"update {table} set _loads_through = ?", [watermark])
    con.execute(
        "insert into identity.golden_id_history (golden_client_id, event, "
        "related_golden_client_id, reason, records, run_at) "
        "select 'GC_STALE', 'merged_into', golden_client_id, 'test', 1, now()::timestamp "
        f"from marts.dim_client_crosswalk where record_key = ({STALE_RECORDS['GC_STALE']})"
    )
    for previous, record in STALE_RECORDS.items():  # as every resolution records its changes
        con.execute(
            "insert into identity.crosswalk_changes "
            f"select record_key, '{previous}', golden_client_id, now()::timestamp "
            f"from marts.dim_client_crosswalk where record_key = ({record})"
        )
    for table in (*CLIENT_TABLES_BY_CLIENT, "marts.mart_segment_memberships"):
        con.execute(
            f"insert into {table} select * replace ('GC_GONE' as golden_client_id) "
            f"from {table} where golden_client_id = (select min(golden_client_id) from {table})"
        )
    con.execute(
        "insert into identity.crosswalk_changes "
        "select min(record_key), 'GC_GONE', min(golden_client_id), now()::timestamp "
        "from marts.dim_client_crosswalk where record_key like 'contact_center:%'"
    )
    return watermark


def _served_by_month():
    from orchestration.defs.warehouse import dbt_project
    from serving.month_files import declared_month_files

    return declared_month_files(dbt_project().manifest_path)


def _keep_rows_as_written(con) -> None:
    """Each table served by month, as key, writer and a hash of the rest, in schema before_run."""
    con.execute("create schema before_run")
    for (schema, table), layout in _served_by_month().items():
        values = _columns_but_build_stamps(con, schema, table)
        con.execute(
            f"create table before_run.{table} as select {', '.join(layout.row_key)}, "
            f"_written_by, hash({', '.join(values)}) as row_values from {schema}.{table}"
        )


def _rows_changed_by_an_old_writer(con) -> dict[str, int]:
    """Per table served by month, the rows new or changed since ``_keep_rows_as_written`` whose
    writer was there before: a write that did not set ``_written_by``, whose month the serving
    copy would not write again (serving/month_files.py)."""
    found = {}
    for (schema, table), layout in _served_by_month().items():
        values = _columns_but_build_stamps(con, schema, table)
        [found[table]] = first_row(
            con,
            f"""
            select count(*)
            from (
                select {", ".join(layout.row_key)}, _written_by, hash({", ".join(values)})
                from {schema}.{table}
                except
                select * from before_run.{table}
            ) as changed
            where _written_by in (select _written_by from before_run.{table})
            """,
        )
    return found


def test_an_incremental_build_equals_the_full_build(warehouse_bank, tmp_path):
    """On a copy of the warehouse: the facts and the client tables as of an earlier build, then
    dbt incrementally — the core tables equal the full build, and the client tables were
    rewritten only where the new loads and the merge touch them; every row it changed in a table
    served by month says it wrote it."""
    settings, _ = warehouse_bank
    copy = warehouse_copy(settings.warehouse_path, tmp_path)
    with duckdb.connect(str(copy)) as con:
        full, full_clients = _fingerprints(con), _client_fingerprints(con)
        _make_previous_build(con, INCREMENTAL_CUT)
        assert _fingerprints(con) != full
    with _later_deliveries_held_back(copy, INCREMENTAL_CUT):
        previous = dbt_on_copy(
            copy, tmp_path, "run", "--full-refresh", "--select", *map(_model, CLIENT_TABLES)
        )
    assert previous.returncode == 0, previous.stdout[-3000:]
    with duckdb.connect(str(copy)) as con:
        watermark = _set_client_watermarks(con, INCREMENTAL_CUT)
        before = _client_fingerprints(con)
        _keep_rows_as_written(con)
    assert all(before[table] != full_clients[table] for table in CLIENT_TABLES)
    run = dbt_on_copy(
        copy,
        tmp_path,
        "run",
        "--select",
        "path:models/marts/core",
        "int_crosswalk_changes_dated",
        *map(_model, CLIENT_TABLES),
    )
    assert run.returncode == 0, run.stdout[-3000:]
    with duckdb.connect(str(copy), read_only=True) as con:
        assert _fingerprints(con) == full
        assert _client_fingerprints(con) == full_clients
        assert set(_rows_changed_by_an_old_writer(con).values()) == {0}
        for table in CLIENT_TABLES:
            [kept, rewritten] = first_row(
                con,
                "select count(*) filter (where _loads_through = ?), "
                f"count(*) filter (where _loads_through > ?) from {table}",
                [watermark, watermark],
            )
            if table in ("marts.mart_kpi_daily", "marts.mart_segment_memberships"):
                # the planted merge moves a client's activity stretches and states anywhere in
                # its history, so every day is computed again (the increments by day: the tests
                # below)
                assert kept == 0 < rewritten, table
            else:
                assert kept > rewritten > 0, table


def _moscow_date(utc_column: str) -> str:
    return f"cast(timezone('Europe/Moscow', timezone('UTC', {utc_column})) as date)"


LATE_CONTACTS = {
    "dbo__sessions": (
        "session_id",
        f"select session_id, {_moscow_date('started_at')} from staging.stg_dbo__sessions",
    ),
    "dbo__events": (
        "event_id",
        f"select events.event_id, {_moscow_date('sessions.started_at')} "
        "from staging.stg_dbo__events as events "
        "inner join staging.stg_dbo__sessions as sessions using (session_id)",
    ),
    "contact_center__calls": (
        "call_id",
        f"select call_id, {_moscow_date('started_at')} from staging.stg_contact_center__calls",
    ),
    "contact_center__chats": (
        "chat_id",
        f"select chat_id, {_moscow_date('started_at')} from staging.stg_contact_center__chats",
    ),
}
"""Per raw table, its key and its rows' keys with the Moscow day they count on in the channel
usage (an event on its session's day)."""


def _deliver_one_contact_late(con, table: str, taken: list) -> dt.date:
    """One row of ``table``, of a day not in ``taken``, moved into the raw load 'late';
    returns its day."""
    key, keyed_days = LATE_CONTACTS[table]
    [row_key, day] = first_row(
        con,
        f"select * from ({keyed_days}) as keyed (row_key, day) "
        "where not list_contains($taken, day) order by day, row_key limit 1",
        {"taken": taken},
    )
    con.execute(f"update raw.{table} set _load_id = 'late' where {key} = ?", [row_key])
    return day


def test_the_channel_usage_rebuilds_the_days_new_loads_and_moved_records_touch(
    warehouse_bank, tmp_path
):
    """After the build, a session, an event of an older session, a call and a chat arrive in a
    new load, each of another day, and a ДБО login changes golden client (a crosswalk change):
    the increment computes those days and every day of the login's sessions again — a count
    planted on them is gone — and keeps the other days as stored, a count planted on one of
    them too."""
    settings, _ = warehouse_bank
    copy = warehouse_copy(settings.warehouse_path, tmp_path)
    table = "marts.mart_channel_usage_daily"
    with duckdb.connect(str(copy)) as con:
        [login, days] = first_row(
            con,
            f"""
            select login_id, list(distinct {_moscow_date("started_at")})
            from staging.stg_dbo__sessions
            where 'dbo:' || login_id in (select record_key from marts.dim_client_crosswalk)
            group by login_id
            having count(distinct cast(started_at as date)) between 3 and 20
            order by login_id
            limit 1
            """,
        )
        con.execute(
            "insert into identity.crosswalk_changes "
            "select record_key, golden_client_id, golden_client_id, now()::timestamp "
            "from marts.dim_client_crosswalk where record_key = 'dbo:' || ?",
            [login],
        )
        for raw_table in LATE_CONTACTS:
            days.append(_deliver_one_contact_late(con, raw_table, days))
        _record_late_load(con, "late")
        [untouched_day] = first_row(
            con,
            f"select max(activity_date) from {table} where not list_contains($days, activity_date)",
            {"days": days},
        )
        expected = _table_fingerprint(con, table)
        con.execute(
            f"update {table} set unique_clients_count = unique_clients_count + {PLANTED} "
            "where list_contains($days, activity_date) or activity_date = $untouched",
            {"days": days, "untouched": untouched_day},
        )
    _assert_increment_computes_all_but(
        copy, tmp_path, table, "unique_clients_count", "activity_date", untouched_day, expected
    )


def test_the_daily_kpis_are_computed_from_the_first_day_a_new_load_touches(
    warehouse_bank, tmp_path
):
    """A posting of a day in the middle of the history arrives in a new load: the increment
    computes the daily KPIs from that day on, continuing the stored active base and the 30
    stored days before — a count planted on those days is gone — and keeps the days before, a
    count planted 45 days earlier too. Without the stored base or the 30 days the days computed
    differ from the full build."""
    settings, _ = warehouse_bank
    copy = warehouse_copy(settings.warehouse_path, tmp_path)
    table = "marts.mart_kpi_daily"
    with duckdb.connect(str(copy)) as con:
        [day] = first_row(
            con,
            "select min(date_day) + 100 from marts.mart_kpi_daily",
        )
        con.execute(
            "update marts.fct_transactions set _load_id = 'late' where transaction_leg_id = ("
            "select min(transaction_leg_id) from marts.fct_transactions "
            "where posting_date = ? and golden_client_id is not null and channel <> "
            "'Автоматически')",
            [day],
        )
        _record_late_load(con, "late")
        untouched_day = day - dt.timedelta(days=45)
        expected = _table_fingerprint(con, table)
        con.execute(
            f"update {table} set complaints_count = complaints_count + {PLANTED} "
            "where date_day >= ? or date_day = ?",
            [day, untouched_day],
        )
    _assert_increment_computes_all_but(
        copy, tmp_path, table, "complaints_count", "date_day", untouched_day, expected
    )


def test_the_segment_memberships_are_evaluated_again_from_the_first_changed_state(
    warehouse_bank, tmp_path
):
    """Client states of a month end in the middle of the history are written again by a later
    build: the increment evaluates every client again from that date, continuing the memberships
    open at it — a segment planted on one that starts there is gone — and keeps those that ended
    before, a segment planted there too; with that one undone it equals a full build. The
    stretches of a client with no state left (merged away) go whole, without every client being
    evaluated again from the first of them."""
    settings, _ = warehouse_bank
    copy = warehouse_copy(settings.warehouse_path, tmp_path)
    table = "marts.mart_segment_memberships"
    key = "golden_client_id, segment_type, valid_from_date"
    of_key = "golden_client_id = ? and segment_type = ? and valid_from_date = ?"
    with duckdb.connect(str(copy)) as con:
        [day] = first_row(
            con,
            "select as_of_date from (select distinct as_of_date from marts.fct_client_states) "
            "order by as_of_date limit 1 offset 4",
        )
        con.execute(
            "update marts.fct_client_states set funds_balance_rub = 1e8, "
            "_loads_through = now()::timestamp + interval 1 hour "
            "where as_of_date = ? and hash(golden_client_id) % 10 = 0",
            [day],
        )
        planted = {}
        for name, condition in {
            "kept": "valid_to_date < $day - 1",
            "evaluated again": "valid_from_date >= $day",
        }.items():
            planted[name] = first_row(
                con,
                f"select {key}, segment from {table} where {condition} order by all limit 1",
                {"day": day},
            )
            con.execute(f"update {table} set segment = 'planted' where {of_key}", planted[name][:3])
        con.execute(
            f"insert into {table} select * replace ('GC_GONE' as golden_client_id) from {table} "
            f"where golden_client_id = (select min(golden_client_id) from {table})"
        )
    run = dbt_on_copy(copy, tmp_path, "run", "--select", _model(table))
    assert run.returncode == 0, run.stdout[-3000:]
    with duckdb.connect(str(copy)) as con:
        assert con.execute(f"select {key} from {table} where segment = 'planted'").fetchall() == [
            planted["kept"][:3]
        ]
        assert con.execute(
            f"select count(*) from {table} where golden_client_id = 'GC_GONE'"
        ).fetchone() == (0,)
        [kept, evaluated] = first_row(
            con,
            f"select count(*) filter (where _loads_through < stamp.newest), "
            f"count(*) filter (where _loads_through = stamp.newest) from {table}, "
            f"(select max(_loads_through) as newest from {table}) as stamp",
        )
        assert kept > 0 and evaluated > 0
        con.execute(
            f"update {table} set segment = ? where {of_key}",
            [planted["kept"][3], *planted["kept"][:3]],
        )
        increment = _table_fingerprint(con, table)
    run = dbt_on_copy(copy, tmp_path, "run", "--full-refresh", "--select", _model(table))
    assert run.returncode == 0, run.stdout[-3000:]
    with duckdb.connect(str(copy), read_only=True) as con:
        assert _table_fingerprint(con, table) == increment


def test_a_client_state_written_again_unchanged_keeps_its_stamps(warehouse_bank, tmp_path):
    """Two clients here since the first month end each get a crosswalk change naming their own
    golden id (what a new record joined to them looks like to the client states): the increment
    writes their whole history again. The rows of the one whose values came out the same keep
    their stamps, so the segment history is not evaluated again from the first month end; a row
    of the other, planted with a wrong balance, changes and is stamped new — its writer too.
    Without the restamp every row of both is stamped new."""
    settings, _ = warehouse_bank
    copy = warehouse_copy(settings.warehouse_path, tmp_path)
    table = "marts.fct_client_states"
    with duckdb.connect(str(copy)) as con:
        [first_month_end, business_date] = first_row(
            con, f"select min(as_of_date), max(as_of_date) from {table}"
        )
        unchanged, planted = (
            row[0]
            for row in con.execute(
                f"select golden_client_id from {table} where as_of_date = ? "
                "and golden_client_id in (select golden_client_id from marts.dim_client_crosswalk "
                "where record_key like 'abs:%') order by golden_client_id limit 2",
                [first_month_end],
            ).fetchall()
        )
        before = con.execute(
            f"select golden_client_id, as_of_date, _loads_through, _identity_through, _written_by "
            f"from {table} where golden_client_id in (?, ?) and as_of_date < ?",
            [unchanged, planted, business_date],
        ).fetchall()
        con.execute(
            f"update {table} set funds_balance_rub = 1e8 where golden_client_id = ? "
            "and as_of_date = ?",
            [planted, first_month_end],
        )
        con.execute(
            "insert into identity.crosswalk_changes select record_key, golden_client_id, "
            "golden_client_id, now()::timestamp + interval 1 hour "
            "from marts.dim_client_crosswalk where golden_client_id in (?, ?) "
            "and record_key like 'abs:%'",
            [unchanged, planted],
        )
        _record_late_load(con, "restamp")  # so that a row written again is stamped anew
    run = dbt_on_copy(
        copy, tmp_path, "run", "--select", "int_crosswalk_changes_dated", _model(table)
    )
    assert run.returncode == 0, run.stdout[-3000:]
    with duckdb.connect(str(copy), read_only=True) as con:
        after = {
            (client, day): stamps
            for client, day, *stamps in con.execute(
                f"select golden_client_id, as_of_date, _loads_through, _identity_through, "
                f"_written_by from {table} where golden_client_id in (?, ?) and as_of_date < ?",
                [unchanged, planted, business_date],
            ).fetchall()
        }
        [funds] = first_row(
            con,
            f"select funds_balance_rub from {table} where golden_client_id = ? and as_of_date = ?",
            [planted, first_month_end],
        )
    restamped = {(client, day) for client, day, *stamps in before if after[(client, day)] != stamps}
    assert funds != 1e8
    assert restamped == {(planted, first_month_end)}
    # the changed row names this run as its writer (the serving copy writes its month again:
    # serving/month_files.py); the unchanged ones keep theirs
    writers = {(client, day): stamps[-1] for client, day, *stamps in before}
    assert after[(planted, first_month_end)][-1] != writers[(planted, first_month_end)]


def test_a_sole_proprietor_is_a_natural_person_in_the_states_before_registering(warehouse_bank):
    """In the full build a person who registered as an ИП inside the history is ФЛ at every
    as-of date before the registration and ИП from it on, in the states and in the segment
    history (one ФЛ stretch, then one ИП); one registered before the history is ИП throughout."""
    settings, _ = warehouse_bank
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        wrong, natural_first, registered_before = first_row(
            con,
            f"""
            select
                count(*) filter (where states.client_type <> case
                    when states.as_of_date < since.since then 'ФЛ' else 'ИП' end),
                count(distinct since.golden_client_id)
                    filter (where states.as_of_date < since.since),
                count(distinct since.golden_client_id) - count(distinct since.golden_client_id)
                    filter (where states.as_of_date < since.since)
            from ({SOLE_PROPRIETORS_SINCE}) as since
            inner join marts.fct_client_states as states using (golden_client_id)
            """,
        )
        memberships = con.execute(
            f"""
            select memberships.segment, count(*), count(distinct golden_client_id)
            from ({SOLE_PROPRIETORS_SINCE}) as since
            inner join marts.mart_segment_memberships as memberships using (golden_client_id)
            where memberships.segment_type = 'client_type'
            group by all order by all
            """,
        ).fetchall()
    assert natural_first > 0 and registered_before > 0
    assert wrong == 0
    assert memberships == [
        ("ИП", natural_first + registered_before, natural_first + registered_before),
        ("ФЛ", natural_first, natural_first),
    ]


def test_registering_as_a_sole_proprietor_rewrites_no_past_state(warehouse_bank, tmp_path):
    """A ФЛ here since the first month end registers as an ИП on the business date: a new АБС
    record the identity stage joins to the person. The increment leaves every past state of the
    person ФЛ with its stamps, the business date's state is ИП, and the person's segment history
    closes ФЛ the day before and opens ИП. Without the dated client type every past state turns
    ИП and is stamped new."""
    settings, _ = warehouse_bank
    copy = warehouse_copy(settings.warehouse_path, tmp_path)
    states, memberships = "marts.fct_client_states", "marts.mart_segment_memberships"
    past = (
        f"select as_of_date, client_type, _loads_through, _identity_through from {states} "
        "where golden_client_id = ? and as_of_date < ? order by as_of_date"
    )
    with duckdb.connect(str(copy)) as con:
        [first_month_end, business_date] = first_row(
            con, f"select min(as_of_date), max(as_of_date) from {states}"
        )
        [person, record] = first_row(
            con,
            "select golden_client_id, min(source_record_id) from marts.dim_client_crosswalk "
            f"where source = 'abs' and role = 'individual' and golden_client_id in (select "
            f"golden_client_id from {states} where as_of_date = ? and client_type = 'ФЛ') "
            "group by golden_client_id order by golden_client_id limit 1",
            [first_month_end],
        )
        before = con.execute(past, [person, business_date]).fetchall()
        con.execute(
            "insert into raw.abs__clients select * replace ('IP' || abs_client_id as "
            "abs_client_id, 'ИП' as client_type, $day as registration_date, "
            "'sole_proprietorship' as _load_id) from raw.abs__clients "
            "where abs_client_id = $record limit 1",
            {"day": business_date, "record": record},
        )
        con.execute(
            "insert into marts.dim_client_crosswalk select * replace ('abs:IP' || "
            "source_record_id as record_key, 'IP' || source_record_id as source_record_id, "
            "'sole_proprietor' as role) from marts.dim_client_crosswalk "
            "where source = 'abs' and source_record_id = ?",
            [record],
        )
        con.execute(
            "update marts.dim_clients set client_type = 'ИП', is_sole_proprietor = true "
            "where golden_client_id = ?",
            [person],
        )
        con.execute(
            "insert into identity.crosswalk_changes values "
            "($key, null, $person, now()::timestamp + interval 1 hour)",
            {"key": f"abs:IP{record}", "person": person},
        )
        _record_late_load(con, "sole_proprietorship", "abs__clients")
    run = dbt_on_copy(
        copy,
        tmp_path,
        "run",
        "--select",
        "int_crosswalk_changes_dated",
        _model(states),
        _model(memberships),
    )
    assert run.returncode == 0, run.stdout[-3000:]
    with duckdb.connect(str(copy), read_only=True) as con:
        assert con.execute(past, [person, business_date]).fetchall() == before
        assert first_row(
            con,
            f"select client_type from {states} where golden_client_id = ? and as_of_date = ?",
            [person, business_date],
        ) == ("ИП",)
        history = con.execute(
            f"select segment, valid_from_date, valid_to_date from {memberships} "
            "where golden_client_id = ? and segment_type = 'client_type' order by valid_from_date",
            [person],
        ).fetchall()
    assert [segment for segment, *_ in history] == ["ФЛ", "ИП"]
    assert history[0][2] == business_date - dt.timedelta(days=1)
    assert history[1][1:] == (business_date, None)


def test_a_feature_row_disagreeing_with_the_golden_record_is_rebuilt_from_its_month(
    warehouse_bank, tmp_path
):
    """A cross-sell feature row whose client type no longer agrees with the golden record at
    its as-of date — planted in the middle of a client's history — is computed again with the
    client's later rows; the earlier ones keep their stamps, and the table equals the full build
    again."""
    settings, _ = warehouse_bank
    copy = warehouse_copy(settings.warehouse_path, tmp_path)
    table = "ml.ml_features__cross_sell"
    stamps = f"select as_of_date, _loads_through from {table} where golden_client_id = ? order by 1"
    with duckdb.connect(str(copy)) as con:
        full = _table_fingerprint(con, table)
        [client, day] = first_row(
            con,
            f"select golden_client_id, as_of_date from {table} qualify "
            "row_number() over (partition by golden_client_id order by as_of_date) = 2 "
            "and count(*) over (partition by golden_client_id) >= 4 "
            "order by golden_client_id limit 1",
        )
        before = con.execute(stamps, [client]).fetchall()
        con.execute(
            f"update {table} set is_sole_proprietor = not is_sole_proprietor "
            "where golden_client_id = ? and as_of_date = ?",
            [client, day],
        )
        _record_late_load(con, "attributes")  # so that a row written again is stamped anew
    run = dbt_on_copy(copy, tmp_path, "run", "--select", _model(table))
    assert run.returncode == 0, run.stdout[-3000:]
    with duckdb.connect(str(copy), read_only=True) as con:
        assert _table_fingerprint(con, table) == full
        after = con.execute(stamps, [client]).fetchall()
    assert [row for row in after if row[0] < day] == [row for row in before if row[0] < day]
    assert all(new[1] > old[1] for new, old in zip(after, before, strict=True) if new[0] >= day)


REDELIVERED_CONTRACTS = {
    "status_only": "days_past_due = coalesce(days_past_due, 0) + 5",
    "closed": "closed_date = date '2026-08-15', status = (select any_value(status) "
    "from raw.abs__contracts where closed_date is not null)",
    "amount": "amount_rub = amount_rub + 1000",
}
"""How three old contracts of three clients are delivered again: a days-past-due update, a
closure in August, a changed amount."""


def _redeliver_contracts(con) -> dict[str, str]:
    """One new load of raw.abs__contracts holding REDELIVERED_CONTRACTS, finished after every
    watermark; returns each change's golden client."""
    contracts = con.execute(
        """
        -- an open retail contract older than the features' history, of a client holding
        -- another one (who keeps feature rows after its closure): one per client
        select contracts.contract_id, contracts.golden_client_id
        from marts.fct_contracts as contracts
        where
            contracts.client_segment = 'retail' and contracts.closed_date is null
            and contracts.start_date < (select min(as_of_date) from ml.ml_features__churn)
        qualify
            count(*) over (partition by contracts.golden_client_id) >= 2
            and row_number() over (
                partition by contracts.golden_client_id order by contracts.contract_id
            ) = 1
        order by contracts.contract_id
        limit 3
        """
    ).fetchall()
    assert len(contracts) == len(REDELIVERED_CONTRACTS)
    _record_late_load(con, "redelivered", "abs__contracts")
    clients = {}
    for (name, change), (contract_id, client) in zip(
        REDELIVERED_CONTRACTS.items(), contracts, strict=True
    ):
        con.execute(
            "insert into raw.abs__contracts select * replace ('redelivered' as _load_id, "
            "date '2026-11-01' as _business_date) from raw.abs__contracts where contract_id = ? "
            "order by _business_date desc, _line_number desc limit 1",
            [contract_id],
        )
        con.execute(
            f"update raw.abs__contracts set {change} "
            "where _load_id = 'redelivered' and contract_id = ?",
            [contract_id],
        )
        clients[name] = client
    return clients


def test_a_redelivered_contract_counts_from_what_changed_since_its_previous_delivery(
    warehouse_bank, tmp_path
):
    """The churn features of the three clients of REDELIVERED_CONTRACTS after an increment: the
    days-past-due update rewrites none of its client's rows, the closure its rows from the
    closure's month end on, the changed amount every row (it counts from the start)."""
    settings, _ = warehouse_bank
    copy = warehouse_copy(settings.warehouse_path, tmp_path)
    with duckdb.connect(str(copy)) as con:
        clients = _redeliver_contracts(con)
        [watermark] = first_row(con, "select max(_loads_through) from ml.ml_features__churn")
    run = dbt_on_copy(
        copy, tmp_path, "run", "--select", "fct_contracts", "ml_features__client_months",
        "ml_features__churn",
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:]
    with duckdb.connect(str(copy), read_only=True) as con:
        rewritten = {
            name: first_row(
                con,
                "select min(as_of_date) filter (where _loads_through > $watermark), "
                "count(*) filter (where _loads_through > $watermark), min(as_of_date), "
                "count(*) filter (where _loads_through <= $watermark and "
                "as_of_date >= date '2026-08-31') "
                "from ml.ml_features__churn where golden_client_id = $client",
                {"watermark": watermark, "client": client},
            )
            for name, client in clients.items()
        }
    assert rewritten["status_only"][1] == 0
    first_rewritten, _, first, stale = rewritten["closed"]
    assert first_rewritten == dt.date(2026, 8, 31) > first and stale == 0
    first_rewritten, _, first, _ = rewritten["amount"]
    assert first_rewritten == first


def _add_a_kopeck_to_opening_balances(con, records: str, params=None) -> int:
    """Break both chain rules at the balance records ``records`` selects (their ids): the
    opening balance no longer the previous closing one, the closing one no longer the opening
    moved by the turnovers. Returns how many were changed."""
    return con.execute(
        "update marts.fct_balances_daily set opening_balance_rub = opening_balance_rub + 0.01 "
        f"where account_balance_id in ({records})",
        params or [],
    ).fetchone()[0]


def test_the_balance_chain_test_finds_a_broken_record_in_every_account_bucket(
    warehouse_bank, tmp_path
):
    """The chain test looks up previous records bucket by bucket (memory at bank-1m): a
    kopeck added to the opening balance of one later record per bucket breaks both of its
    rules there, so it must report two rows per bucket — no bucket skipped."""
    settings, _ = warehouse_bank
    copy = warehouse_copy(settings.warehouse_path, tmp_path)
    with duckdb.connect(str(copy)) as con:
        broken = _add_a_kopeck_to_opening_balances(
            con,
            """
            select arg_max(account_balance_id, account_balance_id)
            from (
                select
                    account_balance_id,
                    account_number,
                    row_number() over (
                        partition by account_number order by balance_date
                    ) as nth_record
                from marts.fct_balances_daily
            )
            where nth_record > 1
            group by cast(right(account_number, 4) as integer) % 16
            """,
        )
    assert broken == 16
    run = dbt_on_copy(
        copy,
        tmp_path,
        "test",
        "--select",
        "balances_chain_from_day_to_day",
        "--vars",
        "{account_window_buckets: 16}",
    )
    assert run.returncode == 1, run.stdout[-3000:]
    assert f"Got {2 * broken} results" in run.stdout, run.stdout[-3000:]


@contextlib.contextmanager
def _copy_in_the_daily_window(warehouse_bank, tmp_path):
    """A copy of the built warehouse, open, and the first business date a daily build tests
    (macros/data_tests_scope.sql, with the project's data_tests_recent_days of 7)."""
    settings, _ = warehouse_bank
    copy = warehouse_copy(settings.warehouse_path, tmp_path)
    with duckdb.connect(str(copy)) as con:
        [start] = first_row(
            con,
            "select max(business_date) - 7 from audit.file_loads where status = 'loaded'",
        )
        yield copy, con, start


def test_the_daily_build_tests_the_recent_rows_and_the_weekly_build_every_row(
    warehouse_bank, tmp_path
):
    """Break the same rules once in an old row and once in a recent one (macros/
    data_tests_scope.sql): the daily scope reports the recent break only — its chain check
    reaches back to the account's last record before the window — the full scope both."""
    with _copy_in_the_daily_window(warehouse_bank, tmp_path) as (copy, con, start):
        # a posting leg loaded twice, once from the first day's file and once from a recent one
        duplicated = con.execute(
            """
            insert into marts.fct_transactions
            select * from marts.fct_transactions
            where transaction_leg_id in (
                select min(transaction_leg_id) from marts.fct_transactions
                where _business_date = (select min(_business_date) from marts.fct_transactions)
                union all
                select min(transaction_leg_id) from marts.fct_transactions
                where _business_date >= ?
            )
            """,
            [start],
        ).fetchone()[0]
        # a kopeck on the opening balance of a record with a previous one: the first record of
        # the window (whose previous record is before it) and a record long before the window
        broken = _add_a_kopeck_to_opening_balances(
            con,
            """
            select min_by(account_balance_id, account_number)
            from (
                select
                    account_balance_id,
                    account_number,
                    balance_date >= $1 as is_recent,
                    row_number() over (
                        partition by account_number, balance_date >= $1
                        order by balance_date
                    ) as nth_in_part,
                    count(*) filter (where balance_date < $1)
                        over (partition by account_number) as records_before
                from marts.fct_balances_daily
            )
            where records_before > 2
              and nth_in_part = case when is_recent then 1 else 2 end
            group by is_recent
            """,
            [start],
        )
    assert (duplicated, broken) == (2, 2)
    tests = ("one_row_per_posting_and_entry_side", "balances_chain_from_day_to_day")

    daily = dbt_on_copy(
        copy, tmp_path, "test", "--select", *tests, "--vars", "{data_tests_scope: recent}"
    )
    # the duplicate within the window; both rules of the recent broken record
    assert "Got 1 result," in daily.stdout and "Got 2 results" in daily.stdout, daily.stdout

    weekly = dbt_on_copy(copy, tmp_path, "test", "--select", *tests)
    assert "Got 2 results" in weekly.stdout and "Got 4 results" in weekly.stdout, weekly.stdout


def test_the_daily_build_tests_the_recent_loads_of_every_raw_table(warehouse_bank, tmp_path):
    """A raw table is not listed in data_tests_recent_rows, yet its daily tests read the recent
    loads only (macros/data_tests_scope.sql): an account record delivered twice in the first
    day's file and twice in a recent one is one failure daily, two weekly."""
    with _copy_in_the_daily_window(warehouse_bank, tmp_path) as (copy, con, start):
        [duplicated] = con.execute(
            """
            insert into raw.abs__accounts
            select * from raw.abs__accounts
            where (_business_date, _line_number) in (
                select (min(_business_date), min_by(_line_number, _business_date))
                from raw.abs__accounts
                union all
                select (max(_business_date), max_by(_line_number, _business_date))
                from raw.abs__accounts
                where _business_date >= ?
            )
            """,
            [start],
        ).fetchone()
    assert duplicated == 2
    grain = "raw_abs__accounts__one_row_per_account_number_and_business_date"

    def failures(*scope: str) -> int:
        dbt_on_copy(copy, tmp_path, "test", "--select", grain, *scope)
        results = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
        return sum(result["failures"] for result in results)

    assert failures("--vars", "{data_tests_scope: recent}") == 1
    assert failures() == 2


CHANGED_ROWS_TABLES = {
    "marts.dim_accounts": "account_number",
    "marts.fct_contracts": "contract_id",
    "intermediate.int_kpi_applications_stepped": "application_id",
    "intermediate.int_kpi_calls_classified": "call_id",
    "intermediate.int_kpi_leads_converted": "offer_id",
}
"""The tables written by the `changed_rows` strategy (macros/changed_rows.sql), by key."""


def _tamper(con, table: str, key: str) -> None:
    """One row of ``table`` lost, one with a changed text value, one key no build computes."""
    [text_column] = first_row(
        con,
        "select min(column_name) from information_schema.columns where table_schema = ? "
        "and table_name = ? and data_type = 'VARCHAR' and column_name not in (?, ?)",
        [*table.split("."), key, "_written_by"],
    )
    [lost, changed] = [
        k for (k,) in con.execute(f"select {key} from {table} order by {key} limit 2").fetchall()
    ]
    con.execute(f"delete from {table} where {key} = ?", [lost])
    con.execute(
        f"update {table} set {text_column} = coalesce({text_column}, '') || '~' where {key} = ?",
        [changed],
    )
    con.execute(
        f"insert into {table} select * replace ('never-computed' as {key}) from {table} "
        f"where {key} = ?",
        [changed],
    )


def test_tables_that_write_only_changed_rows_equal_a_full_build(warehouse_bank, tmp_path):
    """Each `changed_rows` table, with a row lost, a row changed and a row no build computes,
    built again incrementally: it equals the full build — the lost row back, the changed one
    mended, the stray one deleted."""
    settings, _ = warehouse_bank
    copy = warehouse_copy(settings.warehouse_path, tmp_path)
    with duckdb.connect(str(copy)) as con:
        full = {table: _table_fingerprint(con, table) for table in CHANGED_ROWS_TABLES}
        for table, key in CHANGED_ROWS_TABLES.items():
            _tamper(con, table, key)
            assert _table_fingerprint(con, table) != full[table]
    run = dbt_on_copy(copy, tmp_path, "run", "--select", "config.incremental_strategy:changed_rows")
    assert run.returncode == 0, run.stdout[-3000:]
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    built = {r["unique_id"].split(".")[-1] for r in results}
    assert built == {_model(table) for table in CHANGED_ROWS_TABLES}
    with duckdb.connect(str(copy), read_only=True) as con:
        assert {table: _table_fingerprint(con, table) for table in CHANGED_ROWS_TABLES} == full
