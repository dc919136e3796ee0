-- An asset check on fct_balances_daily (it reads three relations; dagster-dbt needs the ref).
{{ config(meta={'dagster': {'ref': {'name': 'fct_balances_daily'}}}) }}

-- Account-days whose turnovers in the balance file (fct_balances_daily) differ from the postings
-- of that account and day (fct_transactions), or that have postings but no balance record.
-- Postings rejected at load are not in fct_transactions, so an account-day touched by a
-- quarantined posting cannot reconcile: those are left out here (and counted by the integration
-- test tests/integration/test_warehouse_core.py), every other account-day must match exactly.
-- A daily build compares the recent account-days (macros/data_tests_scope.sql).
{%- set recent_start = data_tests_recent_start() %}
with

posted as (

    select
        account_number,
        posting_date,
        sum(amount_rub) filter (where entry_side = 'debit') as debit_rub,
        sum(amount_rub) filter (where entry_side = 'credit') as credit_rub
    from {{ ref('fct_transactions') }}
    where {{ in_data_tests_scope('posting_date', recent_start) }}
    group by account_number, posting_date

),

quarantined as (

    -- fields 3–5 of a posting record: ДАТА_ПРОВ; СЧЕТ_ДТ; СЧЕТ_КТ (before the purpose that broke it)
    select
        unnest([split_part(raw_text, ';', 4), split_part(raw_text, ';', 5)]) as account_number,
        try_strptime(split_part(raw_text, ';', 3), '%d.%m.%Y')::date as posting_date
    from {{ source('quarantine', 'abs__transactions') }}
    where is_rejected

),

compared as (

    select
        balances.debit_turnover_rub,
        balances.credit_turnover_rub,
        coalesce(balances.account_number, posted.account_number) as account_number,
        coalesce(balances.balance_date, posted.posting_date) as balance_date,
        coalesce(posted.debit_rub, 0) as posted_debit_rub,
        coalesce(posted.credit_rub, 0) as posted_credit_rub
    from (
        select * from {{ ref('fct_balances_daily') }}
        where {{ in_data_tests_scope('balance_date', recent_start) }}
    ) as balances
    full join posted
        on
            balances.account_number = posted.account_number
            and balances.balance_date = posted.posting_date

)

select compared.*
from compared
where
    (
        compared.debit_turnover_rub is distinct from compared.posted_debit_rub
        or compared.credit_turnover_rub is distinct from compared.posted_credit_rub
    )
    and not exists (
        select 1 from quarantined
        where
            quarantined.account_number = compared.account_number
            and quarantined.posting_date = compared.balance_date
    )
