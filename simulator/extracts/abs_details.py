"""Counterparty fields and payment purposes of core-banking postings, in the АБС layout.

The posting kind decides who stands on the other side: the employer for a salary, the social
fund for a pension, another bank for SBP transfers (for a "me2me" transfer the recipient is the
client himself), the tax office, a utility, or the bank itself for loans, deposits and fees.
A few rows are broken the way real unquoted exports break: a ``;`` or a line break inside the
payment purpose.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from cdp import identifiers as ids
from simulator import business
from simulator.accounts import BANK_BIC, BANK_NAME
from simulator.defects import DefectLog, pick
from simulator.extracts.landing import AMOUNT, DATE
from simulator.extracts.values import ddmmyyyy, rub_comma
from simulator.rng import stream

SHARE_BROKEN_ROWS = 0.0005
EXTERNAL_EMPLOYERS = 400

PURPOSE_KIND = {
    "salary": "salary",
    "salary_external": "salary",
    "pension": "pension",
    "sbp_in": "sbp_in",
    "sbp_out": "sbp_out",
    "me2me_out": "sbp_me2me_out",
    "card_to_card": "card2card_out",
    "utilities": "utilities",
    "tax": "tax",
    "loan_issue": "loan_issue",
    "loan_repayment": "loan_repayment",
    "credit_card_repayment": "credit_card_repayment",
    "deposit_open": "deposit_topup",
    "deposit_topup": "deposit_topup",
    "deposit_close": "deposit_withdrawal",
    "interest": "interest",
    "fee": "fee",
    "card_settlement": "card_purchase",
    "business_in": "internal_in",
    "business_out": "internal_out",
    "cash_deposit": "cash_deposit",
    "me2me_in": "sbp_me2me_in",
}
COUNTERPARTY_GROUP = {
    "salary": "employer",
    "salary_external": "company",
    "business_in": "company",
    "business_out": "company",
    "sbp_in": "person",
    "sbp_out": "person",
    "card_to_card": "person",
    "me2me_out": "self",
    "me2me_in": "self",
    "pension": "social_fund",
    "utilities": "utility",
    "tax": "tax",
}
"""Who stands on the other side of a posting, by kind; every other kind is the bank itself."""
CP_COLUMNS = ("cp_bic", "cp_account", "cp_inn", "cp_name")


class TransactionDetails:
    """Look-up columns kept as polars Series, so a month of postings is described with
    vectorised gathers instead of Python objects (measured 2.3x faster at 50 k persons:
    18.6 s → 8.0 s for 12 months)."""

    def __init__(self, seed: int, population, identity, business_accounts):
        self.seed = seed
        p = population.persons
        self.full_name = p.select(
            pl.concat_str(["surname", "first_name", "patronymic"], separator=" ")
        ).to_series()
        self.sbp_name = p.select(
            pl.concat_str(
                [pl.col("first_name"), pl.col("patronymic"), pl.col("surname").str.slice(0, 1)],
                separator=" ",
            )
            + pl.lit(".")
        ).to_series()
        companies = population.companies
        self.company_name = companies["name"]
        self.company_inn = companies["inn"]
        self.company_account = pl.Series(business_accounts.numbers[: companies.height])
        rng = stream(seed, "external_employers")
        forms = business.sample_legal_forms(rng, EXTERNAL_EMPLOYERS)
        self.ext_name = pl.Series(business.company_names(rng, EXTERNAL_EMPLOYERS, forms.short_name))
        self.ext_inn = pl.Series(ids.inn_legal(rng, np.arange(EXTERNAL_EMPLOYERS) + 500_000, 77))

    def describe(self, part: tuple[int, int], postings: pl.DataFrame, accounts, log: DefectLog):
        """TRANSACTIONS rows for one (month, chunk) of postings, with ``_date`` and ``_amount``."""
        rng = stream(self.seed, "transaction_details", *part)
        k = postings.height
        dates = postings["day"].cast(pl.Date)
        years = dates.dt.year().to_numpy()
        kind = pl.col("kind")
        frame = postings.with_columns(
            dates.alias(DATE),
            pl.when((kind == "salary") & (dates.dt.day() >= 20))
            .then(pl.lit("advance"))
            .otherwise(kind.replace_strict(PURPOSE_KIND))
            .alias("purpose_kind"),
        )
        banks = business.sample_counterparties(rng, "bank", k)
        texts = business.purpose_texts(
            rng,
            frame["purpose_kind"],
            dates.dt.month().to_numpy(),
            years,
            days=dates.dt.day().to_numpy(),
            fields={"bank": banks["short_name"]},
        )
        frame = frame.with_columns(
            texts["purpose"].alias("purpose"),
            texts["doc_cipher"].alias("cipher"),
            texts["channel"].alias("channel"),
            banks["bic"].alias("bank_bic"),
            banks["name"].alias("bank_name"),
            accounts(pl.col("debit_key")).alias("debit"),
            accounts(pl.col("credit_key")).alias("credit"),
            ddmmyyyy(pl.col(DATE)).alias("date_text"),
            rub_comma(pl.col("amount_kop")).alias("amount_text"),
        )
        year = int(np.median(years)) if k else None
        # only the columns the counterparties need are split by group and put back in order
        sides = frame.select(
            pl.int_range(k, dtype=pl.UInt32).alias("_row"),
            kind.replace_strict(COUNTERPARTY_GROUP, default="bank").alias("_group"),
            "counterparty", "person_id", "bank_bic", "bank_name",
        )  # fmt: skip
        parts = [
            self._counterparties(rng, group, part, year)
            for (group,), part in sides.group_by("_group", maintain_order=True)
        ]
        sides = pl.concat(parts, how="vertical").sort("_row")
        frame = frame.hstack(sides.select(CP_COLUMNS).get_columns())
        frame = self._break_rows(rng, frame, log)
        return frame.select(
            pl.col("doc_id").cast(pl.String).alias("ИД_ДОК"),
            pl.col("date_text").alias("ДАТА_ДОК"),
            pl.col("date_text").alias("ДАТА_ПРОВ"),
            pl.col("debit").alias("СЧЕТ_ДТ"),
            pl.col("credit").alias("СЧЕТ_КТ"),
            pl.col("amount_text").alias("СУММА"),
            pl.lit("643").alias("ВАЛЮТА"),
            pl.col("amount_text").alias("СУММА_РУБ"),
            pl.col("cipher").alias("ШИФР_ДОК"),
            (pl.col("doc_id") % 1_000_000).cast(pl.String).alias("НОМЕР_ДОК"),
            pl.col("cp_bic").alias("БИК_КОНТРАГЕНТА"),
            pl.col("cp_account").alias("СЧЕТ_КОНТРАГЕНТА"),
            pl.col("cp_inn").alias("ИНН_КОНТРАГЕНТА"),
            pl.col("cp_name").alias("НАИМ_КОНТРАГЕНТА"),
            pl.col("purpose").alias("НАЗНАЧЕНИЕ_ПЛАТЕЖА"),
            pl.col("channel").alias("КАНАЛ"),
            pl.col(DATE),
            pl.col("amount_kop").alias(AMOUNT),
        )

    def _counterparties(self, rng, group: str, part: pl.DataFrame, year) -> pl.DataFrame:
        """cp_bic, cp_account, cp_inn, cp_name for rows whose other side is of one kind."""
        n = part.height
        bank = (pl.lit(BANK_BIC), pl.lit(""), pl.lit(""), pl.lit(BANK_NAME))
        external = (pl.col("bank_bic"), pl.lit(""), pl.lit(""), pl.col("bank_name"))
        if group == "employer":
            employer = part["counterparty"]
            values = (
                pl.lit(BANK_BIC),
                pl.lit(self.company_account.gather(employer)),
                pl.lit(self.company_inn.gather(employer)),
                pl.lit(self.company_name.gather(employer)),
            )
        elif group == "company":
            which = pl.Series(rng.integers(0, EXTERNAL_EMPLOYERS, n))
            values = (
                *external[:2],
                pl.lit(self.ext_inn.gather(which)),
                pl.lit(self.ext_name.gather(which)),
            )
        elif group == "person":
            other = pl.Series(rng.integers(0, len(self.sbp_name), n))
            values = (*external[:3], pl.lit(self.sbp_name.gather(other)))
        elif group == "self":
            values = (*external[:3], pl.lit(self.full_name.gather(part["person_id"])))
        elif group in ("social_fund", "utility", "tax"):
            rows = business.sample_counterparties(rng, group, n, year=year)
            values = (
                pl.lit(rows["bic"].fill_null(BANK_BIC)),
                pl.lit(rows["account"].fill_null("")),
                pl.lit(rows["inn"].fill_null("")),
                pl.lit(rows["name"]),
            )
        else:
            values = bank
        return part.with_columns(v.alias(c) for c, v in zip(CP_COLUMNS, values, strict=True))

    def _break_rows(self, rng, frame: pl.DataFrame, log: DefectLog) -> pl.DataFrame:
        """A ``;`` or a line break inside a few unquoted payment purposes."""
        broken = pick(rng, frame.height, SHARE_BROKEN_ROWS)
        if len(broken) == 0:
            return frame
        semicolon = rng.random(len(broken)) < 0.6
        original = frame["purpose"].gather(broken).to_list()
        damaged = [
            f"{s[: len(s) // 2]}{'; ' if semi else chr(13) + chr(10)}{s[len(s) // 2 :]}"
            for s, semi in zip(original, semicolon, strict=True)
        ]
        log.add(
            "abs",
            "transactions",
            frame["doc_id"].gather(broken).to_numpy(),
            "НАЗНАЧЕНИЕ_ПЛАТЕЖА",
            np.where(semicolon, "broken_row_separator", "broken_row_newline"),
            np.array(original, dtype=object),
            np.array(damaged, dtype=object),
        )
        return frame.with_columns(frame["purpose"].scatter(broken, damaged))
