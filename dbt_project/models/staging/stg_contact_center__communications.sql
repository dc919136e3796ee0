-- Generated from ingestion/contracts by `python -m ingestion.contracts.dbt_staging`; do not edit.
with

source as (

    select * from {{ source('raw', 'contact_center__communications') }}

),

converted as (

    select
        * replace (
            timezone('UTC', timezone('Europe/Moscow', sent_at)) as sent_at
        )
    from source

),

cleaned as (

    select
        communication_id,
        campaign_id,
        abs_client_id,
        channel,
        sent_at,
        template_id,
        status,
        _business_date,
        _load_id,
        _line_number
    from converted

)

select * from cleaned
