-- АБС postings turned into legs: one row per posting and side (debit, credit) whose account is
-- a client account (listed in ACCOUNTS); the bank's technical accounts (30102 correspondent,
-- 30232 card settlements, 20202 cash desk, 70601 fee income, 70606 interest expense) are never
-- a leg, they only describe the other side. A transfer between two client accounts gives two
-- legs, one per account.
with

postings as (

    select * from {{ ref('stg_abs__transactions') }}

),

-- The account dimension, a table: the accounts view behind it (deduplicated snapshots, product
-- mapping, golden ids) evaluated again by each of its readers cost ≈ 4 s apiece at bank-1m.
accounts as (

    select
        account_number,
        client_record_key,
        golden_client_id,
        abs_client_id,
        product_code,
        product_type,
        balance_account
    from {{ ref('dim_accounts') }}

),

-- Each posting read once and paired with its two sides: a union of two selects from postings
-- made DuckDB materialize the whole extract, purposes and all, for the second read (at bank-1m
-- 72 M postings spilled 46 GB to disk and filled it).
entry_sides as (

    select 'debit' as entry_side
    union all
    select 'credit' as entry_side

),

sides as (

    select
        postings.*,
        entry_sides.entry_side,
        case entry_sides.entry_side
            when 'debit' then postings.debit_account_number
            else postings.credit_account_number
        end as account_number,
        case entry_sides.entry_side
            when 'debit' then postings.credit_account_number
            else postings.debit_account_number
        end as counter_account_number
    from postings
    cross join entry_sides

)

select
    sides.document_id || ':' || left(sides.entry_side, 1) as transaction_leg_id,
    sides.document_id,
    sides.posting_date,
    sides.account_number,
    accounts.client_record_key,
    accounts.golden_client_id,
    accounts.abs_client_id,
    accounts.product_code,
    accounts.product_type,
    accounts.balance_account,
    sides.entry_side,
    -- a credit entry brings money onto the account (a repayment onto a loan account too)
    case sides.entry_side when 'credit' then 'in' else 'out' end as direction,
    sides.amount_rub,
    sides.counter_account_number,
    left(sides.counter_account_number, 5) as counter_balance_account,
    counter.product_type as counter_product_type,
    counter.account_number is not null as is_counter_client_account,
    sides.document_kind_code,
    sides.channel,
    sides.counterparty_bic,
    sides.counterparty_account_number,
    sides.counterparty_inn,
    sides.counterparty_name,
    coalesce(sides.counterparty_bic <> '{{ var("bank_bic") }}', false) as is_other_bank,
    sides.purpose,
    sides._business_date,
    sides._load_id
from sides
inner join accounts on sides.account_number = accounts.account_number
left join accounts as counter on sides.counter_account_number = counter.account_number
