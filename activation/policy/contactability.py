"""Contactability: only valid contact data leaves the bank.

SMS and calls need the golden record's mobile phone (``dim_clients.mobile_phone``, the freshest
valid Russian mobile) confirmed valid in ``dim_client_contacts``; e-mail the golden e-mail, valid
the same way; push needs a ДБО login (the push service addresses the app by login).
"""

from __future__ import annotations

from activation.policy import CROSSWALK, Rule, RuleContext

CONTACT = {"sms": ("phone", "mobile_phone"), "call": ("phone", "mobile_phone"),
           "email": ("email", "email")}  # fmt: skip
"""Channel → (dim_client_contacts.contact_type, dim_clients column)."""


def _query(ctx: RuleContext) -> tuple[str, dict]:
    if ctx.channel == "push":
        return "select golden_client_id from marts.dim_client_crosswalk where source = 'dbo'", {}
    contact_type, column = CONTACT[ctx.channel]
    sql = f"""
        select d.golden_client_id from marts.dim_clients d
        join marts.dim_client_contacts k
          on k.golden_client_id = d.golden_client_id and k.contact_type = {ctx.p("type")}
         and k.value = d.{column} and k.is_valid
    """
    return sql, ctx.params(type=contact_type)


RULE = Rule(
    name="contactability",
    summary="a valid mobile phone (SMS, call), a valid e-mail (e-mail) or a ДБО login (push)",
    legal_basis="152-FZ art. 5 part 5 (data accurate for its purpose); 38-FZ art. 18 part 1 "
    "(the consent is the subscriber's: a wrong number reaches someone who never agreed)",
    mode="require",
    reads=("marts.dim_clients", "marts.dim_client_contacts", CROSSWALK),
    query=_query,
)
