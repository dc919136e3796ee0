-- One row per account × calendar month with balance records: the closing balance of the
-- month's last record. The balance of an account on a month end (or on the business date, the
-- last day of data) is then the latest of these rows on or before its month. Carrying balances
-- forward over these rows instead of every daily record keeps the window and the ASOF join of
-- the consumers within memory at bank-1m (68 M daily records, 19 M account-months).
-- Incremental: a build aggregates again the account-months that the balance records of the
-- loads finished after its watermark fall in, from all their records. As a view, every reader
-- aggregated all 68 M records, even the client states' refresh of a few clients (8 s of it).
-- The account's window bucket is stored (macros/union_all_account_buckets.sql): computed in the
-- reader, DuckDB evaluated it once per bucket for every row (3.8 of the client states' 5.8 s at
-- bank-300k when month ends are refreshed). A table built without it stops the build: rebuild
-- it once with --full-refresh.
{{
    config(
        materialized=core_fact_materialization(),
        incremental_strategy='delete+insert',
        unique_key=['account_number', 'month_start_date'],
        on_schema_change='fail',
    )
}}

with

balances as (
    select
        account_number,
        balance_date,
        cast(date_trunc('month', balance_date) as date) as month_start_date,
        closing_balance_rub
    from {{ ref('fct_balances_daily') }}
),

{% if is_incremental() %}
    {#- the new loads and the first month they touch, as literals: the scans skip the row groups
        outside them #}
    {%- set new_loads = loads_after_kept_watermark() %}
    {%- set first_touched_month = first_month_of_loads(
        ref('fct_balances_daily'), 'balance_date', new_loads
    ) %}
    touched_months as (
        select distinct
            account_number,
            cast(date_trunc('month', balance_date) as date) as month_start_date
        from {{ ref('fct_balances_daily') }}
        where {{ load_id_in('_load_id', new_loads) }}
    ),
{% endif %}

month_records as (
    select balances.*
    from balances
    {% if is_incremental() %}
        inner join touched_months
            on
                balances.account_number = touched_months.account_number
                and balances.month_start_date = touched_months.month_start_date
        where {{ "balances.balance_date >= date '" ~ first_touched_month ~ "'"
            if first_touched_month else 'false' }}
    {% endif %}
)

select
    account_number,
    month_start_date,
    {{ account_bucket('account_number') }} as account_bucket,
    {{ arg_max('closing_balance_rub', 'balance_date') }} as closing_balance_rub,
    {{ loads_through() }} as _loads_through
from month_records
group by account_number, month_start_date
