"""What each channel's file carries: the minimum personal data the recipient system needs.

SMS: the phone. E-mail: the address and the name to greet with. Call: the phone, the name to
address the client by, and the time zone with the allowed call window in UTC. Push: the ДБО
login the push service addresses. Every file also carries the campaign and the golden client id
(the key responses come back with).
"""

from __future__ import annotations

CALL_WINDOW = tuple(
    f"strftime(date '2000-01-01' + cast(${bound} as time) "
    "- to_hours(z.utc_offset_hours::integer), '%H:%M')"
    for bound in ("call_start", "call_end")
)
"""The allowed call window (policy.yml call_hours, local) in UTC for the client's offset."""

FIELDS = {
    "sms": {"phone": "d.mobile_phone"},
    "email": {"email": "d.email", "first_name": "d.first_name", "patronymic": "d.patronymic"},
    "call": {
        "phone": "d.mobile_phone",
        "first_name": "d.first_name",
        "patronymic": "d.patronymic",
        "time_zone": "z.time_zone",
        "call_from_utc": CALL_WINDOW[0],
        "call_to_utc": CALL_WINDOW[1],
    },
    "push": {"dbo_login": "l.dbo_login"},
}
"""Channel → output column → SQL over ``dim_clients d`` (and the joins below)."""

JOINS = {
    "call": "left join activation_client_time_zones z using (golden_client_id)",
    "push": "left join (select golden_client_id, min(source_record_id) as dbo_login "
    "from marts.dim_client_crosswalk where source = 'dbo' group by all) l using (golden_client_id)",
}


def select_sql(
    channel: str, audience: str, campaign_id: str, call_hours: dict[str, str]
) -> tuple[str, dict[str, object]]:
    """The export rows of the channel for the clients of ``audience`` (a relation with
    ``golden_client_id``), in client order so that a re-run writes the same bytes."""
    columns = ", ".join(f"{sql} as {name}" for name, sql in FIELDS[channel].items())
    params: dict[str, object] = {"campaign_id": campaign_id}
    if channel == "call":
        params |= {"call_start": call_hours["start"], "call_end": call_hours["end"]}
    sql = (
        f"select $campaign_id as campaign_id, a.golden_client_id, {columns} "
        f"from {audience} a join marts.dim_clients d using (golden_client_id) "
        f"{JOINS.get(channel, '')} order by a.golden_client_id"
    )
    return sql, params
