"""AML / 115-FZ: no campaign to a client whose operations are suspended under 115-FZ.

Card processing delivers 115-FZ suspensions as card blocks (``stg_cards__blocks`` block type
``fz115_suspension``); a block in force on the as-of date (started, not ended) stops every
channel for the card's owner (the account's golden client in ``dim_accounts``, or the card
holder through the crosswalk). The АБС carries only a risk level (УРОВЕНЬ_РИСКА), not a block;
levels listed in ``aml_abs_risk_levels`` also stop marketing (none by default).
"""

from __future__ import annotations

from activation.policy import CROSSWALK, Rule, RuleContext, abs_clients


def _query(ctx: RuleContext) -> tuple[str, dict]:
    sql = f"""
        with blocks as (
            select card_id, account_number from staging.stg_cards__blocks
            where list_contains({ctx.p("block_types")}, block_type)
              and date_from <= {ctx.p("as_of")}
              and (date_to is null or date_to > {ctx.p("as_of")})
        )
        select a.golden_client_id from blocks b
        join marts.dim_accounts a on a.account_number = b.account_number
        union
        select x.golden_client_id from blocks b
        join staging.stg_cards__cards c on c.card_id = b.card_id
        join marts.dim_client_crosswalk x on x.source = 'cards' and x.source_record_id = c.holder_id
        union
        select golden_client_id from {abs_clients("stg_abs__clients", "t.aml_risk_level")}
        where list_contains({ctx.p("risk_levels")}, aml_risk_level)
    """
    return sql, ctx.params(
        block_types=list(ctx.policy.aml_card_block_types),
        risk_levels=list(ctx.policy.aml_abs_risk_levels),
        as_of=ctx.as_of,
    )


RULE = Rule(
    name="aml_115fz",
    summary="no 115-FZ suspension in force (card blocks fz115_suspension)",
    legal_basis="115-FZ art. 7 (operations suspended or refused; the bank does not solicit new "
    "business from such a client)",
    mode="exclude",
    reads=(
        "staging.stg_cards__blocks",
        "staging.stg_cards__cards",
        "staging.stg_abs__clients",
        "marts.dim_accounts",
        CROSSWALK,
    ),
    query=_query,
)
