"""Digital banking (ДБО): UTF-8 JSON lines, one object per line, ISO 8601 UTC timestamps.

Field meanings follow ``docs/sources/dbo.md``. Every key is always present (``null`` when
empty); an empty file (0 bytes) is a valid day with no rows.
"""

from __future__ import annotations

from ingestion.contracts.model import Column, FileContract

_JSONL = {
    "format": "json_lines",
    "header": False,
    "timestamp_format": "%Y-%m-%dT%H:%M:%S%.fZ",
    "timezone": "UTC",
}

SESSIONS = FileContract(
    system="dbo",
    entity="sessions",
    description="App and internet-bank sessions: device, channel, authentication and result.",
    file_pattern="sessions_{date}.jsonl",
    columns=(
        Column("session_id", "session_id", role="key"),
        Column("client_login_id", "login_id", role="mandatory"),
        Column("channel", "channel", role="mandatory"),
        Column("app_version", "app_version"),
        Column("device_id", "device_id", pii="device"),
        Column("os", "os"),
        Column("ip_prefix", "ip_prefix", pii="network"),
        Column("geo_region", "geo_region"),
        Column("auth_method", "auth_method"),
        Column("result", "result", role="mandatory"),
        Column("fail_reason", "fail_reason"),
        Column("started_at", "started_at", "timestamp", role="mandatory"),
        Column("ended_at", "ended_at", "timestamp"),
    ),
    **_JSONL,
)

EVENTS = FileContract(
    system="dbo",
    entity="events",
    description="In-app events: logins, transfers, payments, offers shown and clicked.",
    file_pattern="events_{date}.jsonl",
    columns=(
        Column("event_id", "event_id", role="key"),
        Column("session_id", "session_id", role="mandatory"),
        Column("client_login_id", "login_id", role="mandatory"),
        Column("ts", "event_at", "timestamp", role="mandatory"),
        Column("event_type", "event_type", role="mandatory"),
        Column("screen", "screen"),
        Column("product_code", "product_code"),
        Column("amount", "amount_rub", "decimal"),
        Column("status", "status"),
        Column("offer_id", "offer_id"),
        Column("campaign_id", "campaign_id"),
    ),
    **_JSONL,
)

APPLICATIONS = FileContract(
    system="dbo",
    entity="applications",
    description="Product applications, one row per funnel step (started … issued or declined).",
    file_pattern="applications_{date}.jsonl",
    columns=(
        Column("app_id", "application_id", role="key"),
        Column("client_login_id", "login_id"),
        Column("cbs_client_id", "abs_client_id", description="Only for office and contact centre"),
        Column("product_code", "product_code", role="mandatory"),
        Column("channel", "channel", role="mandatory"),
        Column("offer_id", "offer_id"),
        Column("campaign_id", "campaign_id"),
        Column("step", "step", role="key"),
        Column("decline_reason", "decline_reason"),
        Column("ts", "step_at", "timestamp", role="mandatory"),
    ),
    **_JSONL,
)

PROFILES = FileContract(
    system="dbo",
    entity="profiles",
    description="Logins and the contact details the user typed; a key repeats when it changes.",
    file_pattern="profiles_{date}.jsonl",
    versioned=True,
    columns=(
        Column("login_id", "login_id", role="key"),
        Column("display_name", "display_name", pii="name"),
        Column("phone", "mobile_phone", role="mandatory", checks=("mobile_phone",), pii="phone"),
        Column("email", "email", checks=("email",), pii="email"),
        Column("registered_at", "registered_at", "timestamp", role="mandatory"),
        Column("updated_at", "updated_at", "timestamp"),
    ),
    **_JSONL,
)

CLIENT_MAPPINGS = FileContract(
    system="dbo",
    entity="client_mappings",
    description="Login → core banking client code; sometimes days late, for a few logins never.",
    file_pattern="client_mapping_{date}.jsonl",
    depends_on=("abs__clients",),
    versioned=True,
    columns=(
        Column("login_id", "login_id", role="key"),
        Column(
            "cbs_client_id",
            "abs_client_id",
            role="key",
            references=("abs__clients", "abs_client_id"),
        ),
        Column("mapped_at", "mapped_at", "timestamp", role="mandatory"),
    ),
    **_JSONL,
)

CONTRACTS_DBO = (SESSIONS, EVENTS, APPLICATIONS, PROFILES, CLIENT_MAPPINGS)
