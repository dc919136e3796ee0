-- Generated from ingestion/contracts by `python -m ingestion.contracts.dbt_staging`; do not edit.
with

source as (

    select * from {{ source('raw', 'abs__contracts') }}

),

latest as (

    -- A record is delivered again whenever it changes: the latest row is current.
    select * from source
    qualify row_number() over (
        partition by contract_id
        order by _business_date desc, _line_number desc
    ) = 1

),

cleaned as (

    select
        contract_id,
        contract_number,
        abs_client_id,
        contract_type,
        product_name,
        start_date,
        end_date,
        closed_date,
        amount_rub,
        interest_rate,
        status,
        account_number,
        days_past_due,
        has_autopayment,
        _business_date,
        _load_id,
        _line_number
    from latest

)

select * from cleaned
