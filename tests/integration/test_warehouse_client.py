"""Client 360, segment history and daily client KPIs on the tiny bank: reconciled with the core
facts they summarise, and the segment invariants the docs promise."""

from __future__ import annotations

import statistics

import dagster as dg
import pytest

from tests.warehouse_queries import first_row

pytestmark = pytest.mark.integration

CLIENT_MARTS = ["mart_client_360", "mart_segment_memberships", "mart_kpi_daily"]
INVARIANT_CHECKS = {
    ("mart_client_360", "every_golden_client_has_one_client_360_row"),
    ("mart_segment_memberships", "segment_types_partition_the_clients"),
    ("mart_segment_memberships", "segment_memberships_do_not_overlap"),
}


def test_client_marts_materialize_and_their_invariants_pass_as_checks(warehouse_bank):
    _, result = warehouse_bank
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert {dg.AssetKey(["marts", m]) for m in CLIENT_MARTS} <= materialized
    checks = {
        (e.event_specific_data.asset_key.path[-1], e.event_specific_data.check_name): (
            e.event_specific_data.passed
        )
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }
    assert {check: checks.get(check) for check in INVARIANT_CHECKS} == dict.fromkeys(
        INVARIANT_CHECKS, True
    )


def test_one_row_per_golden_client_as_of_the_business_date(built):
    rows, clients, as_of = first_row(
        built,
        "select count(*), count(distinct golden_client_id), max(as_of_date) "
        "from marts.mart_client_360",
    )
    [golden] = first_row(built, "select count(*) from marts.dim_clients")
    [business_date] = first_row(built, "select max(_business_date) from marts.fct_transactions")
    assert rows == clients == golden > 0
    assert as_of == business_date


def test_balances_reconcile_with_the_latest_balance_of_every_open_account(built):
    """An ASOF JOIN on the core facts, the way docs/warehouse.md says to read a balance."""
    expected = first_row(
        built,
        """
        with as_of as (select max(_business_date) as d from marts.fct_transactions),
        open_accounts as (
            select a.account_number, a.golden_client_id, a.balance_side, as_of.d
            from marts.dim_accounts as a, as_of
            where a.golden_client_id is not null and a.opened_date <= as_of.d
              and (a.closed_date is null or a.closed_date > as_of.d)
        )
        select
            sum(b.closing_balance_rub) filter (where o.balance_side = 'passive'),
            sum(b.closing_balance_rub) filter (where o.balance_side = 'active')
        from open_accounts as o
        asof join marts.fct_balances_daily as b
            on o.account_number = b.account_number and o.d >= b.balance_date
        """,
    )
    funds, debt, by_type_funds, by_type_debt = first_row(
        built,
        """
        select sum(funds_balance_rub), sum(debt_balance_rub),
            sum(current_account_balance_rub + savings_balance_rub + term_deposit_balance_rub
                + brokerage_balance_rub + business_account_balance_rub),
            sum(credit_card_debt_rub + loan_debt_rub)
        from marts.mart_client_360
        """,
    )
    assert expected[0] > 0 and expected[1] > 0
    assert (funds, debt) == expected
    assert (by_type_funds, by_type_debt) == expected


def test_salary_income_is_the_median_of_the_last_three_months_salary_credits(built):
    monthly = built.execute(
        """
        with as_of as (select max(_business_date) as d from marts.fct_transactions)
        select t.golden_client_id, date_trunc('month', t.posting_date) as m, sum(t.amount_rub)
        from marts.fct_transactions as t, as_of
        where t.transaction_type = 'salary_credit' and t.golden_client_id is not null
          and t.posting_date >= date_trunc('month', as_of.d + 1) - interval 3 month
          and t.posting_date < date_trunc('month', as_of.d + 1)
        group by all
        """
    ).fetchall()
    sums: dict[str, list] = {}
    for client, _, amount in monthly:
        sums.setdefault(client, []).append(amount)
    mart = {
        client: (income, total, months)
        for client, income, total, months in built.execute(
            "select golden_client_id, estimated_monthly_income_rub, salary_credit_3m_rub, "
            "salary_months_count from marts.mart_client_360"
        ).fetchall()
    }
    assert len(sums) > 300, "the tiny bank has salary clients"
    for client, amounts in sums.items():
        padded = amounts + [0] * (3 - len(amounts))
        assert mart[client] == (statistics.median(padded), sum(amounts), len(amounts)), client
    others = [c for c, (income, _, _) in mart.items() if c not in sums and income != 0]
    assert others == []


def test_lifecycle_and_value_tier_partition_the_clients(built):
    [clients] = first_row(built, "select count(*) from marts.mart_client_360")
    for segment_type in ("lifecycle", "value_tier"):
        counts = dict(
            built.execute(
                "select segment, count(*) from marts.mart_segment_memberships "
                "where is_current and segment_type = ? group by segment",
                [segment_type],
            ).fetchall()
        )
        assert sum(counts.values()) == clients, segment_type
        assert len(counts) >= 3, f"{segment_type}: {counts}"
    mismatched = first_row(
        built,
        """
        select count(*) from marts.mart_client_360 as c
        join marts.mart_segment_memberships as m
            on m.golden_client_id = c.golden_client_id and m.is_current
        where (m.segment_type = 'lifecycle' and m.segment <> c.lifecycle_stage)
           or (m.segment_type = 'value_tier' and m.segment <> c.value_tier)
        """,
    )
    assert mismatched == (0,)


def test_active_clients_on_the_last_day_are_the_clients_with_an_operation_in_90_days(built):
    [kpi_active] = first_row(
        built,
        "select active_clients_count from marts.mart_kpi_daily "
        "where date_day = (select max(date_day) from marts.mart_kpi_daily)",
    )
    [operating, active_or_new_operating] = first_row(
        built,
        "select count(*) filter (where days_since_last_operation < 90), "
        "count(*) filter (where lifecycle_stage = 'active' or "
        "(lifecycle_stage in ('new', 'closed') and days_since_last_operation < 90)) "
        "from marts.mart_client_360",
    )
    assert kpi_active == operating == active_or_new_operating > 0


def test_segment_on_a_date_is_the_evaluation_at_the_last_month_end_before_it(built):
    """The query of the analyst guide ("segment of client X on date D") against the rules
    evaluated at that month end."""
    [differences] = first_row(
        built,
        """
        select count(*)
        from intermediate.int_client_segments_assigned as s
        left join marts.mart_segment_memberships as m
            on m.golden_client_id = s.golden_client_id and m.segment_type = 'lifecycle'
            and m.valid_from_date <= date '2026-09-15'
            and (m.valid_to_date is null or date '2026-09-15' <= m.valid_to_date)
        where s.as_of_date = date '2026-08-31' and m.segment is distinct from s.lifecycle_stage
        """,
    )
    [evaluated] = first_row(
        built,
        "select count(*) from intermediate.int_client_segments_assigned "
        "where as_of_date = date '2026-08-31'",
    )
    assert evaluated > 0 and differences == 0
    [changed] = first_row(
        built,
        "select count(distinct golden_client_id) from marts.mart_segment_memberships "
        "where segment_type = 'lifecycle' and not is_current",
    )
    assert changed > 0, "history: some clients changed lifecycle stage during the year"


def test_consents_follow_captures_and_withdrawals(built):
    [wrong] = first_row(
        built,
        """
        with as_of as (select max(_business_date) as d from marts.fct_transactions),
        in_force as (
            select x.golden_client_id, bool_or(c.channel = 'SMS') as sms
            from staging.stg_abs__consents as c
            join marts.dim_client_crosswalk as x on x.record_key = 'abs:' || c.abs_client_id,
            as_of
            where c.consent_type = 'РЕКЛАМА' and c.captured_date <= as_of.d
              and (c.withdrawn_date is null or c.withdrawn_date > as_of.d)
            group by x.golden_client_id
        )
        select count(*) from marts.mart_client_360 as m
        left join in_force using (golden_client_id)
        where m.has_marketing_sms_consent <> coalesce(in_force.sms, false)
        """,
    )
    withdrawn, with_pd = first_row(
        built,
        "select count(*) filter (where not has_marketing_sms_consent), "
        "count(*) filter (where has_personal_data_consent) from marts.mart_client_360",
    )
    assert wrong == 0
    assert withdrawn > 0 and with_pd > 0
