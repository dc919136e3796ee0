-- Generated from ingestion/contracts by `python -m ingestion.contracts.dbt_staging`; do not edit.
with

source as (

    select * from {{ source('raw', 'dbo__client_mappings') }}

),

latest as (

    -- A record is delivered again whenever it changes: the latest row is current.
    select * from source
    qualify row_number() over (
        partition by login_id, abs_client_id
        order by _business_date desc, _line_number desc
    ) = 1

),

cleaned as (

    select
        login_id,
        abs_client_id,
        mapped_at,
        _business_date,
        _load_id,
        _line_number
    from latest

)

select * from cleaned
