-- Retail transaction type of every posting leg, from what the extract holds: the balance-sheet
-- accounts of both sides, the products of the client accounts involved, the counterparty's bank
-- and the payment purpose. The first rule that matches wins; the order and each rule are in
-- docs/warehouse.md ("Classification rules") and covered by unit tests (_intermediate__models.yml).
with

legs as (

    select * from {{ ref('int_transaction_legs_unioned') }}

),

flagged as (

    select
        *,
        product_type in ('savings', 'demand_deposit', 'term_deposit') as is_deposit,
        coalesce(counter_product_type in ('savings', 'demand_deposit', 'term_deposit'), false)
            as is_counter_deposit,
        balance_account in ('40702', '40802') as is_settlement_account,
        -- loans: 45206/45406 business loans, 455xx retail loans and the 45509 credit card
        balance_account like '45%' as is_loan,
        counter_balance_account like '45%' as is_counter_loan
    from legs

)

-- every leg column, then its type. DuckDB evaluates a WHEN only on the rows no earlier WHEN
-- took, so the purpose patterns run on what the accounts leave open (a pattern computed for every
-- leg up front cost 49 of 59 s at bank-100k). Patterns match case-insensitively through the
-- regex flag (regexp_matches_ci, macros/cross_db): lower() on the Cyrillic purposes cost 14 s of
-- the model at bank-100k, the flag nothing.
{%- set salary = 'заработн|аванс|преми[яи] |премия$|отпускн' %}
select
    *,  -- noqa: AM04
    case
        when counter_balance_account = '70606' then 'interest'
        when counter_balance_account = '70601' then 'fee'
        when counter_balance_account = '30232' then 'card_settlement'
        when counter_balance_account = '20202' and direction = 'in' then 'cash_deposit'
        when counter_balance_account = '20202' then 'cash_withdrawal'
        when is_loan and direction = 'in' then 'loan_repayment'
        when is_loan then 'loan_issue'
        when is_counter_loan and direction = 'out' then 'loan_repayment'
        when is_counter_loan then 'loan_issue'
        when
            direction = 'out' and is_settlement_account
            and {{ regexp_matches_ci('purpose', salary) }}
            then 'payroll'
        when direction = 'in' and {{ regexp_matches_ci('purpose', salary) }}
            then 'salary_credit'
        when
            direction = 'in'
            and {{ regexp_matches_ci('purpose', 'пенси|пособи|выплата на ребенка|осфр|соцзащит') }}
            then 'pension_benefit'
        when
            direction = 'out'
            and (
                counterparty_bic like '0170%'
                or counterparty_account_number like '03100643%'
                or {{ regexp_matches_ci(
                    'purpose',
                    'налоговый платеж|налог на |транспортный налог|земельный налог|ндфл|уин \\d',
                ) }}
            )
            then 'tax'
        when
            direction = 'out'
            and {{ regexp_matches_ci(
                'purpose',
                'жку|епд|коммунальн|электроэнерг|водоснабж|газоснабж|теплоснабж|капремонт'
                ~ '|мобильной связи|услуг связи',
            ) }}
            then 'utilities'
        when
            is_other_bank
            and {{ regexp_matches_ci('purpose', 'собственных средств|между своими счетами|me2me') }}
            then 'own_account_other_bank'
        when is_deposit and is_counter_client_account and direction = 'in' then 'deposit_topup'
        when is_deposit and is_counter_client_account then 'deposit_withdrawal'
        when is_counter_deposit and direction = 'out' then 'deposit_topup'
        when is_counter_deposit then 'deposit_withdrawal'
        when {{ regexp_matches_ci('purpose', 'сбп|систем[а-я]* быстрых платежей') }}
            then case direction when 'in' then 'sbp_in' else 'sbp_out' end
        when
            {{ regexp_matches_ci(
                'purpose',
                'с карты на карту|card2card|на карту другого банка|с карты другого банка',
            ) }}
            then 'card_to_card'
        when is_settlement_account then 'business_payment'
        else 'other'
    end as transaction_type
from flagged
