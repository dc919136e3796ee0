-- Generated from ingestion/contracts by `python -m ingestion.contracts.dbt_staging`; do not edit.
with

source as (

    select * from {{ source('raw', 'abs__clients') }}

),

latest as (

    -- A record is delivered again whenever it changes: the latest row is current.
    select * from source
    qualify row_number() over (
        partition by abs_client_id
        order by _business_date desc, _line_number desc
    ) = 1

),

cleaned as (

    select  -- noqa: ST06
        abs_client_id,
        client_type,
        surname,
        first_name,
        patronymic,
        organization_name,
        nullif(birth_date, date '1900-01-01') as birth_date,
        sex,
        citizenship_code,
        is_resident,
        document_type_code,
        document_series,
        document_number,
        document_issue_date,
        document_issuer_code,
        inn,
        snils,
        ogrn,
        kpp,
        okopf_code,
        okved_code,
        registration_address,
        actual_address,
        mobile_phone,
        other_phone,
        email,
        registration_date,
        branch_code,
        segment,
        aml_risk_level,
        parent_abs_client_id,
        profile_updated_date,
        _business_date,
        _load_id,
        _line_number
    from latest

)

select * from cleaned
