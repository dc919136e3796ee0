-- Generated from ingestion/contracts by `python -m ingestion.contracts.dbt_staging`; do not edit.
with

source as (

    select * from {{ source('raw', 'dbo__events') }}

),

cleaned as (

    select
        event_id,
        session_id,
        login_id,
        event_at,
        event_type,
        screen,
        product_code,
        amount_rub,
        status,
        offer_id,
        campaign_id,
        _business_date,
        _load_id,
        _line_number
    from source

)

select * from cleaned
