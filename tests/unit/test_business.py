"""Business reference data (simulator/reference/business) and its vectorised samplers."""

import re

import numpy as np
import polars as pl
import pytest

from simulator import business as b

pytestmark = pytest.mark.unit

W713 = [7, 1, 3] * 8


def rng(seed: int = 1) -> np.random.Generator:
    return np.random.default_rng(seed)


def account_key_ok(bic: str, account: str, *, correspondent: bool) -> bool:
    """Bank of Russia control key (weights 7-1-3 over BIC part + 20-digit account)."""
    prefix = "0" + bic[4:6] if correspondent else bic[-3:]
    digits = prefix + account
    return sum(int(c) * W713[i] for i, c in enumerate(digits)) % 10 == 0


def inn_ok(inn: str) -> bool:
    d = [int(c) for c in inn]
    if len(d) == 10:
        return (
            d[9]
            == sum(a * w for a, w in zip(d[:9], [2, 4, 10, 3, 5, 9, 4, 6, 8], strict=True))
            % 11
            % 10
        )
    w11 = [7, 2, 4, 10, 3, 5, 9, 4, 6, 8]
    w12 = [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]
    return (
        len(d) == 12
        and d[10] == sum(a * w for a, w in zip(d[:10], w11, strict=True)) % 11 % 10
        and d[11] == sum(a * w for a, w in zip(d[:11], w12, strict=True)) % 11 % 10
    )


# ----------------------------------------------------------------------------- CSV files


@pytest.mark.parametrize("name", sorted(b.SCHEMAS))
def test_every_csv_loads_with_expected_columns_and_positive_weights(name):
    raw_header = (b.DATA_DIR / f"{name}.csv").read_text(encoding="utf-8").splitlines()[0]
    df = b.load_table(name)
    assert list(df.columns) == list(b.SCHEMAS[name])
    assert set(b.SCHEMAS[name]) <= set(raw_header.split(","))
    assert df.height > 0
    if "weight" in df.columns:
        assert df["weight"].null_count() == 0
        assert (df["weight"] > 0).all()


def test_every_csv_in_the_folder_is_described_in_schemas_and_readme():
    files = {p.stem for p in b.DATA_DIR.glob("*.csv")}
    assert files == set(b.SCHEMAS)
    readme = (b.DATA_DIR / "README.md").read_text(encoding="utf-8")
    for name in files:
        assert f"{name}.csv" in readme


def test_load_table_rejects_missing_columns_and_non_positive_weights(tmp_path, monkeypatch):
    monkeypatch.setattr(b, "DATA_DIR", tmp_path)
    b.load_table.cache_clear()
    try:
        (tmp_path / "complaint_channels.csv").write_text("channel,weight\ncall,1\n")
        with pytest.raises(ValueError, match="lacks columns"):
            b.load_table("complaint_channels")
        (tmp_path / "complaint_channels.csv").write_text("channel,name_ru,weight\ncall,x,0\n")
        with pytest.raises(ValueError, match="non-positive"):
            b.load_table("complaint_channels")
    finally:
        b.load_table.cache_clear()


def test_legal_forms_carry_real_okopf_codes():
    lf = b.load_table("legal_forms")
    code = dict(zip(lf["short_name"], lf["okopf"], strict=True))
    assert code["ООО"] == 12300
    assert code["ПАО"] == 12247
    assert code["АО"] == code["НАО"] == code["ЗАО"] == 12267
    assert lf["short_name"].is_unique().all()
    assert lf["okopf"].cast(pl.String).str.contains(r"^\d{5}$").all()
    assert set(lf["name_style"]) <= set(b._STYLES)


def test_okved_codes_are_well_formed_and_cover_every_org_type():
    ok = b.load_table("okved")
    assert ok["code"].str.contains(r"^\d{2}\.\d{2}$").all()
    assert ok["code"].is_unique().all()
    types = {t for x in ok["org_types"] for t in x.split("|")}
    assert set(b.load_table("legal_forms")["name_style"]) <= types


def test_merchant_reference_is_consistent():
    mer = b.load_table("merchants")
    assert mer["mcc"].str.contains(r"^\d{4}$").all()
    assert mer["mcc"].is_unique().all()
    assert set(mer["category"]) == set(b.CATEGORIES)
    mix = mer.select(b._MODE_COLUMNS).to_numpy().sum(axis=1)
    assert np.allclose(mix, 1.0)
    assert (mer["median_rub"] > 0).all() and (mer["sigma"] > 0).all()
    assert (mer["cross_border_share"] < 0.1).all()  # after 2022 almost all spend is domestic
    br = b.load_table("merchant_brands")
    assert set(br["mcc"]) <= set(mer["mcc"])
    assert set(mer["mcc"]) <= set(br.filter(pl.col("country") == "RU")["mcc"])
    assert br["brand"].str.contains(r"^[ -~]+$").all()
    assert set(br["channel"]) <= {"physical", "online"}
    for brand in ("PYATEROCHKA", "MAGNIT", "OZON", "WILDBERRIES", "YANDEX.TAXI", "LUKOIL"):
        assert brand in set(br["brand"])
    cities = set(b.load_table("merchant_cities")["city"])
    assert all(len(c) <= 13 for c in cities)
    listed = {c for x in br["cities"].drop_nulls() for c in x.split("|")}
    assert listed <= cities


def test_counterparty_requisites_pass_their_check_digits():
    cp = b.load_table("counterparties")
    banks = cp.filter(pl.col("kind") == "bank")
    assert banks.height >= 10
    assert banks["bic"].str.contains(r"^04\d{7}$").all()
    assert banks["bic"].is_unique().all()
    bic = dict(zip(banks["short_name"], banks["bic"], strict=True))
    assert bic["Сбербанк"] == "044525225"
    assert bic["ВТБ"] == "044525187"
    assert bic["Т-Банк"] == "044525974"
    assert bic["Альфа-Банк"] == "044525593"
    for row in cp.filter(pl.col("corr_account").is_not_null()).iter_rows(named=True):
        assert account_key_ok(row["bic"], row["corr_account"], correspondent=True), row["name"]
    for row in cp.filter(pl.col("account").str.starts_with("407")).iter_rows(named=True):
        assert account_key_ok(row["bic"], row["account"], correspondent=False), row["name"]
    assert all(inn_ok(x) for x in cp["inn"].drop_nulls())
    enp = cp.filter(pl.col("kind") == "tax", pl.col("year_from") == 2023).row(0, named=True)
    assert enp["kbk"] == "18201061201010000510" and enp["inn"] == "7727406020"


def test_payment_purpose_templates_are_well_formed():
    pp = b.load_table("payment_purposes")
    assert set(pp["doc_cipher"]) <= {"01", "02", "03", "04", "06", "09", "16", "17"}
    assert set(pp["channel"]) <= {"ДБО", "Офис", "Банкомат", "Автоматически"}
    assert set(pp["direction"]) <= {"debit", "credit"}
    for tmpl in pp["template"]:
        assert set(re.findall(r"\{(\w+)\}", tmpl)) <= b._KNOWN_FIELDS, tmpl
        assert len(tmpl) <= 210
    kinds = set(pp["kind"])
    for kind in ("salary", "advance", "sbp_out", "sbp_in", "sbp_me2me_out", "card2card_out",
                 "utilities", "tax", "loan_repayment", "deposit_topup", "cash_withdrawal",
                 "cash_deposit", "fee", "interest", "pension"):  # fmt: skip
        assert kind in kinds


def test_contact_centre_reference_is_consistent():
    topics = b.load_table("contact_topics")
    queues = set(b.load_table("contact_queues")["queue"])
    assert set(topics["queue"]) <= queues
    assert {"Карты", "Кредиты", "ДБО", "Фрод/блокировки", "VIP", "Бизнес", "Вклады"} <= queues
    churn = set(topics.filter(pl.col("churn_signal") == 1)["topic"])
    assert {"close_account", "no_debt_certificate", "early_repayment", "complaint"} <= churn
    assert set(b.load_table("contact_outcomes")["outcome"]) == {
        "resolved",
        "callback",
        "escalated",
        "complaint_registered",
        "offer_made",
        "offer_accepted",
    }
    cc = b.load_table("complaint_categories")
    assert np.allclose(cc.select("p_satisfied", "p_partial", "p_rejected").to_numpy().sum(1), 1)
    assert set(b.load_table("complaint_channels")["channel"]) == {
        "call",
        "chat",
        "office",
        "letter",
        "via_cbr",
    }
    assert b.load_table("chat_topics")["bot_share"].is_between(0, 1).all()


# ----------------------------------------------------------------------------- companies

FORM_RE = "|".join(sorted(b.load_table("legal_forms")["short_name"], key=len, reverse=True))


def test_company_names_have_a_legal_form_and_guillemets():
    names = b.company_names(rng(), 5000)
    assert names.shape == (5000,)
    pattern = re.compile(rf"^({FORM_RE}) «[^«»]+(«[^«»]+»)?»$")
    bad = [x for x in names if not pattern.match(x)]
    assert not bad, bad[:5]
    assert "None" not in " ".join(names)
    assert len(set(names)) > 2500  # varied, though «Ромашка»s repeat as in real registers


def test_company_names_follow_the_given_legal_forms_and_full_names():
    forms = np.array(["ООО", "АО", "ГБУ", "ТСЖ", "ПАО"] * 200)
    names = b.company_names(rng(), 1000, forms)
    assert all(n.startswith(f + " «") for n, f in zip(names, forms, strict=True))
    by_code = b.company_names(rng(), 3, np.array([12300, 12247, 75403]))
    assert [x.split(" «")[0] for x in by_code] == ["ООО", "ПАО", "МБУ"]
    full = b.company_names(rng(), 50, np.full(50, "ООО"), full=True)
    assert all(x.startswith("Общество с ограниченной ответственностью «") for x in full)
    gbu = names[forms == "ГБУ"]
    assert not any(re.search(r"[a-z]|Групп|Трейд", x) for x in gbu)


def test_short_names_and_format_round_trip():
    short = b.company_short_names(rng(), 200, np.full(200, "ООО"))
    assert not any("«" in s for s in short)
    full = b.format_company_names(short, np.full(200, "ООО"))
    assert list(b.short_names(full)) == list(short)
    assert b.short_names(np.array(["МБУ «Дом культуры «Рассвет»»"]))[0] == "Дом культуры «Рассвет»"


def test_subsidiaries_derive_from_their_parent():
    parents = np.array(["ООО «СтройИнвестГрупп»"] * 400)
    subs = b.subsidiary_names(rng(), parents)
    assert all(s.startswith("ООО «") and s.endswith("»") for s in subs)
    inner = b.short_names(subs)
    assert all("СтройИнвестГрупп" in s or s.startswith("СИГ ") for s in inner)
    assert any(s.startswith("СтройИнвестГрупп-") for s in inner)
    assert any(s.startswith("СИГ ") for s in inner)
    assert len(set(subs)) > 20


def test_sample_legal_forms_and_okved():
    forms = b.sample_legal_forms(rng(), 20000)
    lf = b.load_table("legal_forms")
    assert set(forms.short_name) <= set(lf["short_name"])
    assert forms.okopf.dtype == np.int32
    share_ooo = (forms.short_name == "ООО").mean()
    assert 0.7 < share_ooo < 0.9
    codes = b.sample_okved(rng(), 5000)
    assert set(codes) <= set(b.load_table("okved")["code"])
    gbu = b.sample_okved(rng(), 2000, np.full(2000, "ГБУ"))
    allowed = set(b.load_table("okved").filter(pl.col("org_types").str.contains("budget"))["code"])
    assert set(gbu) <= allowed


# ----------------------------------------------------------------------------- merchants


def test_merchant_fields_follow_iso_8583_formats():
    df = b.sample_merchants(rng(), 50_000)
    assert df.height == 50_000
    assert df["mcc"].str.contains(r"^\d{4}$").all()
    assert (df["de43"].str.len_chars() == 40).all()
    assert df["de43"].str.contains(r"^[ -~]{40}$").all()  # printable ASCII only
    assert df["merchant_id"].str.contains(r"^\d{15}$").all()
    assert df["terminal_id"].str.contains(r"^\d{8}$").all()
    assert set(df["pos_entry_mode"]) <= {"05", "07", "90", "01", "81", "10"}
    assert (df["amount_kopecks"] > 0).all()
    # Visa layout: name 1-25, city 26-38, country 39-40
    assert (df["de43"].str.slice(38, 2) == df["country"]).all()
    assert (df["de43"].str.slice(25, 13).str.strip_chars() == df["city"].str.slice(0, 13)).all()
    assert df["de43"].str.slice(0, 25).str.strip_chars().str.len_chars().min() > 0
    # nearly everything is domestic after 2022
    assert df["cross_border"].mean() < 0.01
    assert ((df["country"] != "RU") == df["cross_border"]).all()


def test_mastercard_layout_has_separators_and_alpha3_country():
    df = b.sample_merchants(rng(), 5000, de43_layout="mastercard")
    assert (df["de43"].str.len_chars() == 40).all()
    assert (df["de43"].str.slice(22, 1) == " ").all()
    assert (df["de43"].str.slice(36, 1) == " ").all()
    assert df["de43"].str.slice(37, 3).str.contains(r"^[A-Z]{3}$").all()


def test_amount_medians_per_mcc_match_the_configuration():
    mer = b.load_table("merchants")
    r = rng(5)
    for mcc, median in zip(mer["mcc"], mer["median_rub"], strict=True):
        df = b.sample_merchants(r, mccs=np.full(10_000, mcc))
        assert (df["mcc"] == mcc).all()
        observed = float(np.median(df["amount_kopecks"].to_numpy())) / 100
        assert median / 2 <= observed <= median * 2, (mcc, median, observed)
    atm = b.sample_merchants(r, mccs=np.full(2000, "6011"))
    assert (atm["amount_kopecks"] % 10_000 == 0).all()  # ATM cash comes in 100 ₽ notes


def test_online_merchants_use_ecommerce_entry_modes():
    cat = b.merchant_catalog()
    df = b.sample_merchants(rng(), 100_000)
    online = df.join(cat.select("store_key", "channel"), on="store_key")
    modes = set(online.filter(pl.col("channel") == "online")["pos_entry_mode"])
    assert modes <= {"81", "10"}
    ozon = b.sample_merchants(rng(), mccs=np.full(3000, "5399"))
    assert set(ozon["pos_entry_mode"]) <= {"81", "10"}
    grocery = df.filter(pl.col("mcc") == "5411")
    assert (grocery["pos_entry_mode"] == "07").mean() > 0.7  # contactless dominates


def test_merchant_ids_are_stable_per_store():
    a = b.sample_merchants(rng(1), 30_000)
    c = b.sample_merchants(rng(2), 30_000)
    both = pl.concat([a, c])
    per_store = both.group_by("store_key").agg(
        pl.col("merchant_id").n_unique(), pl.col("de43").n_unique()
    )
    assert (per_store["merchant_id"] == 1).all() and (per_store["de43"] == 1).all()
    assert both.group_by("merchant_id").agg(pl.col("store_key").n_unique())["store_key"].max() == 1
    cat = b.merchant_catalog()
    assert cat["merchant_id"].is_unique().all()
    assert b.merchant_catalog() is cat  # built once
    joined = a.join(cat.select("store_key", pl.col("merchant_id").alias("m")), on="store_key")
    assert (joined["merchant_id"] == joined["m"]).all()


def test_category_arrays_and_affinity_steer_the_mix():
    cats = np.array(["travel", "cash", "groceries"] * 1000)
    df = b.sample_merchants(rng(), categories=cats)
    assert (df["category"].cast(pl.String).to_numpy() == cats).all()
    k = len(b.CATEGORIES)
    base = b.sample_merchants(rng(), 40_000)
    aff = np.ones((2, k))
    aff[1, b.CATEGORIES.index("travel")] = 10.0
    owner = np.repeat([0, 1], 20_000)
    tilted = b.sample_merchants(rng(), category_affinity=aff, owner=owner)
    travel0 = (tilted["category"][:20_000] == "travel").mean()
    travel1 = (tilted["category"][20_000:] == "travel").mean()
    assert travel1 > 4 * travel0
    assert abs((base["category"] == "travel").mean() - travel0) < 0.01
    never = np.ones((1, k))
    never[0, b.CATEGORIES.index("betting")] = 0.0
    no_bets = b.sample_merchants(rng(), category_affinity=never, owner=np.zeros(20_000, int))
    assert (no_bets["category"] != "betting").all()


def test_home_city_keeps_purchases_local():
    moscow = b.merchant_cities().filter(pl.col("city") == "MOSCOW")["city_idx"][0]
    df = b.sample_merchants(rng(), categories=np.full(20_000, "groceries"),
                            home_city=np.full(20_000, moscow))  # fmt: skip
    assert (df["city"] == "MOSCOW").mean() > 0.9
    idx = b.cities_for_regions(rng(), np.array(["77", "50", "54", "99", 16]))
    names = b.merchant_cities()["city"].to_list()
    assert names[idx[0]] == "MOSCOW"
    assert names[idx[1]] in {"BALASHIKHA", "PODOLSK", "KHIMKI", "MYTISHCHI"}
    assert names[idx[2]] == "NOVOSIBIRSK"
    assert idx[3] == -1
    assert names[idx[4]] == "KAZAN"


def test_same_seed_same_output_and_different_seed_differs():
    aff = np.ones((3, len(b.CATEGORIES)))

    def draw(seed):
        r = rng(seed)
        return (
            b.sample_merchants(r, 2000, category_affinity=aff, owner=np.arange(2000) % 3),
            b.company_names(r, 300),
            b.subsidiary_names(r, np.array(["ООО «Вектор»"] * 50)),
            b.purpose_texts(r, np.full(500, "tax"), 5, 2024),
            b.sample_topics(r, 500, np.linspace(0, 1, 500)),
            b.sample_okved(r, 100),
        )

    one, two, other = draw(11), draw(11), draw(12)
    assert one[0].equals(two[0])
    assert (one[1] == two[1]).all() and (one[2] == two[2]).all()
    assert one[3].equals(two[3]) and one[4].equals(two[4])
    assert (one[5] == two[5]).all()
    assert not one[0].equals(other[0])
    assert not (one[1] == other[1]).all()
    assert not one[3].equals(other[3])


# ----------------------------------------------------------------------------- purposes


def test_purposes_render_every_kind_without_leftover_placeholders():
    kinds = np.array(b.purpose_kinds() * 40)
    df = b.purpose_texts(rng(), kinds, 3, 2025)
    assert df.height == kinds.size
    assert not df["purpose"].str.contains(r"[{}]").any()
    assert (df["purpose"].str.len_chars() <= 210).all()
    assert df["doc_cipher"].str.contains(r"^\d{2}$").all()
    salary = df.filter(pl.Series(kinds == "salary"))["purpose"]
    assert salary.str.contains("март 2025").all()
    assert salary.str.contains("НДС").all()


def test_purposes_use_caller_fields_and_valid_identifiers():
    n = 300
    inns = np.array(["500100732259"] * n)
    df = b.purpose_texts(rng(), np.full(n, "tax"), np.full(n, 4), np.full(n, 2024),
                         fields={"inn": inns})  # fmt: skip
    assert df["purpose"].str.contains("ИНН 500100732259").all()
    assert (df["kbk"] == "18201061201010000510").all()  # ЕНП from 2023
    old = b.purpose_texts(rng(), np.full(n, "tax"), 4, 2021)
    assert not (old["kbk"] == "18201061201010000510").any()
    uins = df["purpose"].str.extract(r"УИН (\d{20})").drop_nulls().to_list()
    assert uins
    digits = np.array([[int(c) for c in u] for u in uins])
    assert (b.uin_check_digit(digits[:, :19]) == digits[:, 19]).all()
    synth = b.purpose_texts(rng(), np.full(n, "tax"), 4, 2024)
    inn_synth = synth["purpose"].str.extract(r"ИНН (\d{12})").drop_nulls().to_list()
    assert inn_synth and all(inn_ok(x) for x in inn_synth)
    amounts = b.purpose_texts(rng(), np.full(50, "salary"), 1, 2025,
                              fields={"amount": np.full(50, 123456789)})  # fmt: skip
    with_amount = amounts["purpose"].filter(amounts["purpose"].str.contains("Сумма"))
    assert with_amount.str.contains("1 234 567,89").all()


def test_purposes_reject_unknown_kinds_and_fields():
    with pytest.raises(ValueError):
        b.purpose_texts(rng(), np.array(["salary", "lottery_win"]), 1, 2025)
    with pytest.raises(KeyError):
        b.purpose_texts(rng(), np.array(["salary"]), 1, 2025, fields={"nope": ["x"]})


def test_purpose_ciphers_and_channels_follow_the_template():
    df = b.purpose_texts(rng(), np.array(["cash_withdrawal"] * 2000), 6, 2025)
    atm = df.filter(pl.col("channel") == "Банкомат")
    office = df.filter(pl.col("channel") == "Офис")
    assert atm.height and office.height
    assert (office["doc_cipher"] == "03").all()
    assert atm["purpose"].str.contains("банкомат").all()
    assert (df["direction"] == "debit").all()


# ----------------------------------------------------------------------------- contact centre


def test_churn_pressure_raises_the_share_of_churn_signal_topics():
    n = 20_000
    low = b.sample_topics(rng(), n, np.zeros(n))
    mid = b.sample_topics(rng(), n, np.full(n, 0.5))
    high = b.sample_topics(rng(), n, np.ones(n))
    s_low, s_mid, s_high = (x["churn_signal"].mean() for x in (low, mid, high))
    assert s_low < s_mid < s_high
    assert s_high - s_low > 0.3
    assert abs(s_high - 0.6) < 0.02
    churn_topics = set(high.filter(pl.col("churn_signal"))["topic"])
    assert {"close_account", "no_debt_certificate", "early_repayment"} <= churn_topics
    chat_low = b.sample_topics(rng(), n, 0.0, channel="chat")
    chat_high = b.sample_topics(rng(), n, 1.0, channel="chat")
    assert chat_high["churn_signal"].mean() > chat_low["churn_signal"].mean() + 0.3
    assert "bot_handled" in chat_high.columns


def test_topics_carry_queue_and_talk_time():
    n = 10_000
    df = b.sample_topics(rng(), n, 0.2, vip=np.arange(n) % 10 == 0)
    topics = b.load_table("contact_topics")
    assert set(df["queue"]) <= set(b.load_table("contact_queues")["queue"])
    assert (df["queue"].to_numpy()[::10] == "VIP").all()
    assert (df["talk_sec"] > 0).all()
    typical = dict(zip(topics["topic"], topics["talk_sec"], strict=True))
    assert (df["typical_talk_sec"] == df["topic"].replace_strict(typical)).all()
    assert not df.filter(pl.col("queue") == "Бизнес").height  # retail clients only
    biz = b.sample_topics(rng(), n, 0.0, business=np.ones(n, bool))
    assert (biz["queue"] == "Бизнес").mean() > 0.2


def test_outcomes_follow_topic_flags():
    n = 20_000
    calm = b.sample_outcomes(rng(), np.zeros(n, bool), np.zeros(n, bool))
    angry = b.sample_outcomes(rng(), np.zeros(n, bool), np.ones(n, bool))
    leaving = b.sample_outcomes(rng(), np.ones(n, bool), np.zeros(n, bool))
    assert set(calm) <= set(b.load_table("contact_outcomes")["outcome"])
    assert (angry == "complaint_registered").mean() > 2 * (calm == "complaint_registered").mean()
    assert (leaving == "offer_made").mean() > 2 * (calm == "offer_made").mean()


def test_complaints():
    df = b.sample_complaints(rng(), 5000)
    assert df.columns == ["category", "product", "channel", "amount_claimed_kopecks", "resolution"]
    assert set(df["resolution"]) == {"satisfied", "partial", "rejected"}
    assert (df["amount_claimed_kopecks"].drop_nulls() > 0).all()
    assert df["amount_claimed_kopecks"].null_count() > 0


def test_counterparty_sampler_respects_kind_and_year():
    banks = b.sample_counterparties(rng(), "bank", 5000)
    assert (banks["kind"] == "bank").all()
    assert (banks["short_name"] == "Сбербанк").mean() > 0.3
    tax = b.sample_counterparties(rng(), "tax", 100, year=2024)
    assert (tax["inn"] == "7727406020").all()
    with pytest.raises(ValueError):
        b.sample_counterparties(rng(), "casino", 1)
