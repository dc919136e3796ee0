-- Generated from ingestion/contracts by `python -m ingestion.contracts.dbt_staging`; do not edit.
with

source as (

    select * from {{ source('raw', 'contact_center__surveys') }}

),

converted as (

    select
        * replace (
            timezone('UTC', timezone('Europe/Moscow', sent_at)) as sent_at,
            timezone('UTC', timezone('Europe/Moscow', answered_at)) as answered_at
        )
    from source

),

cleaned as (

    select
        survey_id,
        survey_type,
        sent_at,
        answered_at,
        abs_client_id,
        call_id,
        score,
        comment,
        _business_date,
        _load_id,
        _line_number
    from converted

)

select * from cleaned
