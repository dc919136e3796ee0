"""Core banking (АБС) extracts: clients, accounts, contracts, consents, postings, balances.

Written the way a Russian core banking system exports them: cp1251, ``;``, CRLF, decimal comma,
``dd.mm.yyyy``, unquoted fields, and an ``ИТОГО;<rows>;<sum>`` trailer. Balances come as a legacy
fixed-width file. Client records carry injected defects (logged in the truth), legacy records
registered before 2008 are in capitals, and a passport replaced after joining is often not yet
updated on the client's record.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from simulator import contacts
from simulator.accounts import (
    BRANCH_BASE,
    TECHNICAL,
    BusinessAccounts,
    RetailAccounts,
    business_accounts,
)
from simulator.activity.postings import MonthPostings
from simulator.defects import (
    DefectLog,
    DefectRates,
    inject_invalid_emails,
    inject_invalid_phones,
    inject_missing,
    inject_name_variants,
    inject_wrong_check_digit,
    pick,
)
from simulator.extracts import abs_details, phone_updates
from simulator.extracts.formats import ABS_CSV, FileFormat
from simulator.extracts.landing import AMOUNT, DATE, FileType, LandingWriter, lifecycle_rows
from simulator.extracts.phone_updates import PhoneUpdates
from simulator.extracts.values import ddmmyyyy, rub_comma, rub_spaced, yesno
from simulator.identity import BRANCH_AFTER_DAYS
from simulator.lifecycle import NEVER_DAY, Lifecycle, MonthState
from simulator.population import days
from simulator.products import PRODUCTS, RETAIL
from simulator.rng import stream

SYSTEM = "abs"
LEGACY_CAPS_BEFORE = dt.date(2008, 1, 1)
ABS_PHONE_STYLES = {"paren_8": 0.45, "plain_8": 0.3, "e164": 0.15, "dashed_8": 0.1}
PHONE_UPDATES = PhoneUpdates(
    stream="abs_phone_updates",
    share=0.6,
    max_lag_days=30,
    phone_column="ТЕЛ_МОБ",
    styles=ABS_PHONE_STYLES,
    updated_column="ДАТА_АКТУАЛ_АНКЕТЫ",
)
"""A number changed in the app reaches the core for 60 % (the request reaches it, or the client
tells a branch) within a month; the others keep the old number there — a core lags the
channels."""

CLIENTS = FileType(
    SYSTEM,
    "clients",
    "CLIENTS_{date}.csv",
    ABS_CSV,
    (
        "КОД_КЛИЕНТА", "ТИП_КЛИЕНТА", "ФАМИЛИЯ", "ИМЯ", "ОТЧЕСТВО", "НАИМЕНОВАНИЕ", "ДАТА_РОЖД",
        "ПОЛ", "ГРАЖДАНСТВО", "РЕЗИДЕНТ", "ВИД_ДОК", "СЕРИЯ_ДОК", "НОМЕР_ДОК", "ДАТА_ВЫДАЧИ",
        "КОД_ПОДР", "ИНН", "СНИЛС", "ОГРН", "КПП", "ОКОПФ", "ОКВЭД", "АДРЕС_РЕГ", "АДРЕС_ФАКТ",
        "ТЕЛ_МОБ", "ТЕЛ_ДОП", "EMAIL", "ДАТА_РЕГ", "ФИЛИАЛ", "СЕГМЕНТ", "УРОВЕНЬ_РИСКА",
        "КОД_ГОЛОВНОЙ", "ДАТА_АКТУАЛ_АНКЕТЫ",
    ),
)  # fmt: skip
ACCOUNTS = FileType(
    SYSTEM,
    "accounts",
    "ACCOUNTS_{date}.csv",
    ABS_CSV,
    ("НОМЕР_СЧЕТА", "КОД_КЛИЕНТА", "БАЛ_СЧЕТ", "ВАЛЮТА", "ДАТА_ОТКР", "ДАТА_ЗАКР", "СТАТУС",
     "ПРОДУКТ", "ФИЛИАЛ", "ИД_ДОГОВОРА"),
)  # fmt: skip
CONTRACTS = FileType(
    SYSTEM,
    "contracts",
    "CONTRACTS_{date}.csv",
    ABS_CSV,
    ("ИД_ДОГОВОРА", "НОМЕР_ДОГОВОРА", "КОД_КЛИЕНТА", "ТИП", "ПРОДУКТ", "ДАТА_НАЧ", "ДАТА_ОКОНЧ",
     "ДАТА_ЗАКР", "СУММА", "СТАВКА", "СТАТУС", "СЧЕТ", "ДНИ_ПРОСРОЧКИ", "АВТОПЛАТЕЖ"),
)  # fmt: skip
CONSENTS = FileType(
    SYSTEM,
    "consents",
    "CONSENTS_{date}.csv",
    ABS_CSV,
    ("ИД_СОГЛАСИЯ", "КОД_КЛИЕНТА", "ВИД_СОГЛАСИЯ", "КАНАЛ", "ДАТА_ПОЛУЧЕНИЯ", "ВЕРСИЯ_ДОКУМЕНТА",
     "СПОСОБ_ПОЛУЧЕНИЯ", "ДАТА_ОТЗЫВА"),
)  # fmt: skip
TRANSACTIONS = FileType(
    SYSTEM,
    "transactions",
    "TRANSACTIONS_{date}.csv",
    ABS_CSV,
    ("ИД_ДОК", "ДАТА_ДОК", "ДАТА_ПРОВ", "СЧЕТ_ДТ", "СЧЕТ_КТ", "СУММА", "ВАЛЮТА", "СУММА_РУБ",
     "ШИФР_ДОК", "НОМЕР_ДОК", "БИК_КОНТРАГЕНТА", "СЧЕТ_КОНТРАГЕНТА", "ИНН_КОНТРАГЕНТА",
     "НАИМ_КОНТРАГЕНТА", "НАЗНАЧЕНИЕ_ПЛАТЕЖА", "КАНАЛ"),
)  # fmt: skip
BALANCE_WIDTHS = (10, 20, 18, 18, 18, 18)
BALANCES = FileType(
    SYSTEM,
    "balances",
    "BALANCES_{date}.txt",
    FileFormat(
        "fixed",
        "cp1251",
        line_terminator="\r\n",
        header=False,
        trailer="ИТОГО{rows:>25}{total:>72}",
        widths=BALANCE_WIDTHS,
        right_aligned=frozenset({2, 3, 4, 5}),
    ),
    ("ДАТА", "СЧЕТ", "ВХ_ОСТАТОК", "ОБОРОТ_ДТ", "ОБОРОТ_КТ", "ИСХ_ОСТАТОК"),
)
FILE_TYPES = (CLIENTS, ACCOUNTS, CONTRACTS, CONSENTS, TRANSACTIONS, BALANCES)

STATUS_OPEN, STATUS_CLOSED = "открыт", "закрыт"
DESCRIBE_CHUNK_ROWS = 250_000
"""Postings described and written at a time: bounds the month's text columns in memory."""


def _date(day_col: str) -> pl.Expr:
    return pl.col(day_col).cast(pl.Date)


def _branch(region: pl.Expr) -> pl.Expr:
    """ФИЛИАЛ: the four-digit branch of a region, as in the account number."""
    return (BRANCH_BASE + region % 100).cast(pl.String).str.pad_start(4, "0")


def _text(values: np.ndarray) -> pl.Series:
    """Python strings straight into a polars column, without a fixed-width numpy copy
    (``astype(str)`` holds every value at the longest one's width, 4 bytes a character)."""
    return pl.Series(values, dtype=pl.String)


def _text_date(day_col: str) -> pl.Expr:
    """``dd.mm.yyyy`` or empty for the "never" sentinel."""
    return (
        pl.when(pl.col(day_col) < NEVER_DAY)
        .then(ddmmyyyy(pl.col(day_col).cast(pl.Date)))
        .otherwise(pl.lit(""))
    )


class AbsExtracts:
    """Formats and writes everything the core banking system delivers."""

    def __init__(
        self, params, population, identity, retail: RetailAccounts, business: BusinessAccounts
    ):
        self.params = params
        self.population = population
        self.identity = identity
        self.retail = retail
        self.business = business
        self.log = DefectLog()
        self.records: list[pl.DataFrame] = []
        self.details = abs_details.TransactionDetails(params.seed, population, identity, business)

    @property
    def defects(self) -> list[pl.DataFrame]:
        return self.log.frames

    # -- monthly: postings and balances ------------------------------------------------------
    def write_month(self, writer: LandingWriter, state: MonthState, month: MonthPostings) -> None:
        postings = month.postings
        for chunk, start in enumerate(range(0, postings.height, DESCRIBE_CHUNK_ROWS)):
            part = postings.slice(start, DESCRIBE_CHUNK_ROWS)
            writer.write(
                TRANSACTIONS,
                self.details.describe((state.index, chunk), part, self._account_number, self.log),
            )
        bal = month.balances
        writer.write(
            BALANCES,
            bal.select(
                ddmmyyyy(_date("day")).alias("ДАТА"),
                self._account_number(pl.col("key")).alias("СЧЕТ"),
                rub_comma(pl.col("opening_kop")).alias("ВХ_ОСТАТОК"),
                rub_comma(pl.col("dt")).alias("ОБОРОТ_ДТ"),
                rub_comma(pl.col("ct")).alias("ОБОРОТ_КТ"),
                rub_comma(pl.col("closing_kop")).alias("ИСХ_ОСТАТОК"),
                _date("day").alias(DATE),
                pl.col("closing_kop").alias(AMOUNT),
            ),
        )

    def _account_number(self, key: pl.Expr) -> pl.Expr:
        """Account number of a posting side: retail contract, business account or one of the
        bank's technical accounts (negative keys)."""
        retail = self.retail.number_series
        business = self.business.number_series
        technical = pl.Series(
            [TECHNICAL[name] for name in (
                "correspondent", "card_settlement", "cash_desk", "fee_income", "interest_expense"
            )]
        )  # fmt: skip
        base = self.business.key_base
        return (
            pl.when(key < 0)
            .then(pl.lit(technical).gather((-key - 1).clip(0, len(technical) - 1)))
            .when(key >= base)
            .then(pl.lit(business).gather((key - base).clip(0, len(business) - 1)))
            .otherwise(pl.lit(retail).gather(key.clip(0, len(retail) - 1)))
        )

    # -- entities: snapshot at the snapshot date, then daily changes ---------------------------
    def write_entities(
        self, writer: LandingWriter, life: Lifecycle, consents: pl.DataFrame, phone_changes
    ) -> None:
        """``phone_changes``: when each person changed their number in the app, and to what
        (``DboActivity.phone_change_day``, ``new_phone``)."""
        self.retail.sync()
        writer.write(CLIENTS, self._clients(life, phone_changes))
        owners = self._contract_owners(life)
        writer.write(ACCOUNTS, self._accounts(life, owners))
        writer.write(CONTRACTS, self._contracts(life, owners))
        writer.write(CONSENTS, self._consents(consents))

    def _person_frame(self) -> pl.DataFrame:
        """ФЛ records: each person's primary record plus the duplicates, with their variants."""
        p = self.population.persons
        ident = self.identity
        primary = p.with_columns(
            ident.abs_client_id_column,
            pl.col("join_day").alias("registered_day"),
            pl.lit(1).alias("ordinal"),
        )
        dups = ident.duplicates.join(p, on="person_id", how="left")
        return pl.concat([primary, dups.select(primary.columns)], how="vertical_relaxed")

    def _clients(self, life: Lifecycle, phone_changes) -> pl.DataFrame:
        rng = stream(self.params.seed, "abs_clients")
        return pl.concat(
            [
                self._individuals(rng, life, phone_changes),
                self._sole_proprietors(rng),
                self._legal_entities(),
            ],
            how="vertical",
        ).sort(DATE, "КОД_КЛИЕНТА", maintain_order=True)

    def _individuals(self, rng, life: Lifecycle, phone_changes) -> pl.DataFrame:
        """ФЛ rows with their defects, and the numbers changed in the app that reached a
        client's primary record. Its many per-row text arrays die when it returns, before the
        clients are sorted (1.1 M rows at bank-1m: the simulation's peak memory)."""
        rates = DefectRates()
        fl = self._person_frame()
        n = fl.height
        rid = fl["abs_client_id"].to_numpy()
        ordinal = fl["ordinal"].to_numpy()
        reg = fl["registered_day"].to_numpy()
        is_dup = ordinal > 1
        person = np.where(is_dup, -1, fl["person_id"].to_numpy())
        updates = phone_updates.plan(person, PHONE_UPDATES, phone_changes, life, self.params)

        surname = fl["surname"].to_numpy().astype(object)
        maiden = fl["maiden_surname"].to_numpy().astype(object)
        first = fl["first_name"].to_numpy().astype(object)
        patronymic = fl["patronymic"].to_numpy().astype(object)
        legacy = reg < days(LEGACY_CAPS_BEFORE)
        for arr in (surname, maiden, first, patronymic):
            arr[legacy] = np.char.upper(arr[legacy].astype(str))
        old_primary_of_married = (
            (ordinal == 1)
            & (maiden != surname)
            & np.isin(
                fl["person_id"].to_numpy(), fl.filter(pl.col("ordinal") > 1)["person_id"].to_numpy()
            )
        )
        self.log.add(
            SYSTEM, "clients", rid[old_primary_of_married], "surname",
            np.full(old_primary_of_married.sum(), "maiden_surname"),
            surname[old_primary_of_married], maiden[old_primary_of_married],
        )  # fmt: skip
        surname[old_primary_of_married] = maiden[old_primary_of_married]

        surname, first, patronymic = inject_name_variants(
            rng,
            self.log,
            SYSTEM,
            "clients",
            rid,
            (surname, first, patronymic),
            np.where(is_dup, 0.55, rates.name_variant),
        )

        issue = fl["passport_issue_day"].to_numpy()
        stale = (reg < issue) & ~is_dup & (rng.random(n) < 0.5)
        series = np.where(stale, fl["prev_passport_series"], fl["passport_series"]).astype(object)
        number = np.where(stale, fl["prev_passport_number"], fl["passport_number"]).astype(object)
        issue_day = np.where(stale, fl["prev_passport_issue_day"], issue)

        phone = fl["mobile_phone"].to_numpy().astype(object)
        new_number = is_dup & (rng.random(n) < 0.3)
        phone[new_number] = contacts.mobile_phones(rng, int(new_number.sum()))
        # a number replaced before the snapshot is not in the file, nor any defect of it
        rate = np.where(updates.in_snapshot_mask(n), 0.0, rates.invalid_phone)
        phone = inject_invalid_phones(
            rng, self.log, SYSTEM, "clients", rid, phone, rate, ABS_PHONE_STYLES
        )
        email = fl["email"].to_numpy().astype(object)
        email[is_dup & (rng.random(n) < 0.35)] = ""
        email = inject_invalid_emails(
            rng, self.log, SYSTEM, "clients", rid, email, rates.invalid_email
        )

        inn = np.where(
            fl["has_inn_on_file"].to_numpy() & ~(is_dup & (rng.random(n) < 0.4)), fl["inn"], ""
        )
        snils = np.where(
            fl["has_snils_on_file"].to_numpy() & ~(is_dup & (rng.random(n) < 0.4)), fl["snils"], ""
        )
        inn = inject_wrong_check_digit(
            rng, self.log, SYSTEM, "clients", rid, inn, "inn", rates.wrong_check_digit
        )
        snils = inject_wrong_check_digit(
            rng, self.log, SYSTEM, "clients", rid, snils, "snils", rates.wrong_check_digit
        )

        birth_text = fl.select(ddmmyyyy(_date("birth_day"))).to_series().to_numpy().astype(object)
        missing = pick(rng, n, rates.missing_mandatory)
        which = rng.choice(3, len(missing))
        birth_text = inject_missing(
            rng, self.log, SYSTEM, "clients", rid, birth_text, "birth_date", missing[which == 0]
        )
        birth_text = inject_missing(
            rng,
            self.log,
            SYSTEM,
            "clients",
            rid,
            birth_text,
            "birth_date",
            missing[which == 1],
            "01.01.1900",
        )
        number = inject_missing(
            rng, self.log, SYSTEM, "clients", rid, number, "document_number", missing[which == 2]
        )

        address = fl["address"].to_numpy()
        address_fact = np.where(rng.random(n) < 0.2, contacts.reformat_addresses(rng, address), "")
        income = fl["income_rub"].to_numpy()
        segment = np.where(
            income > 250_000, "Private", np.where(income > 110_000, "Affluent", "Mass")
        )
        risk = np.where(
            fl["risk"].to_numpy() > 0.6,
            "высокий",
            np.where(fl["risk"].to_numpy() > 0.3, "средний", "низкий"),
        )
        persons = pl.DataFrame(
            {
                "КОД_КЛИЕНТА": rid,
                "ТИП_КЛИЕНТА": "ФЛ",
                "ФАМИЛИЯ": _text(surname),
                "ИМЯ": _text(first),
                "ОТЧЕСТВО": _text(patronymic),
                "НАИМЕНОВАНИЕ": "",
                "ДАТА_РОЖД": _text(birth_text),
                "ПОЛ": np.where(fl["is_male"].to_numpy(), "М", "Ж"),
                "ГРАЖДАНСТВО": "643",
                "РЕЗИДЕНТ": "1",
                "ВИД_ДОК": "21",
                "СЕРИЯ_ДОК": _text(series),
                "НОМЕР_ДОК": _text(number),
                "ДАТА_ВЫДАЧИ": pl.Series(issue_day).cast(pl.Date).dt.strftime("%d.%m.%Y"),
                "КОД_ПОДР": fl["division_code"],
                "ИНН": _text(inn),
                "СНИЛС": _text(snils),
                "ОГРН": "",
                "КПП": "",
                "ОКОПФ": "",
                "ОКВЭД": "",
                "АДРЕС_РЕГ": address,
                "АДРЕС_ФАКТ": address_fact,
                "ТЕЛ_МОБ": _text(phone),
                "ТЕЛ_ДОП": fl["landline_phone"],
                "EMAIL": _text(email),
                "ДАТА_РЕГ": pl.Series(reg).cast(pl.Date).dt.strftime("%d.%m.%Y"),
                "ФИЛИАЛ": fl.select(_branch(pl.col("region_code"))).to_series(),
                "СЕГМЕНТ": segment,
                "УРОВЕНЬ_РИСКА": risk,
                "КОД_ГОЛОВНОЙ": "",
                "ДАТА_АКТУАЛ_АНКЕТЫ": pl.Series(np.where(stale, reg, np.maximum(reg, issue_day)))
                .cast(pl.Date)
                .dt.strftime("%d.%m.%Y"),
                DATE: pl.Series(reg).cast(pl.Date),
            }
        )
        self.records.append(
            pl.DataFrame(
                {
                    "system": SYSTEM,
                    "entity": "clients",
                    "record_id": rid,
                    "person_id": fl["person_id"],
                    "role": np.where(is_dup, "individual_duplicate", "individual"),
                }
            )
        )
        return phone_updates.apply(persons, updates, PHONE_UPDATES)

    def _sole_proprietors(self, rng) -> pl.DataFrame:
        """ИП: the same human as a ФЛ client, with a business role and an OGRNIP."""
        ip = self.identity.sole_proprietors.join(self.population.persons, on="person_id")
        fio = pl.concat_str(["surname", "first_name", "patronymic"], separator=" ")
        self.records.append(
            ip.select(
                pl.lit(SYSTEM).alias("system"),
                pl.lit("clients").alias("entity"),
                pl.col("abs_client_id").alias("record_id"),
                "person_id",
                pl.lit("sole_proprietor").alias("role"),
            )
        )
        phone = contacts.format_phones(rng, ip["mobile_phone"].to_numpy(), ABS_PHONE_STYLES)
        return ip.select(
            pl.col("abs_client_id").alias("КОД_КЛИЕНТА"),
            pl.lit("ИП").alias("ТИП_КЛИЕНТА"),
            pl.col("surname").alias("ФАМИЛИЯ"),
            pl.col("first_name").alias("ИМЯ"),
            pl.col("patronymic").alias("ОТЧЕСТВО"),
            pl.concat_str([pl.lit("ИП "), fio]).alias("НАИМЕНОВАНИЕ"),
            ddmmyyyy(_date("birth_day")).alias("ДАТА_РОЖД"),
            pl.when("is_male").then(pl.lit("М")).otherwise(pl.lit("Ж")).alias("ПОЛ"),
            pl.lit("643").alias("ГРАЖДАНСТВО"),
            pl.lit("1").alias("РЕЗИДЕНТ"),
            pl.lit("21").alias("ВИД_ДОК"),
            pl.col("passport_series").alias("СЕРИЯ_ДОК"),
            pl.col("passport_number").alias("НОМЕР_ДОК"),
            ddmmyyyy(_date("passport_issue_day")).alias("ДАТА_ВЫДАЧИ"),
            pl.col("division_code").alias("КОД_ПОДР"),
            pl.col("inn").alias("ИНН"),
            pl.lit("").alias("СНИЛС"),
            pl.col("ogrnip").alias("ОГРН"),
            pl.lit("").alias("КПП"),
            pl.lit("50102").alias("ОКОПФ"),
            pl.lit("").alias("ОКВЭД"),
            pl.col("address").alias("АДРЕС_РЕГ"),
            pl.lit("").alias("АДРЕС_ФАКТ"),
            pl.Series(phone.astype(str)).alias("ТЕЛ_МОБ"),
            pl.lit("").alias("ТЕЛ_ДОП"),
            pl.col("email").alias("EMAIL"),
            ddmmyyyy(_date("registered_day")).alias("ДАТА_РЕГ"),
            _branch(pl.col("region_code")).alias("ФИЛИАЛ"),
            pl.lit("МСБ").alias("СЕГМЕНТ"),
            pl.lit("средний").alias("УРОВЕНЬ_РИСКА"),
            pl.lit("").alias("КОД_ГОЛОВНОЙ"),
            ddmmyyyy(_date("registered_day")).alias("ДАТА_АКТУАЛ_АНКЕТЫ"),
            _date("registered_day").alias(DATE),
        )

    def _legal_entities(self) -> pl.DataFrame:
        """ЮЛ, their separate divisions (same INN, another KPP) and holding links."""
        c = self.population.companies.join(self.identity.companies, on="company_id")
        parent_cif = c.select("company_id", pl.col("abs_client_id").alias("КОД_ГОЛОВНОЙ"))
        c = c.join(parent_cif, left_on="parent_company_id", right_on="company_id", how="left").sort(
            "company_id"
        )
        branches = c.filter(pl.col("branch_abs_client_id") != "").with_columns(
            pl.col("abs_client_id").alias("КОД_ГОЛОВНОЙ"),
            pl.col("branch_abs_client_id").alias("abs_client_id"),
            (pl.col("kpp").str.slice(0, 4) + pl.lit("43001")).alias("kpp"),
            (pl.col("join_day") + BRANCH_AFTER_DAYS).alias("join_day"),
        )
        both = pl.concat([c, branches])
        self.records.append(
            both.select(
                pl.lit(SYSTEM).alias("system"),
                pl.lit("clients").alias("entity"),
                pl.col("abs_client_id").alias("record_id"),
                pl.lit(None, pl.Int64).alias("person_id"),
                pl.lit("legal_entity").alias("role"),
                "company_id",
            )
        )
        empty = pl.lit("")
        return both.select(
            pl.col("abs_client_id").alias("КОД_КЛИЕНТА"),
            pl.lit("ЮЛ").alias("ТИП_КЛИЕНТА"),
            empty.alias("ФАМИЛИЯ"),
            empty.alias("ИМЯ"),
            empty.alias("ОТЧЕСТВО"),
            pl.col("name").alias("НАИМЕНОВАНИЕ"),
            empty.alias("ДАТА_РОЖД"),
            empty.alias("ПОЛ"),
            pl.lit("643").alias("ГРАЖДАНСТВО"),
            pl.lit("1").alias("РЕЗИДЕНТ"),
            empty.alias("ВИД_ДОК"),
            empty.alias("СЕРИЯ_ДОК"),
            empty.alias("НОМЕР_ДОК"),
            empty.alias("ДАТА_ВЫДАЧИ"),
            empty.alias("КОД_ПОДР"),
            pl.col("inn").alias("ИНН"),
            empty.alias("СНИЛС"),
            pl.col("ogrn").alias("ОГРН"),
            pl.col("kpp").alias("КПП"),
            pl.col("okopf").cast(pl.String).alias("ОКОПФ"),
            pl.col("okved").alias("ОКВЭД"),
            pl.col("address").alias("АДРЕС_РЕГ"),
            empty.alias("АДРЕС_ФАКТ"),
            empty.alias("ТЕЛ_МОБ"),
            pl.col("phone").alias("ТЕЛ_ДОП"),
            empty.alias("EMAIL"),
            ddmmyyyy(_date("join_day")).alias("ДАТА_РЕГ"),
            _branch(pl.col("region_code")).alias("ФИЛИАЛ"),
            pl.lit("Корпоративный").alias("СЕГМЕНТ"),
            pl.lit("низкий").alias("УРОВЕНЬ_РИСКА"),
            pl.col("КОД_ГОЛОВНОЙ").fill_null(""),
            ddmmyyyy(_date("join_day")).alias("ДАТА_АКТУАЛ_АНКЕТЫ"),
            _date("join_day").alias(DATE),
        )

    def _contract_owners(self, life: Lifecycle) -> np.ndarray:
        """Client id on each retail contract: the primary record, or a duplicate record that
        existed when the contract was opened (how duplicates come to own real products)."""
        rng = stream(self.params.seed, "contract_owners")
        b = life.book
        person = b["person_id"]
        owner = self.identity.abs_client_id[person].astype(object)
        dups = self.identity.duplicates.filter(pl.col("ordinal") == 2)
        dup_cif = np.full(life.n, "", dtype=object)
        dup_day = np.full(life.n, NEVER_DAY, dtype=np.int64)
        dup_cif[dups["person_id"].to_numpy()] = dups["abs_client_id"].to_numpy()
        dup_day[dups["person_id"].to_numpy()] = dups["registered_day"].to_numpy()
        use_dup = (dup_day[person] <= b["open_day"]) & (rng.random(b.n) < 0.5)
        owner[use_dup] = dup_cif[person][use_dup]
        orphan = pick(rng, b.n, 0.005)
        missing_client = (99_000_000 + orphan).astype(str)
        for entity in ("accounts", "contracts"):
            self.log.add(
                SYSTEM,
                entity,
                3_000_000 + orphan,
                "КОД_КЛИЕНТА",
                np.full(len(orphan), "orphan_reference"),
                owner[orphan],
                missing_client,
            )
        owner[orphan] = missing_client
        return owner.astype(str)

    def _retail_contract_frame(self, life: Lifecycle, owners: np.ndarray) -> pl.DataFrame:
        book = life.book.frame()
        codes = np.array(RETAIL)
        product = codes[book["product"].to_numpy()]
        return book.with_columns(
            pl.Series("product_code", product),
            pl.Series("owner", owners),
            pl.Series("account", self.retail.number[: life.book.n]),
            pl.Series("balance_code", self.retail.balance_code[: life.book.n]),
            (pl.col("contract_seq") + 3_000_000).cast(pl.String).alias("contract_id"),
        )

    def _accounts(self, life: Lifecycle, owners: np.ndarray) -> pl.DataFrame:
        retail = self._retail_contract_frame(life, owners).filter(pl.col("account") != "")
        region = self.population.persons["region_code"].to_numpy()
        retail = retail.with_columns(
            pl.Series("region", region[retail["person_id"].to_numpy()]),
            pl.col("product_code")
            .replace_strict({c: PRODUCTS[c].name_ru for c in RETAIL})
            .alias("product_name"),
        )
        biz = self._business_accounts_frame().filter(pl.col("account") != "")
        columns = (
            "account", "owner", "balance_code", "open_day", "close_day", "product_name",
            "region", "contract_id",
        )  # fmt: skip
        both = pl.concat([retail.select(columns), biz.select(columns)])
        rows = lifecycle_rows(both, "open_day", "close_day", self.params)
        return rows.select(
            pl.col("account").alias("НОМЕР_СЧЕТА"),
            pl.col("owner").alias("КОД_КЛИЕНТА"),
            pl.col("balance_code").alias("БАЛ_СЧЕТ"),
            pl.lit("810").alias("ВАЛЮТА"),
            ddmmyyyy(_date("open_day")).alias("ДАТА_ОТКР"),
            _text_date("end_visible").alias("ДАТА_ЗАКР"),
            pl.when(pl.col("end_visible") < NEVER_DAY)
            .then(pl.lit(STATUS_CLOSED))
            .otherwise(pl.lit(STATUS_OPEN))
            .alias("СТАТУС"),
            pl.col("product_name").alias("ПРОДУКТ"),
            _branch(pl.col("region")).alias("ФИЛИАЛ"),
            pl.col("contract_id").alias("ИД_ДОГОВОРА"),
            pl.col(DATE),
        )

    def _business_accounts_frame(self) -> pl.DataFrame:
        b = self.business
        owners = np.where(
            b.company_id >= 0,
            self.identity.companies["abs_client_id"].to_numpy()[np.maximum(b.company_id, 0)],
            "",
        ).astype(object)
        ip = b.company_id < 0
        ip_cif = dict(
            zip(
                self.identity.sole_proprietors["person_id"].to_list(),
                self.identity.sole_proprietors["abs_client_id"].to_list(),
                strict=True,
            )
        )
        owners[ip] = [ip_cif[p] for p in b.owner_person[ip]]
        k = len(b.numbers)
        rko = pl.DataFrame(
            {
                "account": b.numbers,
                "owner": owners.astype(str),
                "balance_code": np.char.ljust(b.numbers.astype("<U5"), 5),
                "open_day": b.open_day,
                "close_day": np.full(k, NEVER_DAY),
                "region": b.regions,
                "contract_id": (8_000_000 + np.arange(k)).astype(str),
                "product_code": np.where(ip, "RKO_IP", "RKO"),
                "amount_kop": np.zeros(k, dtype=np.int64),
                "rate": np.zeros(k),
                "term_months": np.zeros(k, dtype=np.int16),
                "autopay": np.zeros(k, dtype=bool),
            }
        )
        return pl.concat(
            [rko, self._acquiring_and_loans(rko, ip)], how="vertical_relaxed"
        ).with_columns(
            pl.col("product_code")
            .replace_strict({c: p.name_ru for c, p in PRODUCTS.items()})
            .alias("product_name")
        )

    def _acquiring_and_loans(self, rko: pl.DataFrame, ip: np.ndarray) -> pl.DataFrame:
        """Merchant acquiring (shops and cafés far more often) and business loans of the
        bank's business clients; a loan has its own account (45206 ЮЛ, 45406 ИП)."""
        rng = stream(self.params.seed, "business_products")
        today = days(self.params.business_date)
        k = rko.height
        okved = np.full(k, "", dtype=object)
        m = self.population.companies.height
        okved[:m] = self.population.companies["okved"].to_numpy()
        retail_trade = np.char.startswith(okved.astype(str), "47") | np.char.startswith(
            okved.astype(str), "56"
        )
        acquiring = rng.random(k) < np.where(retail_trade, 0.6, np.where(ip, 0.25, 0.08))
        loan = rng.random(k) < np.where(ip, 0.08, 0.15)
        frames = []
        for code, mask, serial_base in (("ACQUIRING", acquiring, 0), ("BUSINESS_LOAN", loan, 1)):
            idx = np.flatnonzero(mask)
            n = len(idx)
            open_day = np.minimum(
                rko["open_day"].to_numpy()[idx] + rng.integers(30, 2500, n), today
            )
            term = rng.choice([12, 24, 36], n) if code == "BUSINESS_LOAN" else np.zeros(n)
            close = np.where(term > 0, open_day + (term * 30.4).astype(np.int64), NEVER_DAY)
            close = np.where(close <= today, close, NEVER_DAY)
            balance_code = np.where(ip[idx], "45406", "45206") if code == "BUSINESS_LOAN" else ""
            account = (
                business_accounts(balance_code, 2_000_000 + idx, rko["region"].to_numpy()[idx])
                if code == "BUSINESS_LOAN"
                else np.full(n, "")
            )
            frames.append(
                pl.DataFrame(
                    {
                        "account": account,
                        "owner": rko["owner"].to_numpy()[idx],
                        "balance_code": np.broadcast_to(balance_code, (n,)),
                        "open_day": open_day,
                        "close_day": close,
                        "region": rko["region"].to_numpy()[idx],
                        "contract_id": (8_500_000 + serial_base * 500_000 + idx).astype(str),
                        "product_code": np.full(n, code),
                        "amount_kop": np.round(rng.lognormal(np.log(8e6), 1.0, n), -3).astype(
                            np.int64
                        )
                        * 100
                        * (code == "BUSINESS_LOAN"),
                        "rate": np.round(rng.normal(21.0, 2.0, n), 2) * (code == "BUSINESS_LOAN"),
                        "term_months": term.astype(np.int16),
                        "autopay": np.zeros(n, dtype=bool),
                    }
                )
            )
        return pl.concat(frames, how="vertical_relaxed")

    def _contracts(self, life: Lifecycle, owners: np.ndarray) -> pl.DataFrame:
        retail = self._retail_contract_frame(life, owners).select(
            "contract_seq", "contract_id", "owner", "product_code", "open_day", "close_day",
            "amount_kop", "rate", "term_months", "account", "autopay", "term_start_day",
        )  # fmt: skip
        biz = self._business_accounts_frame().with_columns(
            pl.lit(-1, pl.Int64).alias("contract_seq"), pl.col("open_day").alias("term_start_day")
        )
        salary = self._salary_project_contracts()
        both = pl.concat(
            [retail, biz.select(retail.columns), salary.select(retail.columns)],
            how="vertical_relaxed",
        )
        rows = lifecycle_rows(both, "open_day", "close_day", self.params)
        snap = days(self.params.snapshot_date)
        dpd_changes = (
            pl.concat(life.dpd_events)
            if life.dpd_events
            else pl.DataFrame(schema={"contract_seq": pl.Int64, "day": pl.Int64, "dpd": pl.Int16})
        )
        later = (
            dpd_changes.filter(pl.col("day") > snap)
            .join(both, on="contract_seq", how="inner")
            .filter(pl.col("day") < pl.col("close_day"))
            .with_columns(
                pl.col("day").alias("row_day"),
                pl.lit(NEVER_DAY).alias("end_visible"),
                pl.col("day").cast(pl.Date).alias(DATE),
            )
            .select(rows.columns)
        )
        rows = pl.concat([rows, later]).with_columns(
            pl.max_horizontal("row_day", pl.lit(snap)).alias("as_of")
        )
        rows = (
            rows.with_row_index("_order")
            .sort("as_of")
            .join_asof(
                dpd_changes.sort("day").with_columns(pl.col("contract_seq").cast(pl.Int64)),
                left_on="as_of",
                right_on="day",
                by="contract_seq",
                strategy="backward",
                check_sortedness=False,
            )
            .sort(DATE, "_order")
        )
        type_ru = {c: p.contract_type for c, p in PRODUCTS.items()}
        name_ru = {c: p.name_ru for c, p in PRODUCTS.items()}
        term_days = (pl.col("term_months").cast(pl.Int64) * 30.4).cast(pl.Int64)
        end = pl.col("term_start_day") + term_days  # a rolled-over deposit shows its current term
        dpd = pl.col("dpd").fill_null(0)
        return rows.select(
            pl.col("contract_id").alias("ИД_ДОГОВОРА"),
            pl.concat_str(
                [pl.col("product_code").str.slice(0, 2), pl.lit("-"), pl.col("contract_id")]
            ).alias("НОМЕР_ДОГОВОРА"),
            pl.col("owner").alias("КОД_КЛИЕНТА"),
            pl.col("product_code").replace_strict(type_ru).alias("ТИП"),
            pl.col("product_code").replace_strict(name_ru).alias("ПРОДУКТ"),
            ddmmyyyy(_date("open_day")).alias("ДАТА_НАЧ"),
            pl.when(pl.col("term_months") > 0).then(ddmmyyyy(end.cast(pl.Date)))
            .otherwise(pl.lit("")).alias("ДАТА_ОКОНЧ"),
            _text_date("end_visible").alias("ДАТА_ЗАКР"),
            rub_spaced(pl.col("amount_kop")).alias("СУММА"),
            pl.col("rate").round(2).cast(pl.String).str.replace(".", ",", literal=True)
            .alias("СТАВКА"),
            pl.when(pl.col("end_visible") < NEVER_DAY).then(pl.lit("закрыт"))
            .when(dpd > 0).then(pl.lit("просрочен"))
            .otherwise(pl.lit("действует")).alias("СТАТУС"),
            pl.col("account").alias("СЧЕТ"),
            dpd.cast(pl.String).alias("ДНИ_ПРОСРОЧКИ"),
            yesno(pl.col("autopay"), "Д", "Н").alias("АВТОПЛАТЕЖ"),
            pl.col(DATE),
            pl.col("amount_kop").alias(AMOUNT),
        )  # fmt: skip

    def _salary_project_contracts(self) -> pl.DataFrame:
        c = self.population.companies.join(self.identity.companies, on="company_id").filter(
            "has_salary_project"
        )
        return c.select(
            pl.lit(-1, pl.Int64).alias("contract_seq"),
            (pl.col("company_id") + 9_500_000).cast(pl.String).alias("contract_id"),
            pl.col("abs_client_id").alias("owner"),
            pl.lit("SALARY_PROJECT").alias("product_code"),
            (pl.col("join_day") + 30).alias("open_day"),
            pl.lit(NEVER_DAY).alias("close_day"),
            pl.lit(0, pl.Int64).alias("amount_kop"),
            pl.lit(0.0).alias("rate"),
            pl.lit(0, pl.Int16).alias("term_months"),
            pl.lit("").alias("account"),
            pl.lit(False).alias("autopay"),
            (pl.col("join_day") + 30).alias("term_start_day"),
        )

    def _consents(self, consents: pl.DataFrame) -> pl.DataFrame:
        rows = lifecycle_rows(consents, "captured_day", "withdrawn_day", self.params)
        return rows.select(
            pl.col("consent_id").cast(pl.String).alias("ИД_СОГЛАСИЯ"),
            pl.col("abs_client_id").alias("КОД_КЛИЕНТА"),
            pl.when(pl.col("purpose") == "processing")
            .then(pl.lit("ОБРАБОТКА_ПДН"))
            .otherwise(pl.lit("РЕКЛАМА"))
            .alias("ВИД_СОГЛАСИЯ"),
            pl.col("channel")
            .replace({"sms": "SMS", "email": "EMAIL", "call": "ЗВОНОК", "push": "PUSH"})
            .alias("КАНАЛ"),
            ddmmyyyy(_date("captured_day")).alias("ДАТА_ПОЛУЧЕНИЯ"),
            pl.col("document_version").alias("ВЕРСИЯ_ДОКУМЕНТА"),
            pl.col("capture_method").alias("СПОСОБ_ПОЛУЧЕНИЯ"),
            _text_date("end_visible").alias("ДАТА_ОТЗЫВА"),
            pl.col(DATE),
        )
