-- Generated from ingestion/contracts by `python -m ingestion.contracts.dbt_staging`; do not edit.
with

source as (

    select * from {{ source('raw', 'contact_center__chats') }}

),

cleaned as (

    select  -- noqa: ST06
        chat_id,
        {{ local_to_utc('started_at', 'Europe/Moscow') }} as started_at,
        {{ local_to_utc('ended_at', 'Europe/Moscow') }} as ended_at,
        channel,
        login_id,
        abs_client_id,
        display_name,
        topic,
        outcome,
        csat_score,
        _business_date,
        _load_id,
        _line_number
    from source

)

select * from cleaned
