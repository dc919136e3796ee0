{#
  Each account's latest balance record on or before `as_of_date` (a SQL expression):
  account_number, balance_date, closing_balance_rub. The stored latest record
  (int_account_last_balances_tracked) where it is not later than the date; for the accounts
  whose latest record is later — a balance file delivered before the day's postings, which set
  the business date — the records of those accounts alone are searched.
#}
{% macro account_balances_on(as_of_date) -%}
(
    select
        account_number,
        balance_date,
        closing_balance_rub
    from {{ ref('int_account_last_balances_tracked') }}
    where balance_date <= {{ as_of_date }}
    union all
    select
        account_number,
        max(balance_date) as balance_date,
        {{ arg_max('closing_balance_rub', 'balance_date') }} as closing_balance_rub
    from {{ ref('fct_balances_daily') }}
    where
        balance_date <= {{ as_of_date }}
        and account_number in (
            select later.account_number
            from {{ ref('int_account_last_balances_tracked') }} as later
            where later.balance_date > {{ as_of_date }}
        )
    group by account_number
)
{%- endmacro %}
