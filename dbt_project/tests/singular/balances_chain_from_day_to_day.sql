-- Balance records that break the chain: the opening balance must be the previous record's
-- closing balance of the account, and the closing balance the opening one moved by the day's
-- turnovers in the account's normal direction (passive: + credit − debit; active, the 45x loan
-- accounts: + debit − credit). So closing(d) − closing(previous day) = credits − debits of d
-- on a passive account.
select *
from (
    select
        account_balance_id,
        balance_side,
        opening_balance_rub,
        debit_turnover_rub,
        credit_turnover_rub,
        closing_balance_rub,
        lag(closing_balance_rub) over (
            partition by account_number order by balance_date
        ) as previous_closing_balance_rub
    from {{ ref('fct_balances_daily') }}
) as chained
where
    opening_balance_rub is distinct from coalesce(previous_closing_balance_rub, opening_balance_rub)
    or closing_balance_rub <> opening_balance_rub + case balance_side
        when 'active' then debit_turnover_rub - credit_turnover_rub
        else credit_turnover_rub - debit_turnover_rub
    end
