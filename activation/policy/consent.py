"""Consent rules: personal-data processing consent (152-FZ) and the channel's marketing consent
(38-FZ art. 18).

Read from ``staging.stg_abs__consents`` — a view over the raw load, so a withdrawal loaded this
morning counts in the next export even before the marts are rebuilt. A withdrawal takes effect
at once: a consent is in force when it is not withdrawn, and a client's consent for a purpose and
channel holds only if its newest capture is later than any withdrawal of that purpose and channel
on any of the client's АБС records (a withdrawal on a duplicate record counts).
"""

from __future__ import annotations

from activation.policy import CROSSWALK, Rule, RuleContext, abs_clients

CONSENT_CHANNEL = {"sms": "SMS", "email": "EMAIL", "call": "ЗВОНОК", "push": "PUSH"}
"""Export channel → КАНАЛ of the АБС marketing consent (ВИД_СОГЛАСИЯ РЕКЛАМА)."""
PERSONAL_DATA_TYPE, MARKETING_TYPE = "ОБРАБОТКА_ПДН", "РЕКЛАМА"


def in_force(ctx: RuleContext, consent_type: str, channel: str | None) -> tuple[str, dict]:
    sql = f"""
        select golden_client_id
        from {abs_clients("stg_abs__consents")}
        where consent_type = {ctx.p("type")} and channel is not distinct from {ctx.p("channel")}
          and captured_date <= {ctx.p("as_of")}
        group by golden_client_id
        having max(captured_date) filter (where withdrawn_date is null)
            > coalesce(max(withdrawn_date), date '0001-01-01')
    """
    return sql, ctx.params(type=consent_type, channel=channel, as_of=ctx.as_of)


PERSONAL_DATA = Rule(
    name="personal_data_consent",
    summary="a consent to personal-data processing in force",
    legal_basis="152-FZ art. 6 part 1 p. 1, art. 9 (consent of the data subject)",
    mode="require",
    reads=("staging.stg_abs__consents", CROSSWALK),
    query=lambda ctx: in_force(ctx, PERSONAL_DATA_TYPE, None),
)

MARKETING = Rule(
    name="marketing_consent",
    summary="a marketing consent for the export's channel in force; a withdrawal counts at once",
    legal_basis="38-FZ art. 18 part 1 (advertising by telecommunication needs the subscriber's "
    "prior consent; it stops on the subscriber's request)",
    mode="require",
    reads=("staging.stg_abs__consents", CROSSWALK),
    query=lambda ctx: in_force(ctx, MARKETING_TYPE, CONSENT_CHANNEL[ctx.channel]),
)
