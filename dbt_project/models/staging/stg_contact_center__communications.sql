-- Generated from ingestion/contracts by `python -m ingestion.contracts.dbt_staging`; do not edit.
with

source as (

    select * from {{ source('raw', 'contact_center__communications') }}

),

cleaned as (

    select  -- noqa: ST06
        communication_id,
        campaign_id,
        abs_client_id,
        channel,
        {{ local_to_utc('sent_at', 'Europe/Moscow') }} as sent_at,
        template_id,
        status,
        _business_date,
        _load_id,
        _line_number
    from source

)

select * from cleaned
