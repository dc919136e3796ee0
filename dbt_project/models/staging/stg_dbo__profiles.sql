-- Generated from ingestion/contracts by `python -m ingestion.contracts.dbt_staging`; do not edit.
with

source as (

    select * from {{ source('raw', 'dbo__profiles') }}

),

latest as (

    -- A record is delivered again whenever it changes: the latest row is current.
    select * from source
    qualify row_number() over (
        partition by login_id
        order by _business_date desc, _line_number desc
    ) = 1

),

cleaned as (

    select
        login_id,
        display_name,
        mobile_phone,
        email,
        registered_at,
        updated_at,
        _business_date,
        _load_id,
        _line_number
    from latest

)

select * from cleaned
