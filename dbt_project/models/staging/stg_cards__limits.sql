-- Generated from ingestion/contracts by `python -m ingestion.contracts.dbt_staging`; do not edit.
with

source as (

    select * from {{ source('raw', 'cards__limits') }}

),

latest as (

    -- A record is delivered again whenever it changes: the latest row is current.
    select * from source
    qualify row_number() over (
        partition by card_id, limit_type
        order by _business_date desc, _line_number desc
    ) = 1

),

cleaned as (

    select
        card_id,
        limit_type,
        value_minor,
        currency_code,
        valid_from_date,
        _business_date,
        _load_id,
        _line_number
    from latest

)

select * from cleaned
