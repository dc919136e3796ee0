{{
    config(
        materialized=core_fact_materialization(),
        incremental_strategy='delete+insert',
        post_hook='{{ refresh_golden_client_ids() }}',
        unique_key='transaction_leg_id',
    )
}}

with

classified as (

    select * from {{ ref('int_transactions_classified') }}

)

select
    transaction_leg_id,
    document_id,
    posting_date,
    account_number,
    golden_client_id,
    client_record_key,
    abs_client_id,
    product_code,
    entry_side,
    direction,
    amount_rub,
    transaction_type,
    counter_account_number,
    counter_balance_account,
    is_counter_client_account,
    is_other_bank,
    document_kind_code,
    channel,
    counterparty_bic,
    counterparty_inn,
    counterparty_name,
    purpose,
    _business_date,
    _load_id,
    {{ written_by_this_run() }} as _written_by
from classified
{% if is_incremental() %}
    where {{ core_rows_to_refresh({'_load_id': ['abs__transactions']}) }}
{% endif %}
