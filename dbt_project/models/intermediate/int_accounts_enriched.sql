-- One row per АБС account with its product, balance side and golden client: the shared
-- lookup of dim_accounts and the facts that hang off an account.
with

accounts as (

    select * from {{ ref('stg_abs__accounts') }}

),

contracts as (

    select
        contract_id,
        contract_type
    from {{ ref('stg_abs__contracts') }}

),

products as (

    select * from {{ ref('int_products_mapped') }}

),

crosswalk as (

    select
        record_key,
        golden_client_id
    from {{ source('golden_record', 'dim_client_crosswalk') }}

)

select
    accounts.account_number,
    accounts.abs_client_id,
    crosswalk.golden_client_id,
    accounts.contract_id,
    products.product_code,
    products.product_type,
    products.client_segment,
    accounts.balance_account,
    accounts.currency_code,
    accounts.opened_date,
    accounts.closed_date,
    accounts.branch_code,
    accounts.product_name,
    'abs:' || accounts.abs_client_id as client_record_key,
    -- Chart of accounts (809-П): the 45x loan accounts are active (the client owes the bank),
    -- the client accounts of 30601, 40x and 42x are passive.
    case when accounts.balance_account like '45%' then 'active' else 'passive' end
        as balance_side,
    case accounts.status when 'открыт' then 'open' when 'закрыт' then 'closed' end as status
from accounts
left join contracts on accounts.contract_id = contracts.contract_id
left join products
    on
        accounts.product_name = products.product_name
        and products.contract_type is not distinct from contracts.contract_type
left join crosswalk on crosswalk.record_key = 'abs:' || accounts.abs_client_id
