-- Generated from ingestion/contracts by `python -m ingestion.contracts.dbt_staging`; do not edit.
with

source as (

    select * from {{ source('raw', 'contact_center__surveys') }}

),

cleaned as (

    select  -- noqa: ST06
        survey_id,
        survey_type,
        {{ local_to_utc('sent_at', 'Europe/Moscow') }} as sent_at,
        {{ local_to_utc('answered_at', 'Europe/Moscow') }} as answered_at,
        abs_client_id,
        call_id,
        score,
        comment,
        _business_date,
        _load_id,
        _line_number
    from source

)

select * from cleaned
