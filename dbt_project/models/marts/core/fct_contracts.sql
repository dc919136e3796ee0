{{
    config(
        materialized=core_fact_materialization(),
        incremental_strategy='changed_rows',
        unique_key='contract_id',
    )
}}

with

contracts as (

    select * from {{ ref('stg_abs__contracts') }}

),

-- every delivered version: the worst days past due a contract ever had
history as (

    select
        contract_id,
        max(days_past_due) as max_days_past_due
    from {{ source('raw', 'abs__contracts') }}
    group by contract_id

),

products as (

    select * from {{ ref('int_products_mapped') }}

),

crosswalk as (

    select
        record_key,
        golden_client_id
    from {{ source('golden_record', 'dim_client_crosswalk') }}

),

latest_balances as (

    select
        account_number,
        closing_balance_rub as balance_rub,
        balance_date
    from {{ ref('int_account_last_balances_tracked') }}

)

select
    contracts.contract_id,
    contracts.contract_number,
    contracts.abs_client_id,
    crosswalk.golden_client_id,
    products.product_code,
    products.product_type,
    products.client_segment,
    products.is_credit,
    contracts.account_number,
    contracts.start_date,
    contracts.end_date as planned_end_date,
    contracts.closed_date,
    contracts.amount_rub,
    contracts.interest_rate as interest_rate_pct,
    contracts.days_past_due,
    contracts.has_autopayment,
    latest_balances.balance_rub as last_balance_rub,
    latest_balances.balance_date as last_balance_date,
    contracts._business_date,
    'abs:' || contracts.abs_client_id as client_record_key,
    case contracts.status
        when 'действует' then 'active'
        when 'просрочен' then 'overdue'
        when 'закрыт' then 'closed'
    end as status,
    contracts.closed_date is null as is_open,
    coalesce(history.max_days_past_due, contracts.days_past_due) as max_days_past_due,
    contracts.days_past_due > 0 as is_overdue
from contracts
left join history on contracts.contract_id = history.contract_id
left join products
    on
        contracts.product_name = products.product_name
        and contracts.contract_type = products.contract_type
left join crosswalk on crosswalk.record_key = 'abs:' || contracts.abs_client_id
left join latest_balances on contracts.account_number = latest_balances.account_number
