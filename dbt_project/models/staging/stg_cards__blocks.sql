-- Generated from ingestion/contracts by `python -m ingestion.contracts.dbt_staging`; do not edit.
with

source as (

    select * from {{ source('raw', 'cards__blocks') }}

),

latest as (

    -- A record is delivered again whenever it changes: the latest row is current.
    select * from source
    qualify row_number() over (
        partition by block_id
        order by _business_date desc, _line_number desc
    ) = 1

),

cleaned as (

    select
        block_id,
        card_id,
        account_number,
        block_type,
        date_from,
        date_to,
        reason_code,
        _business_date,
        _load_id,
        _line_number
    from latest

)

select * from cleaned
