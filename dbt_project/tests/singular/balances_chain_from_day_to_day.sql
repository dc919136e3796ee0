-- Balance records that break the chain: the opening balance must be the previous record's
-- closing balance of the account, and the closing balance the opening one moved by the day's
-- turnovers in the account's normal direction (passive: + credit − debit; active, the 45x loan
-- accounts: + debit − credit). So closing(d) − closing(previous day) = credits − debits of d
-- on a passive account.
-- The previous record comes from a window per account, run on buckets of accounts in turn
-- (macro union_all_account_buckets), carrying only what the comparison needs.
with

unchained as (

    {% call(in_bucket) union_all_account_buckets() %}
        select
            account_number,
            balance_date,
            opening_balance_rub,
            lag(closing_balance_rub) over (
                partition by account_number order by balance_date
            ) as previous_closing_balance_rub
        from {{ ref('fct_balances_daily') }}
        where {{ in_bucket }}
    {% endcall %}

)

select
    account_number,
    balance_date,
    'opening balance is not the previous closing balance' as broken_rule
from unchained
where
    opening_balance_rub
    is distinct from coalesce(previous_closing_balance_rub, opening_balance_rub)

union all

select
    account_number,
    balance_date,
    'closing balance is not the opening balance moved by the turnovers' as broken_rule
from {{ ref('fct_balances_daily') }}
where
    closing_balance_rub <> opening_balance_rub + case balance_side
        when 'active' then debit_turnover_rub - credit_turnover_rub
        else credit_turnover_rub - debit_turnover_rub
    end
