{{
    config(
        materialized=core_fact_materialization(),
        incremental_strategy='changed_rows',
        unique_key='account_number',
    )
}}

select
    account_number,
    golden_client_id,
    abs_client_id,
    client_record_key,
    contract_id,
    product_code,
    product_type,
    client_segment,
    balance_account,
    balance_side,
    currency_code,
    opened_date,
    closed_date,
    status,
    branch_code,
    product_name,
    status = 'open' as is_open
from {{ ref('int_accounts_enriched') }}
