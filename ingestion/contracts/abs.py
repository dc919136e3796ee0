"""Core banking system (АБС): cp1251, ``;``, CRLF, decimal comma, ``dd.mm.yyyy``, ИТОГО trailer.

Field meanings follow ``docs/sources/abs.md``; warehouse names are English snake_case and the
Russian source names stay in the contract (and the generated docs) for the bank's analysts.
"""

from __future__ import annotations

from ingestion.contracts.model import Column, FileContract, Trailer

_CSV = {
    "format": "delimited",
    "encodings": ("cp1251", "utf-8"),
    "separator": ";",
    "quote": None,
    "decimal_mark": ",",
    "thousands_separators": (" ", "\u00a0"),
    "date_format": "%d.%m.%Y",
}
_TRAILER_NO_SUM = Trailer(marker="ИТОГО", sum_column=None)
_PERSON = ("client_type", ("ФЛ",))
_CLIENT_REF = ("abs__clients", "abs_client_id")

CLIENTS = FileContract(
    system="abs",
    entity="clients",
    description="Client records (CIF): persons (ФЛ), sole proprietors (ИП), companies (ЮЛ).",
    file_pattern="CLIENTS_{date}.csv",
    trailer=_TRAILER_NO_SUM,
    versioned=True,
    columns=(
        Column("КОД_КЛИЕНТА", "abs_client_id", role="key", description="Client record id (CIF)"),
        Column("ТИП_КЛИЕНТА", "client_type", role="mandatory", description="ФЛ, ИП or ЮЛ"),
        Column("ФАМИЛИЯ", "surname", role="mandatory", mandatory_when=_PERSON, pii="name"),
        Column("ИМЯ", "first_name", role="mandatory", mandatory_when=_PERSON, pii="name"),
        Column("ОТЧЕСТВО", "patronymic", pii="name"),
        Column("НАИМЕНОВАНИЕ", "organization_name", description="Name of the ИП or ЮЛ"),
        Column(
            "ДАТА_РОЖД",
            "birth_date",
            "date",
            role="mandatory",
            mandatory_when=_PERSON,
            placeholders=("01.01.1900",),
            pii="birth_date",
        ),
        Column("ПОЛ", "sex", description="М or Ж"),
        Column("ГРАЖДАНСТВО", "citizenship_code", description="OKSM country code"),
        Column("РЕЗИДЕНТ", "is_resident", "boolean", true_values=("1",), false_values=("0",)),
        Column("ВИД_ДОК", "document_type_code", description="ФНС identity document code"),
        Column("СЕРИЯ_ДОК", "document_series", pii="document"),
        Column(
            "НОМЕР_ДОК",
            "document_number",
            role="mandatory",
            mandatory_when=_PERSON,
            pii="document",
        ),
        Column("ДАТА_ВЫДАЧИ", "document_issue_date", "date", pii="document"),
        Column("КОД_ПОДР", "document_issuer_code", pii="document"),
        Column("ИНН", "inn", checks=("inn",), pii="tax_id", description="Tax number, 10/12 digits"),
        Column("СНИЛС", "snils", checks=("snils",), pii="snils"),
        Column("ОГРН", "ogrn", checks=("ogrn",), description="ОГРН (ЮЛ) or ОГРНИП (ИП)"),
        Column("КПП", "kpp"),
        Column("ОКОПФ", "okopf_code", description="Legal form code"),
        Column("ОКВЭД", "okved_code", description="Main activity code"),
        Column("АДРЕС_РЕГ", "registration_address", pii="address"),
        Column("АДРЕС_ФАКТ", "actual_address", pii="address"),
        Column("ТЕЛ_МОБ", "mobile_phone", checks=("mobile_phone",), pii="phone"),
        Column("ТЕЛ_ДОП", "other_phone", pii="phone"),
        Column("EMAIL", "email", checks=("email",), pii="email"),
        Column("ДАТА_РЕГ", "registration_date", "date", role="mandatory"),
        Column("ФИЛИАЛ", "branch_code"),
        Column("СЕГМЕНТ", "segment", description="Bank's own segment: Mass, Affluent, Private…"),
        Column("УРОВЕНЬ_РИСКА", "aml_risk_level", description="AML/CFT risk level (115-FZ)"),
        Column("КОД_ГОЛОВНОЙ", "parent_abs_client_id", description="Parent company or head office"),
        Column("ДАТА_АКТУАЛ_АНКЕТЫ", "profile_updated_date", "date"),
    ),
    **_CSV,
)

ACCOUNTS = FileContract(
    system="abs",
    entity="accounts",
    description="Accounts: 20-digit numbers, owner, balance account, product, open/close dates.",
    file_pattern="ACCOUNTS_{date}.csv",
    trailer=_TRAILER_NO_SUM,
    depends_on=("abs__clients",),
    versioned=True,
    columns=(
        Column("НОМЕР_СЧЕТА", "account_number", role="key"),
        Column("КОД_КЛИЕНТА", "abs_client_id", role="mandatory", references=_CLIENT_REF),
        Column(
            "БАЛ_СЧЕТ", "balance_account", role="mandatory", description="Chart-of-accounts code"
        ),
        Column("ВАЛЮТА", "currency_code", role="mandatory"),
        Column("ДАТА_ОТКР", "opened_date", "date", role="mandatory"),
        Column("ДАТА_ЗАКР", "closed_date", "date"),
        Column("СТАТУС", "status", role="mandatory"),
        Column("ПРОДУКТ", "product_name"),
        Column("ФИЛИАЛ", "branch_code"),
        Column("ИД_ДОГОВОРА", "contract_id"),
    ),
    **_CSV,
)

CONTRACTS = FileContract(
    system="abs",
    entity="contracts",
    description="Product contracts; a key repeats when the contract changes (the latest row wins).",
    file_pattern="CONTRACTS_{date}.csv",
    trailer=Trailer(marker="ИТОГО", sum_column="amount_rub"),
    depends_on=("abs__clients",),
    versioned=True,
    columns=(
        Column("ИД_ДОГОВОРА", "contract_id", role="key"),
        Column("НОМЕР_ДОГОВОРА", "contract_number"),
        Column("КОД_КЛИЕНТА", "abs_client_id", role="mandatory", references=_CLIENT_REF),
        Column("ТИП", "contract_type", role="mandatory"),
        Column("ПРОДУКТ", "product_name"),
        Column("ДАТА_НАЧ", "start_date", "date", role="mandatory"),
        Column("ДАТА_ОКОНЧ", "end_date", "date"),
        Column("ДАТА_ЗАКР", "closed_date", "date"),
        Column("СУММА", "amount_rub", "decimal", description="Limit, deposit or loan amount"),
        Column("СТАВКА", "interest_rate", "decimal"),
        Column("СТАТУС", "status", role="mandatory"),
        Column("СЧЕТ", "account_number"),
        Column("ДНИ_ПРОСРОЧКИ", "days_past_due", "integer"),
        Column("АВТОПЛАТЕЖ", "has_autopayment", "boolean", true_values=("Д",), false_values=("Н",)),
    ),
    **_CSV,
)

CONSENTS = FileContract(
    system="abs",
    entity="consents",
    description="Consents: personal-data processing (152-FZ) and marketing per channel (38-FZ).",
    file_pattern="CONSENTS_{date}.csv",
    trailer=_TRAILER_NO_SUM,
    depends_on=("abs__clients",),
    versioned=True,
    columns=(
        Column("ИД_СОГЛАСИЯ", "consent_id", role="key"),
        Column("КОД_КЛИЕНТА", "abs_client_id", role="mandatory", references=_CLIENT_REF),
        Column("ВИД_СОГЛАСИЯ", "consent_type", role="mandatory"),
        Column("КАНАЛ", "channel", description="Marketing channel; empty for ПДн processing"),
        Column("ДАТА_ПОЛУЧЕНИЯ", "captured_date", "date", role="mandatory"),
        Column("ВЕРСИЯ_ДОКУМЕНТА", "document_version"),
        Column("СПОСОБ_ПОЛУЧЕНИЯ", "capture_method"),
        Column("ДАТА_ОТЗЫВА", "withdrawn_date", "date"),
    ),
    **_CSV,
)

TRANSACTIONS = FileContract(
    system="abs",
    entity="transactions",
    description="Postings (проводки): one row per accounting document, debit and credit account.",
    file_pattern="TRANSACTIONS_{date}.csv",
    trailer=Trailer(marker="ИТОГО", sum_column="amount"),
    columns=(
        Column("ИД_ДОК", "document_id", role="key"),
        Column("ДАТА_ДОК", "document_date", "date", role="mandatory"),
        Column("ДАТА_ПРОВ", "posting_date", "date", role="mandatory"),
        Column("СЧЕТ_ДТ", "debit_account_number", role="mandatory"),
        Column("СЧЕТ_КТ", "credit_account_number", role="mandatory"),
        Column("СУММА", "amount", "decimal", role="mandatory", description="In account currency"),
        Column("ВАЛЮТА", "currency_code"),
        Column("СУММА_РУБ", "amount_rub", "decimal"),
        Column("ШИФР_ДОК", "document_kind_code"),
        Column("НОМЕР_ДОК", "document_number"),
        Column("БИК_КОНТРАГЕНТА", "counterparty_bic"),
        Column("СЧЕТ_КОНТРАГЕНТА", "counterparty_account_number"),
        Column("ИНН_КОНТРАГЕНТА", "counterparty_inn"),
        Column("НАИМ_КОНТРАГЕНТА", "counterparty_name"),
        Column("НАЗНАЧЕНИЕ_ПЛАТЕЖА", "purpose", pii="free_text"),
        Column("КАНАЛ", "channel"),
    ),
    **_CSV,
)

BALANCES = FileContract(
    system="abs",
    entity="balances",
    description="Daily balances per account: opening, debit and credit turnover, closing.",
    file_pattern="BALANCES_{date}.txt",
    format="fixed_width",
    encodings=("cp1251", "utf-8"),
    header=False,
    decimal_mark=",",
    date_format="%d.%m.%Y",
    trailer=Trailer(marker="ИТОГО", sum_column="closing_balance"),
    columns=(
        Column("ДАТА", "balance_date", "date", role="key", width=10),
        Column("СЧЕТ", "account_number", role="key", width=20),
        Column("ВХ_ОСТАТОК", "opening_balance", "decimal", role="mandatory", width=18),
        Column("ОБОРОТ_ДТ", "debit_turnover", "decimal", role="mandatory", width=18),
        Column("ОБОРОТ_КТ", "credit_turnover", "decimal", role="mandatory", width=18),
        Column("ИСХ_ОСТАТОК", "closing_balance", "decimal", role="mandatory", width=18),
    ),
)

CONTRACTS_ABS = (CLIENTS, ACCOUNTS, CONTRACTS, CONSENTS, TRANSACTIONS, BALANCES)
