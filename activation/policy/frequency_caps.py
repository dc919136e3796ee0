"""Frequency caps per channel and period, from the communications actually sent.

``staging.stg_contact_center__communications`` logs every marketing message (campaign, channel,
time, status). For each cap of ``policy.yml`` that covers the export's channel, a client who
already received ``max_contacts`` messages on the cap's channels in the ``period_days`` days
ending on the as-of date (Moscow calendar days, UTC+3 all year since 26.10.2014; failed
deliveries do not count) is left out, as
this export would go beyond the cap.
"""

from __future__ import annotations

import datetime as dt

from activation.policy import CROSSWALK, Rule, RuleContext, abs_clients


def _query(ctx: RuleContext) -> tuple[str, dict]:
    caps = [c for c in ctx.policy.frequency_caps if ctx.channel in c["channels"]]
    parts, params = [], {}
    for i, cap in enumerate(caps):
        since = ctx.as_of - dt.timedelta(days=cap["period_days"] - 1)
        parts.append(
            f"""
            select golden_client_id
            from {abs_clients("stg_contact_center__communications")}
            where status <> 'failed' and list_contains({ctx.p(f"channels_{i}")}, channel)
              and cast(sent_at + interval 3 hour as date)
                  between {ctx.p(f"since_{i}")} and {ctx.p("as_of")}
            group by golden_client_id
            having count(*) >= {ctx.p(f"max_{i}")}
            """
        )
        params |= ctx.params(
            **{
                f"channels_{i}": cap["channels"],
                f"since_{i}": since,
                f"max_{i}": cap["max_contacts"],
            }
        )
    if not parts:
        return "select null::varchar as golden_client_id where false", {}
    return " union ".join(parts), params | ctx.params(as_of=ctx.as_of)


RULE = Rule(
    name="frequency_caps",
    summary="under every frequency cap of the channel (e.g. ≤ 2 marketing contacts and ≤ 1 call "
    "in 7 days)",
    legal_basis="bank policy (38-FZ art. 18 consent is not consent to unlimited messages; caps "
    "keep campaigns from becoming harassment)",
    mode="exclude",
    reads=("staging.stg_contact_center__communications", CROSSWALK),
    query=_query,
)
