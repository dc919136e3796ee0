-- The product catalogue as АБС names it: one row per (contract type, product name) found on
-- contracts or accounts, mapped to a product code and type. Rules by product name first (the
-- most specific), then by contract type, then by balance-sheet account for accounts without a
-- contract; what no rule knows stays `unmapped` and fails the check constraint of dim_products.
-- A table of a few rows: as a view, each of its three readers (dim_products, fct_contracts and,
-- through int_accounts_enriched, dim_accounts) read every account and contract again to find
-- the same names (bank-300k: 0.5 s each, every build).
{{ config(materialized='table') }}

with

named as (

    select
        contract_type,
        product_name,
        null as balance_account
    from {{ ref('stg_abs__contracts') }}
    union
    select
        contracts.contract_type,
        account_rows.product_name,
        account_rows.balance_account
    from {{ ref('stg_abs__accounts') }} as account_rows
    left join {{ ref('stg_abs__contracts') }} as contracts
        on account_rows.contract_id = contracts.contract_id

),

catalogue as (

    select
        contract_type,
        product_name,
        -- a product's balance account, when its accounts all sit on one family
        min(left(balance_account, 3)) as balance_family
    from named
    group by contract_type, product_name

),

typed as (

    select
        contract_type,
        product_name,
        case
            when product_name = 'Вклад до востребования' then 'demand_deposit'
            when product_name = 'Накопительный счёт' then 'savings'
            when product_name = 'РКО ИП' then 'rko'
            when contract_type = 'текущий счёт' then 'current_account'
            when contract_type = 'накопительный счёт' then 'savings'
            when contract_type = 'вклад' then 'term_deposit'
            when contract_type = 'кредитная карта' then 'credit_card'
            when contract_type = 'кредит наличными' then 'cash_loan'
            when contract_type = 'ипотека' then 'mortgage'
            when contract_type = 'автокредит' then 'car_loan'
            when contract_type = 'брокерское обслуживание' then 'brokerage'
            when contract_type = 'страхование' then 'insurance'
            when contract_type = 'РКО' then 'rko'
            when contract_type = 'зарплатный проект' then 'salary_project'
            when contract_type = 'эквайринг' then 'acquiring'
            when contract_type = 'кредит бизнесу' then 'business_loan'
            when balance_family = '408' then 'current_account'
            when balance_family = '423' then 'term_deposit'
            else 'unmapped'
        end as product_type,
        case
            when product_name = 'РКО ИП' then 'sole_proprietor'
            when
                contract_type in ('РКО', 'зарплатный проект', 'эквайринг', 'кредит бизнесу')
                then 'business'
            else 'retail'
        end as client_segment
    from catalogue

)

select
    contract_type,
    product_name,
    product_type,
    -- the РКО of a sole proprietor is a product of its own (its own name and tariff)
    case
        when client_segment = 'sole_proprietor' then product_type || '_sole_proprietor'
        else product_type
    end as product_code,
    case when client_segment = 'sole_proprietor' then 'business' else client_segment end
        as client_segment,
    product_type in (
        'credit_card', 'cash_loan', 'mortgage', 'car_loan', 'business_loan'
    ) as is_credit
from typed
