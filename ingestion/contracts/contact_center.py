"""Contact centre: UTF-8 CSV with BOM, ``,`` separator, values quoted when they need it.

Field meanings follow ``docs/sources/contact_center.md``. Timestamps are Moscow local time;
amounts use a decimal point. There is no trailer.
"""

from __future__ import annotations

from ingestion.contracts.model import Column, FileContract

_CSV = {"format": "delimited", "separator": ",", "quote": '"'}
_CLIENT = {"description": "Identified client: КОД_КЛИЕНТА"}

CALLS = FileContract(
    system="contact_center",
    entity="calls",
    description="Inbound and outbound calls with queue, wait, talk, hold and after-call seconds.",
    file_pattern="calls_{date}.csv",
    columns=(
        Column("call_id", "call_id", role="key"),
        Column("start_ts", "started_at", "timestamp", role="mandatory"),
        Column("direction", "direction", role="mandatory"),
        Column("ani", "caller_phone", checks=("mobile_phone",), pii="phone"),
        Column("dnis", "bank_line"),
        Column("queue", "queue"),
        Column("enqueue_ts", "enqueued_at", "timestamp"),
        Column("answer_ts", "answered_at", "timestamp"),
        Column("end_ts", "ended_at", "timestamp", role="mandatory"),
        Column("wait_sec", "wait_seconds", "integer"),
        Column("talk_sec", "talk_seconds", "integer"),
        Column("hold_sec", "hold_seconds", "integer"),
        Column("acw_sec", "after_call_work_seconds", "integer"),
        Column("abandoned", "is_abandoned", "boolean", true_values=("Y",), false_values=("N",)),
        Column("transferred_to", "transferred_to"),
        Column("agent_id", "agent_id"),
        Column("topic", "topic"),
        Column("outcome", "outcome"),
        Column("identified_client_id", "abs_client_id", **_CLIENT),
        Column("ivr_path", "ivr_path", in_every_file=False, description="Added after an upgrade"),
    ),
    **_CSV,
)

CHATS = FileContract(
    system="contact_center",
    entity="chats",
    description="Chats in the app and on the website, with the in-chat CSAT.",
    file_pattern="chats_{date}.csv",
    columns=(
        Column("chat_id", "chat_id", role="key"),
        Column("started_at", "started_at", "timestamp", role="mandatory"),
        Column("ended_at", "ended_at", "timestamp"),
        Column("channel", "channel"),
        Column("client_login_id", "login_id"),
        Column("identified_client_id", "abs_client_id", **_CLIENT),
        Column("display_name", "display_name", pii="name"),
        Column("topic", "topic"),
        Column("outcome", "outcome"),
        Column("csat", "csat_score", "integer"),
    ),
    **_CSV,
)

COMPLAINTS = FileContract(
    system="contact_center",
    entity="complaints",
    description="Complaints with their 15-working-day deadline; a key repeats as status changes.",
    file_pattern="complaints_{date}.csv",
    versioned=True,
    columns=(
        Column("complaint_id", "complaint_id", role="key"),
        Column("received_ts", "received_at", "timestamp", role="mandatory"),
        Column("channel", "channel"),
        Column("identified_client_id", "abs_client_id", **_CLIENT),
        Column("category", "category", role="mandatory"),
        Column("product", "product"),
        Column("amount_claimed", "amount_claimed_rub", "decimal"),
        Column("due_date", "due_date", "date", role="mandatory"),
        Column("status", "status", role="mandatory"),
        Column("resolution", "resolution"),
        Column("compensation", "compensation_rub", "decimal"),
        Column("closed_ts", "closed_at", "timestamp"),
    ),
    **_CSV,
)

SURVEYS = FileContract(
    system="contact_center",
    entity="surveys",
    description="CSAT (1–5) after calls and NPS (0–10) surveys, sent and answered.",
    file_pattern="surveys_{date}.csv",
    columns=(
        Column("survey_id", "survey_id", role="key"),
        Column("survey_type", "survey_type", role="mandatory"),
        Column("sent_ts", "sent_at", "timestamp", role="mandatory"),
        Column("answered_ts", "answered_at", "timestamp"),
        Column("identified_client_id", "abs_client_id", **_CLIENT),
        Column("call_id", "call_id"),
        Column("score", "score", "integer"),
        Column("comment", "comment", pii="free_text"),
    ),
    **_CSV,
)

COMMUNICATIONS = FileContract(
    system="contact_center",
    entity="communications",
    description="Marketing communications sent (campaign, channel, time, delivery status).",
    file_pattern="communications_{date}.csv",
    columns=(
        Column("communication_id", "communication_id", role="key"),
        Column("campaign_id", "campaign_id", role="mandatory"),
        Column("client_id", "abs_client_id", role="mandatory"),
        Column("channel", "channel", role="mandatory"),
        Column("sent_at", "sent_at", "timestamp", role="mandatory"),
        Column("template_id", "template_id"),
        Column("status", "status"),
    ),
    **_CSV,
)

CONTRACTS_CONTACT_CENTER = (CALLS, CHATS, COMPLAINTS, SURVEYS, COMMUNICATIONS)
