"""The tiny simulated bank's landing zone looks like the real source systems' deliveries."""

from __future__ import annotations

import datetime as dt
import re

import polars as pl
import pytest

from cdp import identifiers as ids
from simulator.accounts import BANK_BIC
from tests.landing_files import all_files, read_abs_csv, read_dbo, read_pipe, trailer

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def bank(tiny_bank):
    settings, summary = tiny_bank
    return settings, summary


@pytest.fixture(scope="module")
def clients(bank):
    settings, _ = bank
    return pl.concat([read_abs_csv(p) for p in all_files(settings.landing_dir, "abs", "CLIENTS")])


@pytest.fixture(scope="module")
def defects(bank):
    return pl.read_parquet(bank[0].truth_dir / "defects.parquet")


def test_one_folder_per_system_per_delivery_date(bank):
    settings, _ = bank
    snapshot = settings.business_date - dt.timedelta(days=settings.sim_delta_days)
    for system in ("abs", "cards"):
        folders = sorted(p.name for p in (settings.landing_dir / system).iterdir())
        assert folders[0] == snapshot.isoformat()
        assert folders[-1] >= settings.business_date.isoformat()
    assert not any(settings.landing_dir.rglob("*truth*"))


def test_core_banking_files_are_cp1251_crlf_with_trailer(bank):
    settings, _ = bank
    for path in all_files(settings.landing_dir, "abs", "CLIENTS"):
        raw = path.read_bytes()
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")
        assert raw.count(b"\r\n") == raw.count(b"\n")
        label, rows, total = trailer(path)
        assert label == "ИТОГО" and int(rows) == read_abs_csv(path).height
        assert re.fullmatch(r"-?\d+,\d\d", total)


def test_transaction_trailer_matches_rows_and_sum(bank, defects):
    settings, _ = bank
    path = all_files(settings.landing_dir, "abs", "TRANSACTIONS")[0]
    _, rows, _ = trailer(path)
    text = path.read_bytes().decode("cp1251")
    lines = text.split("\r\n")[1:-2]
    broken_newlines = defects.filter(
        (pl.col("defect_type") == "broken_row_newline")
        & pl.col("record_id").is_in([line.split(";", 1)[0] for line in lines])
    ).height
    assert int(rows) == len(lines) - broken_newlines
    assert int(rows) > 10_000


def test_identifiers_are_valid_except_injected_defects(clients, defects):
    fl = clients.filter(pl.col("ТИП_КЛИЕНТА") != "ЮЛ")
    wrong = set(defects.filter(pl.col("defect_type") == "wrong_check_digit")["record_id"])
    for column in ("ИНН", "СНИЛС"):
        values = fl.filter(pl.col(column).fill_null("") != "")
        mask = (
            ids.inn_valid_mask(values[column].to_numpy())
            if column == "ИНН"
            else ids.snils_valid_mask(values[column].to_numpy())
        )
        invalid_ids = set(values["КОД_КЛИЕНТА"].to_numpy()[~mask])
        assert invalid_ids <= wrong
        assert len(invalid_ids) > 0
    ul = clients.filter(pl.col("ТИП_КЛИЕНТА") == "ЮЛ")
    assert all(ids.is_valid_inn(v) for v in ul["ИНН"]) and all(
        ids.is_valid_ogrn(v) for v in ul["ОГРН"]
    )
    ip = clients.filter(pl.col("ТИП_КЛИЕНТА") == "ИП")
    assert all(ids.is_valid_ogrnip(v) for v in ip["ОГРН"])


def test_account_numbers_carry_a_valid_control_key(bank):
    settings, _ = bank
    accounts = pl.concat(
        [read_abs_csv(p) for p in all_files(settings.landing_dir, "abs", "ACCOUNTS")]
    )
    assert accounts.height > 1000
    assert all(ids.is_valid_account(a, BANK_BIC) for a in accounts["НОМЕР_СЧЕТА"])
    codes = set(accounts["БАЛ_СЧЕТ"])
    assert {"40817", "40702", "40802"} <= codes


def test_no_full_card_number_in_the_landing_zone(bank):
    settings, _ = bank
    pan_field = re.compile(rb"(?:^|\|)(\d{16,19})(?=\||\r?$)", re.MULTILINE)
    for path in (settings.landing_dir / "cards").rglob("*.txt"):
        for match in pan_field.findall(path.read_bytes()):
            assert not ids.luhn_ok(match.decode()), f"full PAN in {path}"
    cards = read_pipe(all_files(settings.landing_dir, "cards", "cards_")[0])
    assert cards["PAN_MASKED"].str.contains(r"^\d{6}\*{6}\d{4}$").all()


def test_duplicate_persons_share_is_realistic(bank):
    records = pl.read_parquet(bank[0].truth_dir / "source_records.parquet")
    fl = records.filter(pl.col("role").is_in(["individual", "individual_duplicate"]))
    per_person = fl.group_by("person_id").len()
    share = (per_person["len"] >= 2).mean()
    assert 0.05 <= share <= 0.15


@pytest.mark.parametrize(
    ("defect", "field", "low", "high"),
    [
        ("phone", "phone", 0.02, 0.05),
        ("email", "email", 0.02, 0.05),
    ],
)
def test_invalid_contact_rates(clients, defects, defect, field, low, high):
    fl = clients.filter(pl.col("ТИП_КЛИЕНТА") == "ФЛ")
    column = "ТЕЛ_МОБ" if field == "phone" else "EMAIL"
    present = fl.filter(pl.col(column).fill_null("") != "").height
    bad = defects.filter(
        (pl.col("system") == "abs") & (pl.col("entity") == "clients") & (pl.col("field") == field)
    ).height
    assert low <= bad / present <= high


def test_missing_mandatory_and_check_digit_rates(clients, defects):
    fl = clients.filter(pl.col("ТИП_КЛИЕНТА") == "ФЛ").height
    abs_defects = defects.filter((pl.col("system") == "abs") & (pl.col("entity") == "clients"))
    missing = abs_defects.filter(
        pl.col("defect_type").is_in(["missing_mandatory", "placeholder_value"])
    ).height
    assert 0.01 <= missing / fl <= 0.05
    identifiers = (
        clients.filter(pl.col("ТИП_КЛИЕНТА") == "ФЛ")
        .select(
            (pl.col("ИНН").fill_null("") != "").sum() + (pl.col("СНИЛС").fill_null("") != "").sum()
        )
        .item()
    )
    wrong = abs_defects.filter(pl.col("defect_type") == "wrong_check_digit").height
    assert 0.004 <= wrong / identifiers <= 0.012


def test_households_share_addresses(bank):
    persons = pl.read_parquet(bank[0].truth_dir / "persons.parquet")
    sharing = persons.group_by("household_id").len().filter(pl.col("len") >= 2)["len"].sum()
    assert 0.25 <= sharing / persons.height <= 0.6
    same_full_name = persons.group_by("surname", "first_name", "patronymic").len()
    assert (same_full_name["len"] >= 2).sum() > 0


def test_delivery_incidents_happen_as_planned(bank):
    settings, _ = bank
    events = pl.read_parquet(settings.truth_dir / "delivery_events.parquet")
    dup = events.filter(pl.col("kind") == "duplicate_file").row(0, named=True)
    name = f"TRANSACTIONS_{dup['business_date'].strftime('%Y%m%d')}.csv"
    first = settings.landing_dir / "abs" / dup["business_date"].isoformat() / name
    again = settings.landing_dir / "abs" / dup["delivered_on"].isoformat() / name
    assert first.read_bytes() == again.read_bytes()
    late = events.filter(pl.col("kind") == "late_file").row(0, named=True)
    auth = f"auth_{late['business_date'].strftime('%Y%m%d')}.txt"
    assert not (settings.landing_dir / "cards" / late["business_date"].isoformat() / auth).exists()
    assert (settings.landing_dir / "cards" / late["delivered_on"].isoformat() / auth).exists()
    enc = events.filter(pl.col("kind") == "encoding_change").row(0, named=True)
    for path in all_files(settings.landing_dir, "abs", "CONTRACTS"):
        day = dt.datetime.strptime(path.stem.split("_")[1], "%Y%m%d").date()
        raw = path.read_bytes()
        if day >= enc["business_date"]:
            raw.decode("utf-8")
        elif any(b > 127 for b in raw):
            with pytest.raises(UnicodeDecodeError):
                raw.decode("utf-8")


def test_card_holders_names_use_several_transliteration_schemes(bank):
    settings, _ = bank
    holders = read_pipe(all_files(settings.landing_dir, "cards", "holders_")[0])
    names = " ".join(holders["FIRST_NAME"].to_list())
    assert re.search(r"\b[A-Z]*Y[AU][A-Z]*\b", names)  # MVD-310: Ю→YU, Я→YA
    assert re.search(r"\b[A-Z]*I[AU][A-Z]*\b", names)  # ICAO: Ю→IU, Я→IA
    assert (holders["CBS_CLIENT_ID"].fill_null("") == "").mean() < 0.03


def test_card_transactions_use_cards_that_exist_and_are_valid(bank):
    """Every authorization names a card from the cards file, issued before it and not yet
    expired or closed; expired cards were reissued under a new card id."""
    settings, _ = bank
    cards = pl.concat([read_pipe(p) for p in all_files(settings.landing_dir, "cards", "cards_")])
    validity = cards.group_by("CARD_ID").agg(
        pl.col("ISSUE_DATE").min().str.to_date().alias("issued"),
        pl.when(pl.col("STATUS") != "ACTIVE")
        .then(pl.col("STATUS_DATE"))
        .max()
        .str.to_date()
        .alias("ended"),
    )
    auth = pl.concat(
        [read_pipe(p) for p in all_files(settings.landing_dir, "cards", "auth_")]
    ).with_columns(pl.col("LOCAL_DT").str.slice(0, 10).str.to_date().alias("day"))
    joined = auth.join(validity, on="CARD_ID", how="left")
    assert joined["issued"].null_count() == 0
    assert (joined["day"] >= joined["issued"]).all()
    assert (joined["ended"].is_null() | (joined["day"] <= joined["ended"])).all()
    assert (cards["STATUS"] == "EXPIRED").any()
    assert joined["day"].min().year >= 2025


def test_name_variants_hit_a_realistic_share_of_records(clients, defects):
    fl = clients.filter(pl.col("ТИП_КЛИЕНТА") == "ФЛ")
    name_defects = defects.filter(
        (pl.col("entity") == "clients")
        & pl.col("field").is_in(["surname", "first_name", "patronymic"])
    )
    share = name_defects["record_id"].n_unique() / fl.height
    assert 0.03 <= share <= 0.12, share
    kinds = set(name_defects["defect_type"])
    assert {"yo_to_ye", "latin_homoglyph", "typo_adjacent_key", "maiden_surname"} <= kinds


def test_broken_rows_and_orphans_stay_in_their_bands(bank, defects):
    settings, _ = bank
    postings = sum(
        int(trailer(p)[1]) for p in all_files(settings.landing_dir, "abs", "TRANSACTIONS")
    )
    broken = defects.filter(pl.col("defect_type").str.starts_with("broken_row")).height
    assert 0.0001 <= broken / postings <= 0.001
    orphans = defects.filter(pl.col("defect_type").is_in(["orphan_reference", "orphan_unmapped"]))
    records = pl.read_parquet(settings.truth_dir / "source_records.parquet")
    for system, entity, population in (
        ("abs", "accounts", None),
        ("cards", "holders", records.filter(pl.col("role") == "card_holder").height),
        ("dbo", "client_mapping", records.filter(pl.col("role") == "dbo_login").height),
    ):
        hit = orphans.filter((pl.col("system") == system) & (pl.col("entity") == entity)).height
        if population is None:
            accounts = all_files(settings.landing_dir, "abs", "ACCOUNTS")
            population = sum(read_abs_csv(p).height for p in accounts)
        assert 0.003 <= hit / population <= 0.02, (system, entity, hit, population)


def _balances(landing) -> pl.DataFrame:
    lines = []
    for path in all_files(landing, "abs", "BALANCES"):
        lines += path.read_bytes().decode("cp1251").split("\r\n")[:-2]
    amount = pl.col("line").str.slice(84, 18).str.strip_chars().str.replace(",", ".")
    return pl.DataFrame({"line": lines}).select(
        pl.col("line").str.slice(0, 10).str.to_date("%d.%m.%Y").alias("day"),
        pl.col("line").str.slice(10, 20).alias("account"),
        amount.cast(pl.Float64).alias("closing"),
    )


def test_client_accounts_stay_in_credit_and_are_emptied_on_closing(bank):
    """Current, deposit and settlement accounts never go below zero, and an account closed
    during the history ends at zero: the client takes the money along."""
    settings, _ = bank
    balances = _balances(settings.landing_dir)
    passive = balances.filter(pl.col("account").str.contains(r"^(40817|423|40702|40802)"))
    assert passive.height > 10_000
    assert (passive["closing"] >= 0).all()
    accounts = pl.concat(
        [read_abs_csv(p) for p in all_files(settings.landing_dir, "abs", "ACCOUNTS")]
    ).filter((pl.col("ДАТА_ЗАКР").fill_null("") != "") & pl.col("БАЛ_СЧЕТ").str.starts_with("4"))
    last = passive.sort("day").group_by("account").last()
    closed = last.join(
        accounts.select(pl.col("НОМЕР_СЧЕТА").alias("account")).unique(), on="account"
    )
    assert closed.height > 50
    assert (closed["closing"] == 0).mean() > 0.97


def _numbers_changed_in_the_app(settings, sources: pl.DataFrame) -> pl.DataFrame:
    """Per person whose ДБО profile changed its number: the new number and the change's date."""
    return (
        read_dbo(settings.landing_dir, "profiles")
        .filter(pl.col("updated_at").str.slice(0, 10) != pl.col("registered_at").str.slice(0, 10))
        .group_by("login_id")
        .agg(pl.col("phone", "updated_at").sort_by("updated_at").last())
        .join(
            sources.filter(pl.col("role") == "dbo_login").select(
                pl.col("record_id").alias("login_id"), "person_id"
            ),
            on="login_id",
        )
        .select("person_id", "phone", pl.col("updated_at").str.slice(0, 10).str.to_date())
    )


def _reached(changed: pl.DataFrame, records: pl.DataFrame, sources, role: str) -> pl.DataFrame:
    """The system's records (id, phone, business date; latest version) of the people who
    changed their number, and whether they show the new one."""
    latest = (
        records.group_by("record_id")
        .agg(pl.all().sort_by("_date").last())
        .join(sources.filter(pl.col("role") == role), on="record_id")
    )
    digits = [pl.col(c).str.replace_all(r"\D", "").str.slice(-10) for c in ("phone", "number")]
    return changed.join(latest, on="person_id").with_columns(
        (digits[0] == digits[1]).alias("reached")
    )


@pytest.mark.parametrize(("system", "share", "lag_days"), [("abs", 0.6, 30), ("cards", 0.5, 14)])
def test_a_number_changed_in_the_app_reaches_other_systems_for_some(
    bank, clients, system, share, lag_days
):
    """The app and the other system share the new number when the change reaches it (АБС: 60 %
    within a month; card processing: 50 % within two weeks); the rest keep the old number."""
    settings, _ = bank
    sources = pl.read_parquet(settings.truth_dir / "source_records.parquet")
    if system == "abs":
        records = clients.select(
            pl.col("КОД_КЛИЕНТА").alias("record_id"), pl.col("ТЕЛ_МОБ").alias("number"),
            pl.col("ДАТА_АКТУАЛ_АНКЕТЫ").str.to_date("%d.%m.%Y").alias("_date"),
        )  # fmt: skip
        role = "individual"
    else:
        records = pl.concat(
            read_pipe(path).select(
                pl.col("HOLDER_ID").alias("record_id"),
                pl.col("MOBILE_PHONE").alias("number"),
                pl.lit(int(path.stem.rsplit("_", 1)[1])).alias("_date"),
            )
            for path in all_files(settings.landing_dir, "cards", "holders_")
        )
        role = "card_holder"
    both = _reached(_numbers_changed_in_the_app(settings, sources), records, sources, role)
    assert both.height > 100
    assert share - 0.2 < both["reached"].mean() < share + 0.2
    if system == "abs":  # the record says when it was updated
        reached = both.filter("reached")
        assert reached.filter(pl.col("_date") < pl.col("updated_at")).is_empty()
        assert reached.filter(
            pl.col("_date") > pl.col("updated_at") + pl.duration(days=lag_days)
        ).is_empty()
