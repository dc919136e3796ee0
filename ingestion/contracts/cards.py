"""Card processing: UTF-8 pipe-separated files, ISO dates, kopecks, ``TRL|rows|sum`` trailer.

Field meanings follow ``docs/sources/cards.md``; ISO 8583 data elements are named in the
descriptions. Timestamps are Moscow local time, except DE7 which stays raw text (no year).
"""

from __future__ import annotations

from ingestion.contracts.model import Column, FileContract, Trailer

_PIPE = {"format": "delimited", "separator": "|", "quote": None}
_TRL_NO_SUM = Trailer(marker="TRL", sum_column=None)
_TRL_AMOUNT = Trailer(marker="TRL", sum_column="amount_minor")
_YN = {"true_values": ("Y",), "false_values": ("N",)}

HOLDERS = FileContract(
    system="cards",
    entity="holders",
    description="Card holders as the processing centre knows them: Latin names, phone, email.",
    file_pattern="holders_{date}.txt",
    trailer=_TRL_NO_SUM,
    depends_on=("abs__clients",),
    versioned=True,
    columns=(
        Column("HOLDER_ID", "holder_id", role="key"),
        Column(
            "CBS_CLIENT_ID",
            "abs_client_id",
            role="mandatory",
            references=("abs__clients", "abs_client_id"),
            description="Core banking client code (КОД_КЛИЕНТА)",
        ),
        Column("LAST_NAME", "last_name_latin", role="mandatory", pii="name"),
        Column("FIRST_NAME", "first_name_latin", role="mandatory", pii="name"),
        Column("BIRTH_DATE", "birth_date", "date", role="mandatory", pii="birth_date"),
        Column("MOBILE_PHONE", "mobile_phone", checks=("mobile_phone",), pii="phone"),
        Column("EMAIL", "email", checks=("email",), pii="email"),
        Column("CREATED_AT", "created_at", "timestamp"),
    ),
    **_PIPE,
)

CARDS = FileContract(
    system="cards",
    entity="cards",
    description="Cards: one row per card (a reissue is a new card of the same contract).",
    file_pattern="cards_{date}.txt",
    trailer=_TRL_NO_SUM,
    depends_on=("cards__holders",),
    versioned=True,
    columns=(
        Column("CARD_ID", "card_id", role="key"),
        Column("CONTRACT_ID", "contract_id", role="mandatory"),
        Column(
            "HOLDER_ID", "holder_id", role="mandatory", references=("cards__holders", "holder_id")
        ),
        Column("ACCOUNT_NUMBER", "account_number", role="mandatory"),
        Column("PAN_MASKED", "pan_masked", role="mandatory", pii="card"),
        Column("PAN_TOKEN", "pan_token", description="Keyed PAN token (HMAC)"),
        Column("BIN", "bin"),
        Column("PAYMENT_SYSTEM", "payment_system"),
        Column("CARD_PRODUCT", "card_product"),
        Column("CARD_TYPE", "card_type"),
        Column("IS_VIRTUAL", "is_virtual", "boolean", **_YN),
        Column("EMBOSSED_NAME", "embossed_name", pii="name"),
        Column("EXPIRY", "expiry", description="MM/YY"),
        Column("STATUS", "status", role="mandatory"),
        Column("STATUS_REASON", "status_reason"),
        Column("STATUS_DATE", "status_date", "date"),
        Column("ISSUE_DATE", "issue_date", "date", role="mandatory"),
        Column("TOKENIZED", "is_tokenized", "boolean", **_YN),
    ),
    **_PIPE,
)

LIMITS = FileContract(
    system="cards",
    entity="limits",
    description="Card limits in kopecks (``abroad_enabled`` is a 0/1 switch).",
    file_pattern="limits_{date}.txt",
    trailer=_TRL_NO_SUM,
    versioned=True,
    columns=(
        Column("CARD_ID", "card_id", role="key"),
        Column("LIMIT_TYPE", "limit_type", role="key"),
        Column("VALUE", "value_minor", "integer", role="mandatory"),
        Column("CURRENCY", "currency_code"),
        Column("VALID_FROM", "valid_from_date", "date", role="mandatory"),
    ),
    **_PIPE,
)

BLOCKS = FileContract(
    system="cards",
    entity="blocks",
    description="Card blocks: by the client, anti-fraud, court arrest (ФССП) or 115-FZ suspension.",
    file_pattern="blocks_{date}.txt",
    trailer=_TRL_NO_SUM,
    versioned=True,
    columns=(
        Column("BLOCK_ID", "block_id", role="key"),
        Column("CARD_ID", "card_id", role="mandatory"),
        Column("ACCOUNT_NUMBER", "account_number"),
        Column("BLOCK_TYPE", "block_type", role="mandatory"),
        Column("DATE_FROM", "date_from", "date", role="mandatory"),
        Column("DATE_TO", "date_to", "date"),
        Column("REASON_CODE", "reason_code"),
    ),
    **_PIPE,
)

_MESSAGE_HEAD = (
    Column("RECORD_TYPE", "record_type", role="mandatory"),
    Column("MTI", "mti", role="mandatory", description="ISO 8583 message type"),
    Column("CARD_ID", "card_id", role="mandatory"),
    Column("PAN_MASKED", "pan_masked", pii="card", description="DE2, masked"),
    Column("PAN_TOKEN", "pan_token"),
    Column("PROCESSING_CODE", "processing_code", description="DE3"),
    Column("AMOUNT_MINOR", "amount_minor", "integer", role="mandatory", description="DE4, kopecks"),
    Column("CURRENCY", "currency_code", description="DE49"),
    Column("BILLING_AMOUNT_MINOR", "billing_amount_minor", "integer", description="DE6"),
)
_MERCHANT = (
    Column("TERMINAL_ID", "terminal_id", description="DE41"),
    Column("MERCHANT_ID", "merchant_id", description="DE42"),
    Column("MERCHANT_NAME_LOCATION", "merchant_name_location", description="DE43"),
)

AUTHORIZATIONS = FileContract(
    system="cards",
    entity="authorizations",
    description="Authorizations (0100 purchase, 0200 ATM cash, 0400 reversal), declines included.",
    file_pattern="auth_{date}.txt",
    trailer=_TRL_AMOUNT,
    # An RRN is unique per acquirer and day, not across the card system: RRNs of different cards
    # collide from ~100 k clients (29 pairs at bank-100k), so the card completes the key; a
    # reversal (0400) repeats the RRN of what it reverses.
    grain=("card_id", "rrn", "mti"),
    columns=(
        *_MESSAGE_HEAD,
        Column("TRANSMISSION_DT", "transmission_dt", description="DE7 MMDDhhmmss UTC, no year"),
        Column("STAN", "stan", description="DE11"),
        Column("LOCAL_DT", "local_at", "timestamp", role="mandatory", description="DE12/13"),
        Column("MCC", "mcc", description="DE18"),
        Column("POS_ENTRY_MODE", "pos_entry_mode", description="DE22"),
        Column("RRN", "rrn", role="key", description="DE37, joins clearing"),
        Column("AUTH_CODE", "auth_code", description="DE38"),
        Column("RESPONSE_CODE", "response_code", description="DE39"),
        *_MERCHANT,
    ),
    **_PIPE,
)

CLEARINGS = FileContract(
    system="cards",
    entity="clearings",
    description="Clearing presentments (1240): the money actually settled for an authorization.",
    file_pattern="clearing_{date}.txt",
    trailer=_TRL_AMOUNT,
    grain=("card_id", "rrn"),  # RRNs of different cards collide (see authorizations)
    columns=(
        *_MESSAGE_HEAD,
        Column("TRANSACTION_DT", "transaction_at", "timestamp", role="mandatory"),
        Column("POSTING_DATE", "posting_date", "date", role="mandatory"),
        Column("MCC", "mcc"),
        Column("RRN", "rrn", role="key"),
        Column("AUTH_CODE", "auth_code"),
        *_MERCHANT,
    ),
    **_PIPE,
)

CONTRACTS_CARDS = (HOLDERS, CARDS, LIMITS, BLOCKS, AUTHORIZATIONS, CLEARINGS)
