-- Generated from ingestion/contracts by `python -m ingestion.contracts.dbt_staging`; do not edit.
with

source as (

    select * from {{ source('raw', 'cards__cards') }}

),

latest as (

    -- A record is delivered again whenever it changes: the latest row is current.
    select * from source
    qualify row_number() over (
        partition by card_id
        order by _business_date desc, _line_number desc
    ) = 1

),

cleaned as (

    select
        card_id,
        contract_id,
        holder_id,
        account_number,
        pan_masked,
        pan_token,
        bin,
        payment_system,
        card_product,
        card_type,
        is_virtual,
        embossed_name,
        expiry,
        status,
        status_reason,
        status_date,
        issue_date,
        is_tokenized,
        _business_date,
        _load_id,
        _line_number
    from latest

)

select * from cleaned
