-- An asset check on fct_balances_daily (it reads two relations; dagster-dbt needs the ref).
{{ config(meta={'dagster': {'ref': {'name': 'fct_balances_daily'}}}) }}
-- depends_on: {{ ref('int_account_months_aggregated') }}
-- Balance records that break the chain: the opening balance must be the previous record's
-- closing balance of the account, and the closing balance the opening one moved by the day's
-- turnovers in the account's normal direction (passive: + credit − debit; active, the 45x loan
-- accounts: + debit − credit). So closing(d) − closing(previous day) = credits − debits of d
-- on a passive account.
-- The previous record comes from a window per account, run on buckets of accounts in turn
-- (macro union_all_account_buckets), carrying only what the comparison needs. A daily build
-- checks the recent records (macros/data_tests_scope.sql), few enough for one window, the
-- first one of an account against the account's last record before them: the last of its
-- records earlier in that month, else its closing balance of the latest month before, kept in
-- int_account_months_aggregated (every record before the recent ones, aggregated per account
-- took 5.5–8.2 s of the daily tests at bank-1m).
{%- set recent_start = data_tests_recent_start() %}
with

unchained as (

    {% if recent_start %}
        select
            account_number,
            balance_date,
            opening_balance_rub,
            is_checked,
            lag(closing_balance_rub) over (
                partition by account_number order by balance_date
            ) as previous_closing_balance_rub
        from (
            select
                account_number,
                balance_date,
                opening_balance_rub,
                closing_balance_rub,
                true as is_checked
            from {{ ref('fct_balances_daily') }}
            where {{ in_data_tests_scope('balance_date', recent_start) }}
            union all
            select
                account_number,
                max(balance_date) as balance_date,
                null as opening_balance_rub,
                arg_max(closing_balance_rub, balance_date) as closing_balance_rub,
                false as is_checked
            from (
                select
                    account_number,
                    balance_date,
                    closing_balance_rub
                from {{ ref('fct_balances_daily') }}
                where
                    balance_date >= date_trunc('month', date '{{ recent_start }}')
                    and balance_date < date '{{ recent_start }}'
                union all
                select
                    account_number,
                    month_start_date as balance_date,
                    closing_balance_rub
                from {{ ref('int_account_months_aggregated') }}
                where month_start_date < date_trunc('month', date '{{ recent_start }}')
            ) as earlier
            -- every account's: those without recent records check nothing, and picking the
            -- others out cost more than it saved
            group by account_number
        ) as records
    {% else %}
        {% call(in_bucket) union_all_account_buckets() %}
            select  -- noqa: LT02 (a call block inside an if block: the rule cannot follow it)
                account_number,
                balance_date,
                opening_balance_rub,
                true as is_checked,
                lag(closing_balance_rub) over (
                    partition by account_number order by balance_date
                ) as previous_closing_balance_rub
            from {{ ref('fct_balances_daily') }}
            where {{ in_bucket }}  -- noqa: LT02
        {% endcall %}
    {% endif %}

)

select
    account_number,
    balance_date,
    'opening balance is not the previous closing balance' as broken_rule
from unchained
where
    is_checked
    and opening_balance_rub
    is distinct from coalesce(previous_closing_balance_rub, opening_balance_rub)

union all

select
    account_number,
    balance_date,
    'closing balance is not the opening balance moved by the turnovers' as broken_rule
from {{ ref('fct_balances_daily') }}
where
    {{ in_data_tests_scope('balance_date', recent_start) }}
    and closing_balance_rub <> opening_balance_rub + case balance_side
        when 'active' then debit_turnover_rub - credit_turnover_rub
        else credit_turnover_rub - debit_turnover_rub
    end
