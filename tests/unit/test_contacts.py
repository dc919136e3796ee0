"""Contacts: phones, e-mails, addresses and passport helpers."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pytest

from simulator.contacts import (
    ADDRESS_PATTERN,
    ADDRESS_STYLES,
    EMAIL_DEFECTS,
    EMAIL_DOMAIN_TYPOS,
    EMAIL_DOMAINS,
    PHONE_DEFECTS,
    PHONE_STYLES,
    RECOVERABLE_PHONE_DEFECTS,
    REGION_CODES,
    addresses,
    division_codes,
    emails,
    format_phones,
    invalid_emails,
    invalid_phones,
    landline_phones,
    mobile_phones,
    okato_codes,
    passport_numbers,
    passport_series,
    reformat_addresses,
    sample_city_idx,
    sample_regions,
)
from simulator.reference import read_rows

pytestmark = pytest.mark.unit

MOBILE = re.compile(r"^\+79\d{9}$")
E164_RU = re.compile(r"^\+7\d{10}$")
EMAIL = re.compile(r"^[a-z0-9](?:[a-z0-9._+-]*[a-z0-9])?@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}$")


def normalise_phone(raw: str) -> str:
    """The simple normaliser a cleaning step would run first (no library)."""
    s = re.sub(r"[\s()\-]", "", raw)
    if re.fullmatch(r"8\d{10}", s) or re.fullmatch(r"7\d{10}", s):
        s = "+7" + s[1:]
    elif re.fullmatch(r"9\d{9}", s):
        s = "+7" + s
    return s


def is_valid_mobile(raw: str) -> bool:
    """Simple E.164 mobile check: +79XXXXXXXXX and not a repeated-digit placeholder."""
    s = normalise_phone(raw)
    return bool(MOBILE.match(s)) and len(set(s[5:])) > 1


def is_valid_email(value: str) -> bool:
    return bool(EMAIL.match(value)) and value.rsplit("@", 1)[1] in EMAIL_DOMAINS


# -- phones -----------------------------------------------------------------------------------


def test_mobile_phones_are_canonical_with_real_def_codes():
    rng = np.random.default_rng(1)
    phones = mobile_phones(rng, 200_000)
    assert all(MOBILE.match(p) for p in phones[:5000].tolist())
    assert np.char.startswith(phones, "+79").all()
    assert (np.strings.str_len(phones) == 12).all()
    assert len(np.unique(phones)) == phones.size
    rows = read_rows("mobile_def_codes")
    operator = {r["def_code"]: r["operator"] for r in rows}
    defs = np.strings.slice(phones, 2, 5)
    assert set(np.unique(defs).tolist()) <= set(operator)
    shares = Counter(operator[d] for d in defs.tolist())
    assert 0.25 < shares["MTS"] / phones.size < 0.35
    assert shares.most_common(1)[0][0] == "MTS"
    # weights are not uniform over codes
    per_code = Counter(defs.tolist())
    assert per_code["916"] > 3 * per_code["993"]


def test_mobile_phones_never_produce_placeholders():
    phones = mobile_phones(np.random.default_rng(2), 100_000, unique=False)
    assert all(is_valid_mobile(p) for p in phones.tolist())


def test_landline_phones_match_region():
    rng = np.random.default_rng(3)
    regions = np.array([77] * 500 + [78] * 500 + [16] * 500)
    phones = landline_phones(rng, regions)
    assert all(E164_RU.match(p) for p in phones.tolist())
    assert not np.char.startswith(phones, "+79").any()
    assert set(np.strings.slice(phones[:500], 2, 5).tolist()) == {"495", "499"}
    assert set(np.strings.slice(phones[500:1000], 2, 5).tolist()) == {"812"}
    kazan = np.strings.slice(phones[1000:], 2, 5)
    assert (kazan == "843").mean() > 0.4


def test_landline_in_same_city_as_address():
    rng = np.random.default_rng(4)
    regions = np.full(300, 16)
    cities = sample_city_idx(rng, regions)
    phones = landline_phones(rng, regions, city_idx=cities)
    addr = addresses(rng, regions, city_idx=cities)
    chelny = np.char.find(addr, "г. Набережные Челны,") >= 0
    assert chelny.any()
    assert np.char.startswith(phones[chelny], "+78552").all()


def test_unknown_region_is_rejected():
    with pytest.raises(ValueError, match="region codes"):
        landline_phones(np.random.default_rng(0), np.array([77, 83]))


def test_format_phones_keeps_the_ten_digits():
    rng = np.random.default_rng(5)
    canon = mobile_phones(rng, 20_000)
    weights = dict.fromkeys(PHONE_STYLES, 1.0)
    raw = format_phones(rng, canon, weights)
    digits = [re.sub(r"\D", "", r)[-10:] for r in raw.tolist()]
    assert digits == [c[2:] for c in canon.tolist()]
    assert all(normalise_phone(r) == c for r, c in zip(raw.tolist(), canon.tolist(), strict=True))
    assert len(set(raw.tolist()) - set(canon.tolist())) > 0.8 * len(raw)


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        ("paren_8", "8 (916) 123-45-67"),
        ("plain_8", "89161234567"),
        ("spaced_plus7", "+7 916 123-45-67"),
        ("e164", "+79161234567"),
        ("ten_digits", "9161234567"),
        ("paren_7", "7(916)1234567"),
        ("dashed_8", "8-916-123-45-67"),
        ("paren_plus7", "+7(916)123 45 67"),
    ],
)
def test_format_phone_styles(style, expected):
    out = format_phones(np.random.default_rng(0), np.array(["+79161234567"] * 3), {style: 1.0})
    assert out.tolist() == [expected] * 3


def test_format_phones_rejects_unknown_style():
    with pytest.raises(ValueError, match="unknown phone styles"):
        format_phones(np.random.default_rng(0), np.array(["+79161234567"]), {"fancy": 1.0})


def test_invalid_phones_fail_a_simple_check():
    rng = np.random.default_rng(6)
    canon = mobile_phones(rng, 8000)
    values, kinds = invalid_phones(rng, canon)
    assert set(kinds.tolist()) == set(PHONE_DEFECTS)
    for value, kind in zip(values.tolist(), kinds.tolist(), strict=True):
        assert not is_valid_mobile(value), (kind, value)


def test_invalid_phone_kinds_look_as_described():
    canon = np.array(["+79161234567"] * len(PHONE_DEFECTS))
    values, kinds = invalid_phones(np.random.default_rng(7), canon, kinds=np.array(PHONE_DEFECTS))
    got = dict(zip(kinds.tolist(), values.tolist(), strict=True))
    digits = {k: re.sub(r"\D", "", v) for k, v in got.items()}
    assert len(digits["short_typo"]) == 10  # 8 or 7 + nine national digits
    assert len(digits["long_typo"]) == 12  # 8 or 7 + eleven national digits
    assert got["placeholder_zeros"] == "+7 (000) 000-00-00"
    assert got["placeholder_nines"] == "89999999999"
    assert "916" in got["two_numbers"] and re.search(r"[,;/]", got["two_numbers"])
    landline = normalise_phone(got["landline_in_mobile"])
    assert E164_RU.match(landline) and not landline.startswith("+79")
    assert normalise_phone(got["kazakhstan"])[:3] == "+77"
    assert re.search(r"доб|ext", got["text_with_extension"])


def test_extension_defect_is_recoverable():
    rng = np.random.default_rng(8)
    canon = mobile_phones(rng, 500)
    values, _ = invalid_phones(rng, canon, kinds=np.full(500, "text_with_extension"))
    assert "text_with_extension" in RECOVERABLE_PHONE_DEFECTS
    for value, true in zip(values.tolist(), canon.tolist(), strict=True):
        number = re.split(r"\s*\(?(?:доб|ext)", value)[0]
        number = re.sub(r"^(тел|т|моб)\.\s*", "", number)
        assert normalise_phone(number) == true, value


def test_phones_are_deterministic():
    def run(seed):
        rng = np.random.default_rng(seed)
        canon = mobile_phones(rng, 300)
        raw = format_phones(rng, canon, {"paren_8": 1, "e164": 1})
        return canon, raw, *invalid_phones(rng, canon)

    for a, b in zip(run(9), run(9), strict=True):
        np.testing.assert_array_equal(a, b)


# -- e-mails ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mailboxes():
    rng = np.random.default_rng(10)
    n = 50_000
    surnames = np.array(["ivanov", "petrova", "smirnov", "kuznetsova"])[rng.integers(0, 4, n)]
    firsts = np.array(["ivan", "natalya", "sergey", "yelena"])[rng.integers(0, 4, n)]
    years = rng.integers(1950, 2005, n)
    return emails(rng, surnames, firsts, years)


def test_emails_are_canonical_and_unique(mailboxes):
    assert all(EMAIL.match(e) for e in mailboxes.tolist())
    assert len(set(mailboxes.tolist())) == mailboxes.size
    domains = Counter(e.split("@")[1] for e in mailboxes.tolist())
    assert set(domains) == set(EMAIL_DOMAINS)
    assert domains.most_common(1)[0][0] == "mail.ru"
    assert any(re.fullmatch(r"ivanov\.ivan\d\d@.*", e) for e in mailboxes.tolist())


def test_email_shape_from_names():
    rng = np.random.default_rng(11)
    out = emails(rng, np.array(["ivanov"] * 200), np.array(["ivan"] * 200), np.full(200, 1985))
    locals_ = [e.split("@")[0] for e in out.tolist()]
    assert all("ivanov" in x or x.startswith("ivan") for x in locals_)
    assert any(x.startswith("ivanov.ivan85") for x in locals_)


def test_invalid_emails_fail_the_check(mailboxes):
    rng = np.random.default_rng(12)
    values, kinds = invalid_emails(rng, mailboxes[:5000])
    assert set(kinds.tolist()) == set(EMAIL_DEFECTS)
    for value, kind in zip(values.tolist(), kinds.tolist(), strict=True):
        assert not is_valid_email(value), (kind, value)
    # every defect except second-level domain typos also fails the bare regex
    for value, kind in zip(values.tolist(), kinds.tolist(), strict=True):
        if kind != "domain_typo":
            assert not EMAIL.match(value), (kind, value)


def test_invalid_email_kinds_look_as_described():
    base = np.array(["ivanov.ivan85@mail.ru"] * 400)
    for kind in EMAIL_DEFECTS:
        values, _ = invalid_emails(np.random.default_rng(13), base, kinds=np.full(400, kind))
        vals = values.tolist()
        if kind == "missing_at":
            assert all("@" not in v for v in vals)
        elif kind == "cyrillic_local":
            assert all(re.search("[а-я]", v.split("@")[0]) for v in vals)
            assert all(v.endswith("@mail.ru") for v in vals)
        elif kind == "domain_typo":
            assert all(EMAIL_DOMAIN_TYPOS[v.split("@")[1]] == "mail.ru" for v in vals)
        elif kind == "trailing_dot":
            assert all(v == "ivanov.ivan85@mail.ru." for v in vals)
        elif kind == "inner_space":
            assert all(v.replace(" ", "") == "ivanov.ivan85@mail.ru" and " " in v for v in vals)


# -- addresses --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def canon_addresses():
    rng = np.random.default_rng(14)
    regions = sample_regions(rng, 20_000)
    return regions, addresses(rng, regions)


def test_addresses_are_canonical(canon_addresses):
    regions, addr = canon_addresses
    pattern = re.compile(ADDRESS_PATTERN)
    assert all(pattern.match(a) for a in addr.tolist())
    moscow = addr[regions == 77]
    assert np.char.startswith(moscow, "г. Москва, ").all()
    kazan = addr[regions == 16]
    assert np.char.startswith(kazan, "Респ. Татарстан, г. ").all()
    with_flat = np.char.find(addr, ", кв. ") >= 0
    assert 0.85 < with_flat.mean() < 0.99
    assert (np.char.find(addr, ", корп. ") >= 0).mean() > 0.1
    assert len(set(addr.tolist())) > 0.9 * addr.size


def test_address_example_shape():
    addr = addresses(np.random.default_rng(15), np.array([77] * 50))
    assert any(re.fullmatch(r"г\. Москва, ул\. [^,]+, д\. \d+[АБ]?, кв\. \d+", a) for a in addr)


def _key(address: str) -> tuple[str, list[str]]:
    """City and the numbers of an address: what every spelling must keep."""
    m = re.compile(ADDRESS_PATTERN).match(address)
    assert m is not None
    return m["city"].upper(), re.findall(r"\d+", address)


def test_reformat_keeps_city_and_numbers(canon_addresses):
    _, addr = canon_addresses
    rng = np.random.default_rng(16)
    out = reformat_addresses(rng, addr[:5000])
    assert (out != addr[:5000]).mean() > 0.95
    for a, b in zip(addr[:5000].tolist(), out.tolist(), strict=True):
        city, numbers = _key(a)
        assert city in b.upper()
        assert re.findall(r"\d+", b) == numbers


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        ("suffix_type", "Москва г, Ленина ул, 5-12"),
        ("upper", "Г. МОСКВА, УЛ. ЛЕНИНА, Д. 5, КВ. 12"),
        ("compact", "г.Москва, ул.Ленина, д.5 кв.12"),
        ("full_words", "город Москва, улица Ленина, дом 5, квартира 12"),
        ("short", "Москва, ул. Ленина, 5-12"),
    ],
)
def test_reformat_styles(style, expected):
    out = reformat_addresses(
        np.random.default_rng(0), np.array(["г. Москва, ул. Ленина, д. 5, кв. 12"]), {style: 1.0}
    )
    assert out.tolist() == [expected]


def test_reformat_regional_address_and_garbage():
    addr = np.array(
        ["Респ. Татарстан, г. Казань, пр-кт Победы, д. 17, корп. 2, кв. 104", "не адрес"]
    )
    out = reformat_addresses(np.random.default_rng(0), addr, {"suffix_type": 1.0})
    assert out.tolist() == ["Татарстан Респ, Казань г, Победы пр-кт, 17к2-104", "не адрес"]
    assert set(ADDRESS_STYLES) == {"suffix_type", "upper", "compact", "full_words", "short"}


# -- passports --------------------------------------------------------------------------------


def test_okato_codes():
    assert okato_codes(np.array([77, 78, 50, 16, 2, 23])).tolist() == [45, 40, 46, 92, 80, 3]
    assert len(REGION_CODES) >= 30


def test_passport_series():
    series = passport_series(np.array([45, 92, 3, 45]), np.array([2015, 2001, 2023, 1990]))
    assert series.tolist() == ["4515", "9201", "0323", "4597"]
    rng = np.random.default_rng(17)
    years = rng.integers(1997, 2026, 5000)
    lagged = passport_series(np.full(5000, 40), years, rng)
    assert np.char.startswith(lagged, "40").all()
    yy = np.strings.slice(lagged, 2, 4).astype(int)
    blank_year = np.where(yy >= 90, 1900 + yy, 2000 + yy)
    lag = years - blank_year
    assert lag.min() >= 0 and lag.max() <= 2
    assert 0.6 < (lag == 0).mean() < 0.9


def test_passport_numbers_and_division_codes():
    rng = np.random.default_rng(18)
    numbers = passport_numbers(rng, 1000)
    assert all(re.fullmatch(r"\d{6}", x) for x in numbers.tolist())
    assert len(set(numbers.tolist())) > 990
    codes = division_codes(np.array([77] * 100 + [2] * 100), rng)
    assert all(re.fullmatch(r"\d{3}-\d{3}", c) for c in codes.tolist())
    assert np.char.startswith(codes[:100], "77").all()
    assert np.char.startswith(codes[100:], "02").all()


def test_contacts_are_deterministic():
    def run(seed):
        rng = np.random.default_rng(seed)
        regions = sample_regions(rng, 500)
        return (
            mobile_phones(rng, 500),
            landline_phones(rng, regions),
            addresses(rng, regions),
            emails(rng, np.full(500, "petrov"), np.full(500, "pyotr"), np.full(500, 1970)),
            passport_numbers(rng, 500),
        )

    for a, b in zip(run(3), run(3), strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(run(3)[0], run(4)[0])
