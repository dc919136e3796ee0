-- Authorizations matched to clearings on card_id + rrn over the whole history
-- (macros/match_card_transactions.sql).
{{ match_card_transactions(ref('stg_cards__authorizations'), ref('stg_cards__clearings')) }}
