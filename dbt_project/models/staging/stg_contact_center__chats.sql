-- Generated from ingestion/contracts by `python -m ingestion.contracts.dbt_staging`; do not edit.
with

source as (

    select * from {{ source('raw', 'contact_center__chats') }}

),

converted as (

    select
        * replace (
            timezone('UTC', timezone('Europe/Moscow', started_at)) as started_at,
            timezone('UTC', timezone('Europe/Moscow', ended_at)) as ended_at
        )
    from source

),

cleaned as (

    select
        chat_id,
        started_at,
        ended_at,
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
    from converted

)

select * from cleaned
