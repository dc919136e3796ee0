-- Generated from ingestion/contracts by `python -m ingestion.contracts.dbt_staging`; do not edit.
with

source as (

    select * from {{ source('raw', 'contact_center__calls') }}

),

converted as (

    select
        * replace (
            timezone('UTC', timezone('Europe/Moscow', started_at)) as started_at,
            timezone('UTC', timezone('Europe/Moscow', enqueued_at)) as enqueued_at,
            timezone('UTC', timezone('Europe/Moscow', answered_at)) as answered_at,
            timezone('UTC', timezone('Europe/Moscow', ended_at)) as ended_at
        )
    from source

),

cleaned as (

    select
        call_id,
        started_at,
        direction,
        caller_phone,
        bank_line,
        queue,
        enqueued_at,
        answered_at,
        ended_at,
        wait_seconds,
        talk_seconds,
        hold_seconds,
        after_call_work_seconds,
        is_abandoned,
        transferred_to,
        agent_id,
        topic,
        outcome,
        abs_client_id,
        ivr_path,
        _business_date,
        _load_id,
        _line_number
    from converted

)

select * from cleaned
