-- Balance records that break the chain: the opening balance must be the previous record's
-- closing balance of the account, and the closing balance the opening one moved by the day's
-- turnovers in the account's normal direction (passive: + credit − debit; active, the 45x loan
-- accounts: + debit − credit). So closing(d) − closing(previous day) = credits − debits of d
-- on a passive account.
-- The previous record comes from a window per account, computed on var('test_balance_chain_buckets')
-- buckets of accounts in turn, carrying only what the comparison needs: DuckDB keeps a window's
-- whole input in memory, and one window over every balance record of bank-1m does not fit the
-- warehouse's memory limit. The bucket is the account's last four digits (its serial number,
-- evenly spread) modulo the bucket count, which Spark computes the same way (its hash() is signed).
{% set buckets = var('test_balance_chain_buckets') %}
with

unchained as (

    {% for bucket in range(buckets) %}
        select
            account_number,
            balance_date,
            opening_balance_rub,
            lag(closing_balance_rub) over (
                partition by account_number order by balance_date
            ) as previous_closing_balance_rub
        from {{ ref('fct_balances_daily') }}
        where cast(right(account_number, 4) as integer) % {{ buckets }} = {{ bucket }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

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
