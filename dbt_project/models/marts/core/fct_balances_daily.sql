{{
    config(
        materialized=core_fact_materialization(),
        incremental_strategy='delete+insert',
        post_hook='{{ refresh_golden_client_ids() }}',
        unique_key='account_balance_id',
    )
}}

with

balances as (

    select * from {{ ref('stg_abs__balances') }}

),

accounts as (

    select
        account_number,
        client_record_key,
        golden_client_id,
        product_code,
        balance_side
    from {{ ref('dim_accounts') }}

)

select
    balances.account_number,
    balances.balance_date,
    accounts.golden_client_id,
    accounts.client_record_key,
    accounts.product_code,
    accounts.balance_side,
    balances.opening_balance as opening_balance_rub,
    balances.debit_turnover as debit_turnover_rub,
    balances.credit_turnover as credit_turnover_rub,
    balances.closing_balance as closing_balance_rub,
    balances._business_date,
    balances._load_id,
    balances.account_number || ':' || cast(balances.balance_date as {{ dbt.type_string() }})
        as account_balance_id,
    {{ written_by_this_run() }} as _written_by
from balances
left join accounts on balances.account_number = accounts.account_number
{% if is_incremental() %}
    where {{ core_rows_to_refresh({'_load_id': ['abs__balances']}) }}
{% endif %}
