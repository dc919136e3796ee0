-- Generated from ingestion/contracts by `python -m ingestion.contracts.dbt_staging`; do not edit.
with

source as (

    select * from {{ source('raw', 'cards__clearings') }}

),

converted as (

    select
        * replace (
            timezone('UTC', timezone('Europe/Moscow', transaction_at)) as transaction_at
        )
    from source

),

cleaned as (

    select
        record_type,
        mti,
        card_id,
        pan_masked,
        pan_token,
        processing_code,
        amount_minor,
        currency_code,
        billing_amount_minor,
        transaction_at,
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
    from converted

)

select * from cleaned
