-- Generated from ingestion/contracts by `python -m ingestion.contracts.dbt_staging`; do not edit.
with

source as (

    select * from {{ source('raw', 'abs__consents') }}

),

latest as (

    -- A record is delivered again whenever it changes: the latest row is current.
    select * from source
    qualify row_number() over (
        partition by consent_id
        order by _business_date desc, _line_number desc
    ) = 1

),

cleaned as (

    select
        consent_id,
        abs_client_id,
        consent_type,
        channel,
        captured_date,
        document_version,
        capture_method,
        withdrawn_date,
        _business_date,
        _load_id,
        _line_number
    from latest

)

select * from cleaned
