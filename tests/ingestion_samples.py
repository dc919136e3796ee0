"""Hand-written rows of core-banking files for ingestion tests (real layouts, few rows)."""

from __future__ import annotations

import duckdb

ACCOUNTS_HEADER = (
    "НОМЕР_СЧЕТА;КОД_КЛИЕНТА;БАЛ_СЧЕТ;ВАЛЮТА;ДАТА_ОТКР;ДАТА_ЗАКР;СТАТУС;ПРОДУКТ;ФИЛИАЛ;ИД_ДОГОВОРА"
)
ACCOUNT_ROW = "40817810201430006411;10006724;40817;810;20.10.2026;;открыт;Текущий счёт;0143;3006411"
TRANSACTIONS_HEADER = (
    "ИД_ДОК;ДАТА_ДОК;ДАТА_ПРОВ;СЧЕТ_ДТ;СЧЕТ_КТ;СУММА;ВАЛЮТА;СУММА_РУБ;ШИФР_ДОК;НОМЕР_ДОК;"
    "БИК_КОНТРАГЕНТА;СЧЕТ_КОНТРАГЕНТА;ИНН_КОНТРАГЕНТА;НАИМ_КОНТРАГЕНТА;НАЗНАЧЕНИЕ_ПЛАТЕЖА;КАНАЛ"
)


def transaction(doc: int, amount: str, purpose: str = "Оплата услуг") -> str:
    return (
        f"{doc};20.10.2026;20.10.2026;40817810201430006411;30102810600010000001;{amount};643;"
        f"{amount};01;{doc};044525225;;7726338089;ООО «Ромашка»;{purpose};ДБО"
    )


def raw_table(contract) -> duckdb.DuckDBPyConnection:
    """An in-memory warehouse holding ``contract``'s raw table, every column text, empty."""
    con = duckdb.connect()
    columns = ", ".join(f'"{c.name}" varchar' for c in contract.columns)
    con.execute("create schema raw")
    con.execute(f"create table raw.{contract.table} ({columns}, _business_date date)")
    return con
