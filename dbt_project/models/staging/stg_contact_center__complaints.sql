-- Generated from ingestion/contracts by `python -m ingestion.contracts.dbt_staging`; do not edit.
with

source as (

    select * from {{ source('raw', 'contact_center__complaints') }}

),

latest as (

    -- A record is delivered again whenever it changes: the latest row is current.
    select * from source
    qualify row_number() over (
        partition by complaint_id
        order by _business_date desc, _line_number desc
    ) = 1

),

cleaned as (

    select  -- noqa: ST06
        complaint_id,
        {{ local_to_utc('received_at', 'Europe/Moscow') }} as received_at,
        channel,
        abs_client_id,
        category,
        product,
        amount_claimed_rub,
        due_date,
        status,
        resolution,
        compensation_rub,
        {{ local_to_utc('closed_at', 'Europe/Moscow') }} as closed_at,
        _business_date,
        _load_id,
        _line_number
    from latest

)

select * from cleaned
