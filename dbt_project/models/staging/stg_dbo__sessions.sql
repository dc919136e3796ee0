-- Generated from ingestion/contracts by `python -m ingestion.contracts.dbt_staging`; do not edit.
with

source as (

    select * from {{ source('raw', 'dbo__sessions') }}

),

cleaned as (

    select
        session_id,
        login_id,
        channel,
        app_version,
        device_id,
        os,
        ip_prefix,
        geo_region,
        auth_method,
        result,
        fail_reason,
        started_at,
        ended_at,
        _business_date,
        _load_id,
        _line_number
    from source

)

select * from cleaned
