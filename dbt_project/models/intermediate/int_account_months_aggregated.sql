-- One row per account × calendar month with balance records: the closing balance of the
-- month's last record. The balance of an account on a month end (or on the business date, the
-- last day of data) is then the latest of these rows on or before its month. Carrying balances
-- forward over these rows instead of every daily record keeps the window and the ASOF join of
-- the consumers within memory at bank-1m (68 M daily records, 15 M account-months).
select
    account_number,
    cast(date_trunc('month', balance_date) as date) as month_start_date,
    {{ arg_max('closing_balance_rub', 'balance_date') }} as closing_balance_rub
from {{ ref('fct_balances_daily') }}
group by account_number, cast(date_trunc('month', balance_date) as date)
