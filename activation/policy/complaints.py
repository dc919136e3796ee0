"""Complaints: no campaign to a client whose complaint is open or was closed recently.

From ``staging.stg_contact_center__complaints`` (latest status of each complaint, identified
clients through the crosswalk): status other than ``closed``, or closed within
``complaint_cooldown_days`` (30) days before the as-of date.
"""

from __future__ import annotations

import datetime as dt

from activation.policy import CROSSWALK, Rule, RuleContext, abs_clients


def _query(ctx: RuleContext) -> tuple[str, dict]:
    since = ctx.as_of - dt.timedelta(days=ctx.policy.complaint_cooldown_days)
    sql = f"""
        select golden_client_id from {abs_clients("stg_contact_center__complaints")}
        where status <> 'closed' or closed_at is null
           or cast(closed_at as date) > {ctx.p("since")}
    """
    return sql, ctx.params(since=since)


RULE = Rule(
    name="complaints",
    summary="no open complaint and none closed in the last 30 days",
    legal_basis="bank policy (conduct: no sales pressure on a client in a dispute, Bank of "
    "Russia guidance on fair treatment of financial-services consumers)",
    mode="exclude",
    reads=("staging.stg_contact_center__complaints", CROSSWALK),
    query=_query,
)
