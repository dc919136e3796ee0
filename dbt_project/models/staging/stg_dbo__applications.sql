-- Generated from ingestion/contracts by `python -m ingestion.contracts.dbt_staging`; do not edit.
with

source as (

    select * from {{ source('raw', 'dbo__applications') }}

),

cleaned as (

    select
        application_id,
        login_id,
        abs_client_id,
        product_code,
        channel,
        offer_id,
        campaign_id,
        step,
        decline_reason,
        step_at,
        _business_date,
        _load_id,
        _line_number
    from source

)

select * from cleaned
