-- Generated from ingestion/contracts by `python -m ingestion.contracts.dbt_staging`; do not edit.
with

source as (

    select * from {{ source('raw', 'abs__accounts') }}

),

latest as (

    -- A record is delivered again whenever it changes: the latest row is current.
    select * from source
    qualify row_number() over (
        partition by account_number
        order by _business_date desc, _line_number desc
    ) = 1

),

cleaned as (

    select
        account_number,
        abs_client_id,
        balance_account,
        currency_code,
        opened_date,
        closed_date,
        status,
        product_name,
        branch_code,
        contract_id,
        _business_date,
        _load_id,
        _line_number
    from latest

)

select * from cleaned
