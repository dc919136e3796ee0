-- Generated from ingestion/contracts by `python -m ingestion.contracts.dbt_staging`; do not edit.
with

source as (

    select * from {{ source('raw', 'contact_center__calls') }}

),

cleaned as (

    select  -- noqa: ST06
        call_id,
        {{ local_to_utc('started_at', 'Europe/Moscow') }} as started_at,
        direction,
        caller_phone,
        bank_line,
        queue,
        {{ local_to_utc('enqueued_at', 'Europe/Moscow') }} as enqueued_at,
        {{ local_to_utc('answered_at', 'Europe/Moscow') }} as answered_at,
        {{ local_to_utc('ended_at', 'Europe/Moscow') }} as ended_at,
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
    from source

)

select * from cleaned
