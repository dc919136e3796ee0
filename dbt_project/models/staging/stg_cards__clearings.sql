-- Generated from ingestion/contracts by `python -m ingestion.contracts.dbt_staging`; do not edit.
with

source as (

    select * from {{ source('raw', 'cards__clearings') }}

),

cleaned as (

    select  -- noqa: ST06
        record_type,
        mti,
        card_id,
        pan_masked,
        pan_token,
        processing_code,
        amount_minor,
        currency_code,
        billing_amount_minor,
        {{ local_to_utc('transaction_at', 'Europe/Moscow') }} as transaction_at,
        posting_date,
        mcc,
        rrn,
        auth_code,
        terminal_id,
        merchant_id,
        merchant_name_location,
        _business_date,
        _load_id,
        _line_number
    from source

)

select * from cleaned
