-- Generated from ingestion/contracts by `python -m ingestion.contracts.dbt_staging`; do not edit.
with

source as (

    select * from {{ source('raw', 'cards__holders') }}

),

latest as (

    -- A record is delivered again whenever it changes: the latest row is current.
    select * from source
    qualify row_number() over (
        partition by holder_id
        order by _business_date desc, _line_number desc
    ) = 1

),

cleaned as (

    select  -- noqa: ST06
        holder_id,
        abs_client_id,
        last_name_latin,
        first_name_latin,
        birth_date,
        mobile_phone,
        email,
        {{ local_to_utc('created_at', 'Europe/Moscow') }} as created_at,
        _business_date,
        _load_id,
        _line_number
    from latest

)

select * from cleaned
