-- Generated from ingestion/contracts by `python -m ingestion.contracts.dbt_staging`; do not edit.
with

source as (

    select * from {{ source('raw', 'abs__transactions') }}

),

cleaned as (

    select
        document_id,
        document_date,
        posting_date,
        debit_account_number,
        credit_account_number,
        amount,
        currency_code,
        amount_rub,
        document_kind_code,
        document_number,
        counterparty_bic,
        counterparty_account_number,
        counterparty_inn,
        counterparty_name,
        purpose,
        channel,
        _business_date,
        _load_id,
        _line_number
    from source

)

select * from cleaned
