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
}
EXTERNAL_BANK_KINDS = (
    "salary_external", "sbp_in", "sbp_out", "me2me_out", "card_to_card", "business_in",
    "business_out",
)  # fmt: skip
PERSON_COUNTERPARTY_KINDS = ("sbp_in", "sbp_out", "card_to_card")


class TransactionDetails:
    def __init__(self, seed: int, population, identity, business_accounts):
        self.seed = seed
        p = population.persons
        self.full_name = (
            p.select(pl.concat_str(["surname", "first_name", "patronymic"], separator=" "))
            .to_series()
            .to_numpy()
        )
        short = p.select(
            pl.concat_str(
                [pl.col("first_name"), pl.col("patronymic"), pl.col("surname").str.slice(0, 1)],
                separator=" ",
            )
            + pl.lit(".")
        )
        self.sbp_name = short.to_series().to_numpy()
        companies = population.companies
        self.company_name = companies["name"].to_numpy()
        self.company_inn = companies["inn"].to_numpy()
        self.company_account = business_accounts.numbers[: companies.height]
        rng = stream(seed, "external_employers")
        forms = business.sample_legal_forms(rng, EXTERNAL_EMPLOYERS)
        self.ext_name = business.company_names(rng, EXTERNAL_EMPLOYERS, forms.short_name)
        self.ext_inn = ids.inn_legal(rng, np.arange(EXTERNAL_EMPLOYERS) + 500_000, 77)

    def describe(self, month: int, postings: pl.DataFrame, number_of_key, log: DefectLog):
        """TRANSACTIONS rows for one month of postings (with ``_date`` and ``_amount``)."""
        rng = stream(self.seed, "transaction_details", month)
        k = postings.height
        kind = postings["kind"].to_numpy()
        day = postings["day"].to_numpy()
        person = postings["person_id"].to_numpy()
        dates = postings.select(pl.col("day").cast(pl.Date)).to_series()
        months = dates.dt.month().to_numpy()
        years = dates.dt.year().to_numpy()
        day_of_month = dates.dt.day().to_numpy()

        purpose_kind = np.vectorize(PURPOSE_KIND.get, otypes=[object])(kind)
        purpose_kind = np.where((kind == "salary") & (day_of_month >= 20), "advance", purpose_kind)
        banks = business.sample_counterparties(rng, "bank", k)
        bank_short = banks["short_name"].to_numpy()
        texts = business.purpose_texts(
            rng,
            purpose_kind.astype(str),
            months,
            years,
            days=day_of_month,
            fields={"bank": bank_short},
        )

        cp_bic = np.full(k, BANK_BIC, dtype=object)
        cp_account = np.full(k, "", dtype=object)
        cp_inn = np.full(k, "", dtype=object)
        cp_name = np.full(k, BANK_NAME, dtype=object)
        external = np.isin(kind, EXTERNAL_BANK_KINDS)
        cp_bic[external] = banks["bic"].to_numpy()[external]
        cp_name[external] = banks["name"].to_numpy()[external]

        sal = kind == "salary"
        employer = postings["counterparty"].to_numpy()[sal]
        cp_name[sal] = self.company_name[employer]
        cp_inn[sal] = self.company_inn[employer]
        cp_account[sal] = self.company_account[employer]
        ext = np.flatnonzero(np.isin(kind, ("salary_external", "business_in", "business_out")))
        which = rng.integers(0, EXTERNAL_EMPLOYERS, len(ext))
        cp_name[ext] = self.ext_name[which]
        cp_inn[ext] = self.ext_inn[which]
        p2p = np.flatnonzero(np.isin(kind, PERSON_COUNTERPARTY_KINDS))
        cp_name[p2p] = self.sbp_name[rng.integers(0, len(self.sbp_name), len(p2p))]
        me2me = kind == "me2me_out"
        cp_name[me2me] = self.full_name[person[me2me]]
        year = int(np.median(years)) if k else None
        for cp_kind, mask in (
            ("social_fund", kind == "pension"),
            ("utility", kind == "utilities"),
            ("tax", kind == "tax"),
        ):
            idx = np.flatnonzero(mask)
            if len(idx):
                rows = business.sample_counterparties(rng, cp_kind, len(idx), year=year)
                cp_name[idx] = rows["name"].to_numpy()
                cp_inn[idx] = rows["inn"].fill_null("").to_numpy()
                cp_bic[idx] = rows["bic"].fill_null(BANK_BIC).to_numpy()
                cp_account[idx] = rows["account"].fill_null("").to_numpy()

        purpose = texts["purpose"].to_numpy().astype(object)
        broken = pick(rng, k, SHARE_BROKEN_ROWS)
        how = rng.random(len(broken)) < 0.6
        original = purpose[broken].copy()
        cut = np.array([len(s) // 2 for s in original.astype(str)])
        purpose[broken] = [
            f"{s[:c]}{'; ' if semi else chr(13) + chr(10)}{s[c:]}"
            for s, c, semi in zip(original.astype(str), cut, how, strict=True)
        ]
        log.add(
            "abs",
            "transactions",
            postings["doc_id"].to_numpy()[broken],
            "НАЗНАЧЕНИЕ_ПЛАТЕЖА",
            np.where(how, "broken_row_separator", "broken_row_newline"),
            original,
            purpose[broken],
        )

        debit = number_of_key(postings["debit_key"].to_numpy())
        credit = number_of_key(postings["credit_key"].to_numpy())
        amount = rub_comma(pl.col("amount_kop"))
        return postings.select(
            pl.col("doc_id").cast(pl.String).alias("ИД_ДОК"),
            ddmmyyyy(pl.col("day").cast(pl.Date)).alias("ДАТА_ДОК"),
            ddmmyyyy(pl.col("day").cast(pl.Date)).alias("ДАТА_ПРОВ"),
            pl.Series(debit).alias("СЧЕТ_ДТ"),
            pl.Series(credit).alias("СЧЕТ_КТ"),
            amount.alias("СУММА"),
            pl.lit("810").alias("ВАЛЮТА"),
            amount.alias("СУММА_РУБ"),
            texts["doc_cipher"].alias("ШИФР_ДОК"),
            (pl.col("doc_id") % 1_000_000).cast(pl.String).alias("НОМЕР_ДОК"),
            pl.Series(cp_bic.astype(str)).alias("БИК_КОНТРАГЕНТА"),
            pl.Series(cp_account.astype(str)).alias("СЧЕТ_КОНТРАГЕНТА"),
            pl.Series(cp_inn.astype(str)).alias("ИНН_КОНТРАГЕНТА"),
            pl.Series(cp_name.astype(str)).alias("НАИМ_КОНТРАГЕНТА"),
            pl.Series(purpose.astype(str)).alias("НАЗНАЧЕНИЕ_ПЛАТЕЖА"),
            texts["channel"].alias("КАНАЛ"),
            pl.col("day").cast(pl.Date).alias(DATE),
            pl.col("amount_kop").alias(AMOUNT),
        )
