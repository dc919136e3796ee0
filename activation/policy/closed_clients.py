"""Closed clients: no campaign to a former client (lifecycle ``closed``: no open account on the
as-of date, ``marts.mart_client_360``)."""

from __future__ import annotations

from activation.policy import Rule, RuleContext


def _query(ctx: RuleContext) -> tuple[str, dict]:
    return "select golden_client_id from marts.mart_client_360 where lifecycle_stage = 'closed'", {}


RULE = Rule(
    name="closed_clients",
    summary="the client still holds an open account",
    legal_basis="152-FZ art. 5 part 7, art. 21 part 4 (purpose achieved: the relationship ended) "
    "and bank policy",
    mode="exclude",
    reads=("marts.mart_client_360",),
    query=_query,
)
