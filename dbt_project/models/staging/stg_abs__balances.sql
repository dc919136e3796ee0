-- Generated from ingestion/contracts by `python -m ingestion.contracts.dbt_staging`; do not edit.
with

source as (

    select * from {{ source('raw', 'abs__balances') }}

),

cleaned as (

    select
        balance_date,
        account_number,
        opening_balance,
        debit_turnover,
        credit_turnover,
        closing_balance,
        _business_date,
        _load_id,
        _line_number
    from source

)

select * from cleaned
