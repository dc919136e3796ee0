-- The latest balance record of every account (fct_balances_daily keeps only days with
-- movement), kept up to date from the new loads' records alone: the contracts, the client 360
-- and the client states' business date each searched all 68 M records of bank-1m for it.
-- Incremental: a build takes in the balance records of the loads finished after its watermark
-- and keeps, per account, the latest of those and the stored record (a new record of the
-- stored date replaces it: a reloaded partition). Read through `account_balances_on`
-- (macros/account_balances.sql) for a date the latest record may lie after.
{{
    config(
        materialized=core_fact_materialization(),
        incremental_strategy='delete+insert',
        unique_key='account_number',
    )
}}

with

new_records as (
    select
        account_number,
        balance_date,
        closing_balance_rub
    from {{ ref('fct_balances_daily') }}
    {% if is_incremental() %}
        where {{ load_id_in('_load_id', loads_after_kept_watermark()) }}
    {% endif %}
),

records as (
    select * from new_records
    {% if is_incremental() %}
        union all
        select
            kept.account_number,
            kept.balance_date,
            kept.closing_balance_rub
        from {{ this }} as kept
        left join new_records as same_date
            on
                kept.account_number = same_date.account_number
                and kept.balance_date = same_date.balance_date
        where
            same_date.account_number is null
            and kept.account_number in (select new_records.account_number from new_records)
    {% endif %}
)

select
    account_number,
    max(balance_date) as balance_date,
    {{ arg_max('closing_balance_rub', 'balance_date') }} as closing_balance_rub,
    {{ loads_through() }} as _loads_through
from records
group by account_number
