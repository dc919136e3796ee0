"""Card processing extracts: holders, cards, limits, blocks, authorizations and clearing.

Pipe-separated UTF-8 with a ``TRL|<rows>|<sum of minor units>`` trailer, amounts in kopecks and
local (Moscow) timestamps, the way processing centres (Way4-like) export. No full PAN ever
reaches the landing zone: cards carry the masked PAN and a keyed token. Holders' Latin names
follow the transliteration scheme in force when the holder got their first card, so older
holders still carry MVD-310 or GOST 52535 spellings.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from cdp import identifiers as ids
from simulator import contacts, translit
from simulator.activity.cards import (
    CARD_LIFE_DAYS,
    GENERATION_STRIDE,
    card_generation,
    card_ids,
    has_card,
    pan_serials,
)
from simulator.defects import DefectLog, pick
from simulator.extracts import phone_updates
from simulator.extracts.formats import CARDS_PIPE
from simulator.extracts.landing import AMOUNT, DATE, FileType, LandingWriter, lifecycle_rows
from simulator.extracts.phone_updates import PhoneUpdates
from simulator.lifecycle import NEVER_DAY, P_INDEX, Lifecycle
from simulator.population import days
from simulator.rng import stream

SYSTEM = "cards"
CARD_PHONE_STYLES = {"e164": 0.8, "plain_8": 0.2}
PHONE_UPDATES = PhoneUpdates(
    stream="card_phone_updates",
    share=0.5,
    max_lag_days=14,
    phone_column="MOBILE_PHONE",
    styles=CARD_PHONE_STYLES,
)
"""The holder's number is the one card notifications go to: half the numbers changed in the app
reach processing within two weeks (an assumption, not a calibrated figure); the others keep the
old one there."""
SHARE_HOLDER_WITHOUT_CBS_ID = 0.01
SHARE_CARD_ORPHANS = 0.007

HOLDERS = FileType(
    SYSTEM, "holders", "holders_{date}.txt", CARDS_PIPE,
    ("HOLDER_ID", "CBS_CLIENT_ID", "LAST_NAME", "FIRST_NAME", "BIRTH_DATE", "MOBILE_PHONE",
     "EMAIL", "CREATED_AT"),
)  # fmt: skip
CARDS = FileType(
    SYSTEM, "cards", "cards_{date}.txt", CARDS_PIPE,
    ("CARD_ID", "CONTRACT_ID", "HOLDER_ID", "ACCOUNT_NUMBER", "PAN_MASKED", "PAN_TOKEN", "BIN",
     "PAYMENT_SYSTEM", "CARD_PRODUCT", "CARD_TYPE", "IS_VIRTUAL", "EMBOSSED_NAME", "EXPIRY",
     "STATUS", "STATUS_REASON", "STATUS_DATE", "ISSUE_DATE", "TOKENIZED"),
)  # fmt: skip
LIMITS = FileType(
    SYSTEM, "limits", "limits_{date}.txt", CARDS_PIPE,
    ("CARD_ID", "LIMIT_TYPE", "VALUE", "CURRENCY", "VALID_FROM"),
)  # fmt: skip
BLOCKS = FileType(
    SYSTEM, "blocks", "blocks_{date}.txt", CARDS_PIPE,
    ("BLOCK_ID", "CARD_ID", "ACCOUNT_NUMBER", "BLOCK_TYPE", "DATE_FROM", "DATE_TO", "REASON_CODE"),
)  # fmt: skip
AUTHORIZATIONS = FileType(
    SYSTEM, "authorizations", "auth_{date}.txt", CARDS_PIPE,
    ("RECORD_TYPE", "MTI", "CARD_ID", "PAN_MASKED", "PAN_TOKEN", "PROCESSING_CODE",
     "AMOUNT_MINOR", "CURRENCY", "BILLING_AMOUNT_MINOR", "TRANSMISSION_DT", "STAN", "LOCAL_DT",
     "MCC", "POS_ENTRY_MODE", "RRN", "AUTH_CODE", "RESPONSE_CODE", "TERMINAL_ID", "MERCHANT_ID",
     "MERCHANT_NAME_LOCATION"),
)  # fmt: skip
CLEARINGS = FileType(
    SYSTEM, "clearings", "clearing_{date}.txt", CARDS_PIPE,
    ("RECORD_TYPE", "MTI", "CARD_ID", "PAN_MASKED", "PAN_TOKEN", "PROCESSING_CODE",
     "AMOUNT_MINOR", "CURRENCY", "BILLING_AMOUNT_MINOR", "TRANSACTION_DT", "POSTING_DATE", "MCC",
     "RRN", "AUTH_CODE", "TERMINAL_ID", "MERCHANT_ID", "MERCHANT_NAME_LOCATION"),
)  # fmt: skip
FILE_TYPES = (HOLDERS, CARDS, LIMITS, BLOCKS, AUTHORIZATIONS, CLEARINGS)


def _scheme_for(first_card_year: np.ndarray) -> np.ndarray:
    return np.where(
        first_card_year < 2010,
        "mvd_310",
        np.where(first_card_year < 2014, "gost_52535", "icao_doc_9303"),
    )


class CardExtracts:
    def __init__(self, params, population, identity):
        self.params = params
        self.persons = population.persons
        self.identity = identity
        self.key = params.pan_token_key.encode()
        self.log = DefectLog()
        self.records: list[pl.DataFrame] = []
        self._pan = pl.DataFrame(
            schema={"card_id": pl.Int64, "PAN_MASKED": pl.String, "PAN_TOKEN": pl.String}
        )

    @property
    def defects(self) -> list[pl.DataFrame]:
        return self.log.frames

    def _pan_fields(self, card_id: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """BIN, masked PAN and token per card, derived from the card id (generator-only PAN)."""
        serial = pan_serials(card_id)
        bins_all = np.array(["220077", "220078", "220077", "427681", "546938"])
        contract = (card_id - card_ids(0)) % GENERATION_STRIDE
        bins = bins_all[contract % len(bins_all)]  # a reissue keeps the payment system
        pans = ids.pans(bins, serial)
        return bins, ids.mask_pan(pans), ids.pan_token(pans, self.key)

    def _pan_columns(self, card_id: pl.Series) -> pl.DataFrame:
        """Masked PAN and token per card, computed once per card (the keyed hash is costly)."""
        new = card_id.unique().filter(~card_id.unique().is_in(self._pan["card_id"].implode()))
        if new.len():
            _, masked, token = self._pan_fields(new.to_numpy())
            self._pan = pl.concat(
                [
                    self._pan,
                    pl.DataFrame({"card_id": new, "PAN_MASKED": masked, "PAN_TOKEN": token}),
                ]
            )
        return self._pan

    def write_month(self, writer: LandingWriter, cards: pl.DataFrame) -> None:
        if cards.height == 0:
            return
        pan = cards.select("card_id").join(
            self._pan_columns(cards["card_id"]), on="card_id", how="left", maintain_order="left"
        )  # joined alone: joining the month's cards would copy every column
        c = cards.with_columns(
            pan["PAN_MASKED"],
            pan["PAN_TOKEN"],
            (
                pl.col("auth_day").cast(pl.Date).cast(pl.Datetime("ms"))
                + pl.duration(seconds=pl.col("auth_second"))
            ).alias("local_ts"),
        )
        processing = pl.when(pl.col("is_atm")).then(pl.lit("010000")).otherwise(pl.lit("000000"))
        rrn = pl.col("rrn_serial").cast(pl.String).str.pad_start(12, "0")
        auth_code = pl.col("auth_code").cast(pl.String).str.pad_start(6, "0")
        auth = c.select(
            pl.lit("AUTH").alias("RECORD_TYPE"),
            pl.when(pl.col("is_atm")).then(pl.lit("0200")).otherwise(pl.lit("0100")).alias("MTI"),
            pl.col("card_id").cast(pl.String).alias("CARD_ID"),
            "PAN_MASKED",
            "PAN_TOKEN",
            processing.alias("PROCESSING_CODE"),
            pl.col("amount_kop").cast(pl.String).alias("AMOUNT_MINOR"),
            pl.lit("643").alias("CURRENCY"),
            pl.col("amount_kop").cast(pl.String).alias("BILLING_AMOUNT_MINOR"),
            (pl.col("local_ts") - pl.duration(hours=3))
            .dt.strftime("%m%d%H%M%S")
            .alias("TRANSMISSION_DT"),
            pl.col("stan").cast(pl.String).str.pad_start(6, "0").alias("STAN"),
            pl.col("local_ts").dt.strftime("%Y-%m-%d %H:%M:%S").alias("LOCAL_DT"),
            pl.col("mcc").alias("MCC"),
            pl.col("pos_entry_mode").alias("POS_ENTRY_MODE"),
            rrn.alias("RRN"),
            pl.when(pl.col("is_approved")).then(auth_code).otherwise(pl.lit("")).alias("AUTH_CODE"),
            pl.col("response_code").alias("RESPONSE_CODE"),
            pl.col("terminal_id").alias("TERMINAL_ID"),
            pl.col("merchant_id").alias("MERCHANT_ID"),
            pl.col("de43").alias("MERCHANT_NAME_LOCATION"),
            pl.col("auth_day").cast(pl.Date).alias(DATE),
            pl.col("amount_kop").alias(AMOUNT),
        )
        reversals = auth.filter(pl.Series(c["is_reversed"])).with_columns(
            pl.lit("0400").alias("MTI"), pl.lit("").alias("AUTH_CODE")
        )
        writer.write(AUTHORIZATIONS, pl.concat([auth, reversals]).sort(DATE, maintain_order=True))
        cleared = c.filter(pl.col("is_approved") & ~pl.col("is_reversed"))
        writer.write(
            CLEARINGS,
            cleared.select(
                pl.lit("CLR").alias("RECORD_TYPE"),
                pl.lit("1240").alias("MTI"),
                pl.col("card_id").cast(pl.String).alias("CARD_ID"),
                "PAN_MASKED",
                "PAN_TOKEN",
                processing.alias("PROCESSING_CODE"),
                pl.col("clearing_amount_kop").cast(pl.String).alias("AMOUNT_MINOR"),
                pl.lit("643").alias("CURRENCY"),
                pl.col("clearing_amount_kop").cast(pl.String).alias("BILLING_AMOUNT_MINOR"),
                pl.col("local_ts").dt.strftime("%Y-%m-%d %H:%M:%S").alias("TRANSACTION_DT"),
                pl.col("clearing_day").cast(pl.Date).dt.strftime("%Y-%m-%d").alias("POSTING_DATE"),
                pl.col("mcc").alias("MCC"),
                rrn.alias("RRN"),
                auth_code.alias("AUTH_CODE"),
                pl.col("terminal_id").alias("TERMINAL_ID"),
                pl.col("merchant_id").alias("MERCHANT_ID"),
                pl.col("de43").alias("MERCHANT_NAME_LOCATION"),
                pl.col("clearing_day").cast(pl.Date).alias(DATE),
                pl.col("clearing_amount_kop").alias(AMOUNT),
            ),
        )

    # -- entities ----------------------------------------------------------------------------
    def write_entities(self, writer: LandingWriter, life: Lifecycle, retail, phone_changes) -> None:
        """``phone_changes``: when each person changed their number in the app, and to what
        (``DboActivity``)."""
        rng = stream(self.params.seed, "card_entities")
        b = life.book.frame()
        card_products = [P_INDEX["CURRENT"], P_INDEX["CREDIT_CARD"]]
        cards = b.filter(pl.col("product").is_in(card_products)).with_columns(
            pl.Series(
                "card_id",
                card_ids(
                    b.filter(pl.col("product").is_in(card_products))["contract_seq"]
                    .to_numpy()
                    .astype(np.int64)
                ),
            ),
        )
        k = cards.height
        cards = cards.filter(
            (pl.col("product") != P_INDEX["CURRENT"])
            | pl.Series(has_card(cards["contract_seq"].to_numpy()))
        )
        k = cards.height
        person = cards["person_id"].to_numpy()
        first_card = cards.group_by("person_id").agg(
            pl.col("open_day").min().alias("first_card_day")
        )
        holders = self._holders(rng, first_card)
        holder_of = dict(
            zip(holders["person_id"].to_list(), holders["HOLDER_ID"].to_list(), strict=False)
        )
        holder_id = np.array([holder_of[p] for p in person], dtype=object)
        orphan = pick(rng, k, SHARE_CARD_ORPHANS)
        true_holder = holder_id.copy()
        holder_id[orphan] = np.char.add("H9", rng.integers(10**7, 10**8, len(orphan)).astype(str))
        cards = self._reissues(
            cards.with_columns(
                pl.Series("holder_id", holder_id.astype(str)),
                pl.Series("true_holder_id", true_holder.astype(str)),
            )
        )
        unknown = cards.filter(pl.col("holder_id") != pl.col("true_holder_id"))
        self.log.add(
            SYSTEM,
            "cards",
            unknown["card_id"].to_numpy(),
            "HOLDER_ID",
            np.full(unknown.height, "orphan_reference"),
            unknown["true_holder_id"].to_numpy(),
            unknown["holder_id"].to_numpy(),
        )
        k = cards.height
        person = cards["person_id"].to_numpy()
        bins, masked, token = self._pan_fields(cards["card_id"].to_numpy())
        first_year = (1970 + cards["open_day"].to_numpy() / 365.25).astype(int)
        p = self.persons
        emb = translit.embossed_names(
            p["first_name"].to_numpy()[person],
            p["surname"].to_numpy()[person],
            _scheme_for(first_year),
        )
        instant = (rng.random(k) < 0.04) & (cards["generation"].to_numpy() == 0)
        emb = np.where(instant, "INSTANT", emb)
        is_credit = cards["product"].to_numpy() == P_INDEX["CREDIT_CARD"]
        system = np.where(
            np.char.startswith(bins.astype(str), "2"),
            "MIR",
            np.where(np.char.startswith(bins.astype(str), "4"), "VISA", "MC"),
        )
        frame = cards.with_columns(
            pl.Series("account", retail.number[cards["contract_seq"].to_numpy()]),
            pl.Series("pan_masked", masked),
            pl.Series("pan_token", token),
            pl.Series("bin", bins),
            pl.Series("payment_system", system),
            pl.Series("embossed", emb),
            pl.Series("is_credit", is_credit),
            pl.Series("virtual", rng.random(k) < 0.12),
            pl.Series("tokenized", rng.random(k) < 0.45),
        )
        rows = lifecycle_rows(frame, "issue_day", "end_day", self.params)
        expiry = (pl.col("issue_day") + CARD_LIFE_DAYS).cast(pl.Date)
        closed = pl.col("end_visible") < NEVER_DAY
        status = pl.when(pl.col("reissued")).then(pl.lit("EXPIRED")).otherwise(pl.lit("CLOSED"))
        reason = (
            pl.when(pl.col("reissued"))
            .then(pl.lit("REISSUED_ON_EXPIRY"))
            .otherwise(pl.lit("CLOSED_BY_CLIENT"))
        )
        writer.write(
            CARDS,
            rows.select(
                pl.col("card_id").cast(pl.String).alias("CARD_ID"),
                (pl.col("contract_seq") + 3_000_000).cast(pl.String).alias("CONTRACT_ID"),
                pl.col("holder_id").alias("HOLDER_ID"),
                pl.col("account").alias("ACCOUNT_NUMBER"),
                pl.col("pan_masked").alias("PAN_MASKED"),
                pl.col("pan_token").alias("PAN_TOKEN"),
                pl.col("bin").alias("BIN"),
                pl.col("payment_system").alias("PAYMENT_SYSTEM"),
                pl.when("is_credit")
                .then(pl.lit("CREDIT_CLASSIC"))
                .otherwise(pl.lit("DEBIT_CLASSIC"))
                .alias("CARD_PRODUCT"),
                pl.when("is_credit")
                .then(pl.lit("CREDIT"))
                .otherwise(pl.lit("DEBIT"))
                .alias("CARD_TYPE"),
                pl.when("virtual").then(pl.lit("Y")).otherwise(pl.lit("N")).alias("IS_VIRTUAL"),
                pl.col("embossed").alias("EMBOSSED_NAME"),
                expiry.dt.strftime("%m/%y").alias("EXPIRY"),
                pl.when(closed).then(status).otherwise(pl.lit("ACTIVE")).alias("STATUS"),
                pl.when(closed).then(reason).otherwise(pl.lit("")).alias("STATUS_REASON"),
                pl.when(closed)
                .then(pl.col("end_visible"))
                .otherwise(pl.col("issue_day"))
                .cast(pl.Date)
                .dt.strftime("%Y-%m-%d")
                .alias("STATUS_DATE"),
                pl.col("issue_day").cast(pl.Date).dt.strftime("%Y-%m-%d").alias("ISSUE_DATE"),
                pl.when("tokenized").then(pl.lit("Y")).otherwise(pl.lit("N")).alias("TOKENIZED"),
                pl.col(DATE),
            ),
        )
        planned = phone_updates.plan(
            holders["person_id"].to_numpy(), PHONE_UPDATES, phone_changes, life, self.params
        )
        holders = phone_updates.apply(holders, planned, PHONE_UPDATES)
        writer.write(HOLDERS, holders.sort(DATE, maintain_order=True).drop("person_id"))
        writer.write(LIMITS, self._limits(rng, frame))
        writer.write(BLOCKS, self._blocks(rng, frame))

    def _reissues(self, contracts: pl.DataFrame) -> pl.DataFrame:
        """One row per physical card: a contract's card is reissued every four years, the old
        one expiring the day the new one is issued."""
        today = days(self.params.business_date)
        last_generation = card_generation(
            contracts["open_day"].to_numpy(), np.minimum(contracts["close_day"].to_numpy(), today)
        )
        cards = contracts.with_columns(
            pl.int_ranges(0, pl.lit(pl.Series(last_generation + 1))).alias("generation"),
            pl.Series("last_generation", last_generation),
        ).explode("generation")
        g = cards["generation"].to_numpy()
        issue = cards["open_day"].to_numpy() + g * CARD_LIFE_DAYS
        reissued = g < cards["last_generation"].to_numpy()
        return cards.with_columns(
            pl.Series("card_id", card_ids(cards["contract_seq"].to_numpy(), g)),
            pl.Series("issue_day", issue),
            pl.Series("end_day", np.where(reissued, issue + CARD_LIFE_DAYS, cards["close_day"])),
            pl.Series("reissued", reissued),
        )

    def _holders(self, rng, first_card: pl.DataFrame) -> pl.DataFrame:
        p = self.persons.join(first_card, on="person_id", how="inner")
        person = p["person_id"].to_numpy()
        n = p.height
        year = (1970 + p["first_card_day"].to_numpy() / 365.25).astype(int)
        latin = translit.embossed_names(
            p["first_name"].to_numpy(), p["surname"].to_numpy(), _scheme_for(year)
        )
        parts = [s.split(" ", 1) if " " in s else [s, ""] for s in latin.astype(str)]
        first = np.array([a for a, _ in parts])
        last = np.array([b for _, b in parts])
        cbs = self.identity.abs_client_id[person].astype(object)
        missing = pick(rng, n, SHARE_HOLDER_WITHOUT_CBS_ID)
        holder_ids = self.identity.holder_id[person]
        self.log.add(
            SYSTEM,
            "holders",
            holder_ids[missing],
            "CBS_CLIENT_ID",
            np.full(len(missing), "orphan_unmapped"),
            cbs[missing],
            np.full(len(missing), ""),
        )
        cbs[missing] = ""
        phone = contacts.format_phones(rng, p["mobile_phone"].to_numpy(), CARD_PHONE_STYLES)
        self.records.append(
            pl.DataFrame(
                {
                    "system": SYSTEM,
                    "entity": "holders",
                    "record_id": holder_ids,
                    "person_id": person,
                    "role": "card_holder",
                }
            )
        )
        return pl.DataFrame(
            {
                "person_id": person,
                "HOLDER_ID": holder_ids,
                "CBS_CLIENT_ID": cbs.astype(str),
                "LAST_NAME": last,
                "FIRST_NAME": first,
                "BIRTH_DATE": p["birth_day"].cast(pl.Date).dt.strftime("%Y-%m-%d"),
                "MOBILE_PHONE": phone.astype(str),
                "EMAIL": p["email"],
                "CREATED_AT": p["first_card_day"].cast(pl.Date).dt.strftime("%Y-%m-%d 10:00:00"),
                DATE: p["first_card_day"].cast(pl.Date),
            }
        )

    def _limits(self, rng, cards: pl.DataFrame) -> pl.DataFrame:
        changed = cards.filter(pl.Series(rng.random(cards.height) < 0.15))
        k = changed.height
        kinds = np.array(
            ["cash_daily", "purchase_daily", "ecom_monthly", "p2p_daily", "abroad_enabled"]
        )
        kind = kinds[rng.integers(0, len(kinds), k)]
        value = np.where(
            kind == "abroad_enabled", 1, rng.choice([50_000, 100_000, 200_000, 300_000], k) * 100
        )
        day = np.minimum(
            changed["issue_day"].to_numpy() + rng.integers(1, 900, k),
            changed["close_day"].to_numpy() - 1,
        )
        day = np.minimum(day, days(self.params.business_date))
        return pl.DataFrame(
            {
                "CARD_ID": changed["card_id"].cast(pl.String),
                "LIMIT_TYPE": kind,
                "VALUE": value.astype(str),
                "CURRENCY": "643",
                "VALID_FROM": pl.Series(day).cast(pl.Date).dt.strftime("%Y-%m-%d"),
                DATE: pl.Series(day).cast(pl.Date),
            }
        )

    def _blocks(self, rng, cards: pl.DataFrame) -> pl.DataFrame:
        k = cards.height
        hit = np.flatnonzero(rng.random(k) < 0.03)
        types = np.array(["client", "fraud", "court_arrest", "fz115_suspension"])
        kind = types[rng.choice(4, len(hit), p=[0.6, 0.25, 0.1, 0.05])]
        start = np.minimum(
            cards["issue_day"].to_numpy()[hit] + rng.integers(10, 1500, len(hit)),
            days(self.params.business_date),
        )
        length = np.where(
            kind == "client", rng.integers(1, 10, len(hit)), rng.integers(5, 120, len(hit))
        )
        end = start + length
        codes = {
            "client": "CLT",
            "fraud": "FRD",
            "court_arrest": "FSSP",
            "fz115_suspension": "115FZ",
        }
        frame = pl.DataFrame(
            {
                "BLOCK_ID": (600_000_000 + hit).astype(str),
                "CARD_ID": cards["card_id"].to_numpy()[hit].astype(str),
                "ACCOUNT_NUMBER": cards["account"].to_numpy()[hit],
                "BLOCK_TYPE": kind,
                "start": start,
                "end": end,
                "REASON_CODE": np.array([codes[t] for t in kind]),
            }
        )
        rows = lifecycle_rows(frame, "start", "end", self.params)
        return rows.select(
            "BLOCK_ID", "CARD_ID", "ACCOUNT_NUMBER", "BLOCK_TYPE",
            pl.col("start").cast(pl.Date).dt.strftime("%Y-%m-%d").alias("DATE_FROM"),
            pl.when(pl.col("end_visible") < NEVER_DAY)
            .then(pl.col("end_visible").cast(pl.Date).dt.strftime("%Y-%m-%d"))
            .otherwise(pl.lit("")).alias("DATE_TO"),
            "REASON_CODE",
            pl.col(DATE),
        )  # fmt: skip
