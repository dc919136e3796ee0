"""Russian identifier rules: published examples, hand-checked values and generator properties."""

import re

import numpy as np
import pytest

from cdp.identifiers import (
    account_numbers,
    corrupt_check_digit,
    inn_individual,
    inn_legal,
    inn_valid_mask,
    is_valid_account,
    is_valid_inn,
    is_valid_ogrn,
    is_valid_ogrnip,
    is_valid_snils,
    kpp,
    luhn_ok,
    mask_pan,
    ogrn,
    ogrnip,
    pan_token,
    pans,
    snils,
    snils_valid_mask,
)

pytestmark = pytest.mark.unit

N = 10_000
BIC = "044525225"
GARBAGE = [
    None,
    "",
    "abc",
    "12345",
    "1234567894 ",
    " 1234567894",
    "12345678901234567890",
    "123456789/",  # "/" and ":" sit on either side of the ASCII digits
    "1234567:94",
    # Would pass if ":" were read as digit 10: INN 2*10 = 20 = 9 mod 11; SNILS sum 176 -> 75.
    ":000000009",
    ":1223344575",
]


def _serials(seed: int = 0, n: int = N) -> np.ndarray:
    """Distinct but unordered serials, so bijectivity is tested beyond 0..n-1."""
    return np.random.default_rng(seed).choice(10**6, size=n, replace=False)


def _regions(n: int = N) -> np.ndarray:
    return np.random.default_rng(1).integers(1, 100, n)


def _years(n: int = N) -> np.ndarray:
    return np.random.default_rng(2).integers(1995, 2026, n)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


def _single_digit_changes(value: str) -> list[str]:
    return [
        value[:i] + str((int(value[i]) + delta) % 10) + value[i + 1 :]
        for i in range(len(value))
        for delta in range(1, 10)
    ]


# --------------------------------------------------------------------------- known examples


@pytest.mark.parametrize("value", ["1234567894", "123456789047"])
def test_reference_inns_are_valid(value: str) -> None:
    assert is_valid_inn(value)
    assert inn_valid_mask(np.array([value])).tolist() == [True]


def test_inn_check_digits_are_enforced() -> None:
    # petrovna accepts this one; the check digit of 123456789 is 4, not 5.
    assert not is_valid_inn("1234567895")
    # 12-digit: first check right, second wrong; and first wrong.
    assert not is_valid_inn("123456789048")
    assert not is_valid_inn("123456789057")


def test_reference_ogrn_and_ogrnip() -> None:
    assert is_valid_ogrn("1022200525819")
    assert not is_valid_ogrn("1022200525818")
    assert is_valid_ogrnip("385768585948949")
    assert not is_valid_ogrnip("385768585948940")


def test_ogrnip_check_is_last_digit_of_remainder() -> None:
    # Reference: body 31835774747711 has remainder 12 mod 13, so the check digit is 2;
    # python-stdnum compares against "12" and rejects this valid number.
    assert int("31835774747711") % 13 == 12
    assert is_valid_ogrnip("318357747477112")
    assert not is_valid_ogrnip("318357747477111")


def test_ogrn_sign_digits() -> None:
    # 3022200525817 satisfies the mod-11 rule (302220052581 % 11 == 7), but an OGRN starts
    # with 1 or 5 (3 is the OGRNIP sign).
    assert int("302220052581") % 11 % 10 == 7
    assert not is_valid_ogrn("3022200525817")
    # Same body with sign 1 is an OGRN, not an OGRNIP (wrong length and sign for OGRNIP).
    assert not is_valid_ogrnip("1022200525819")


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        # 1*9 + 1*8 + 2*7 + 2*6 + 3*5 + 3*4 + 4*3 + 4*2 + 5*1 = 95 < 100 -> check 95.
        ("112-233-445 95", True),
        ("112-233-445-95", True),
        ("11223344595", True),
        ("11223344596", False),
        ("112 233 445 95", False),
        ("112-233-44595", False),
        ("112-233x445 95", False),
        ("112x233-445 95", False),
        ("112-233-445_95", False),
        ("112-233-445 9:", False),
        # 9*9 + 8*8 + 7*7 + 6*6 + 5*5 + 4*4 + 3*3 + 2*2 + 1*1 = 285; 285 mod 101 = 83.
        ("98765432183", True),
        ("98765432184", False),
        # 9*9 + 2*8 + 1*3 = 100 -> check 00.
        ("92000010000", True),
        ("92000010010", False),
        # 9*9 + 2*8 + 1*3 + 1*1 = 101 -> check 00.
        ("92000010100", True),
        # Up to 001-001-998 there is no check: any check digits are accepted.
        ("00100199800", True),
        ("00100199877", True),
        # 001-001-999 is checked: 1*7 + 1*4 + 9*3 + 9*2 + 9*1 = 65.
        ("00100199965", True),
        ("00100199900", False),
    ],
)
def test_snils_hand_checked(value: str, valid: bool) -> None:
    assert is_valid_snils(value) is valid
    assert snils_valid_mask(np.array([value], dtype=object)).tolist() == [valid]


def test_account_key_hand_checked() -> None:
    # BIC tail 225 + 40817 810 K 0000 0000001, weights 7 1 3 repeating:
    # 2*7 + 2*1 + 5*3 + 4*7 + 0*1 + 8*3 + 1*7 + 7*1 + 8*3 + 1*7 + 0*1 + K*3 + ... + 1*1
    # = 129 + 3K; 3K = 21 makes the sum 150, so K = 7.
    assert is_valid_account("40817810700000000001", BIC)
    assert not is_valid_account("40817810600000000001", BIC)
    # The key depends on the BIC: the same account under another bank's BIC fails.
    assert not is_valid_account("40817810700000000001", "044525226")
    generated = account_numbers("40817", "810", 0, np.array([1]), BIC)
    assert generated.tolist() == ["40817810700000000001"]


def test_luhn_known_pans() -> None:
    assert luhn_ok("4111111111111111")
    assert luhn_ok("79927398713")
    assert not luhn_ok("4111111111111112")
    assert not luhn_ok("79927398710")


@pytest.mark.parametrize(
    "value",
    [
        *GARBAGE,
        1234567894,
        "１２３４５６７８９４",  # fullwidth digits
        "١٢٣٤٥٦٧٨٩٤",  # Arabic-Indic digits
        "1234-567894",
    ],
)
def test_scalar_validators_reject_garbage_without_raising(value: object) -> None:
    assert not is_valid_inn(value)
    assert not is_valid_snils(value)
    assert not is_valid_ogrn(value)
    assert not is_valid_ogrnip(value)
    assert not is_valid_account(value, BIC)
    assert not is_valid_account("40817810700000000001", value)
    assert not luhn_ok(value)


# --------------------------------------------------------------------------- vectorised masks


def _mixed_sample(rng: np.random.Generator) -> list[object]:
    inns = np.concatenate(
        [
            inn_legal(rng, _serials(3, 500), _regions(500)),
            inn_individual(rng, _serials(4, 500), _regions(500)),
        ]
    )
    numbers = snils(rng, _serials(5, 500))
    printed = [f"{v[:3]}-{v[3:6]}-{v[6:9]} {v[9:]}" for v in numbers[:100].tolist()]
    random_digits = [
        "".join(map(str, rng.integers(0, 10, length)))
        for length in rng.integers(9, 16, 2000).tolist()
    ]
    return [
        *inns.tolist(),
        *corrupt_check_digit(inns, rng).tolist(),
        *numbers.tolist(),
        *printed,
        *corrupt_check_digit(numbers, rng).tolist(),
        *random_digits,
        *GARBAGE,
        "00100199800",
        "001-001-998 00",
        "١٢٣٤٥٦٧٨٩٤",
        12,
    ]


def test_masks_agree_with_scalar_validators(rng: np.random.Generator) -> None:
    sample = _mixed_sample(rng)
    as_object = np.array(sample, dtype=object)
    as_unicode = np.array([v for v in sample if isinstance(v, str)])
    for mask, scalar in ((inn_valid_mask, is_valid_inn), (snils_valid_mask, is_valid_snils)):
        expected = [scalar(v) for v in sample]
        assert mask(as_object).tolist() == expected
        assert mask(as_unicode).tolist() == [scalar(v) for v in as_unicode.tolist()]
        # The sample really mixes both outcomes, so agreement is not trivial.
        assert 0 < sum(expected) < len(expected)


def test_masks_keep_shape_and_handle_empty() -> None:
    values = np.array([["1234567894", "x"], ["123456789047", "123456789048"]])
    assert inn_valid_mask(values).tolist() == [[True, False], [True, False]]
    assert inn_valid_mask(np.array([], dtype=object)).shape == (0,)
    assert snils_valid_mask([]).shape == (0,)


# --------------------------------------------------------------------------- generators


def _generated(kind: str, rng: np.random.Generator, serials: np.ndarray) -> np.ndarray:
    n = serials.size
    if kind == "inn_individual":
        return inn_individual(rng, serials, _regions(n))
    if kind == "inn_legal":
        return inn_legal(rng, serials, _regions(n))
    if kind == "snils":
        return snils(rng, serials)
    if kind == "ogrn":
        return ogrn(rng, serials, _years(n), _regions(n))
    return ogrnip(rng, serials, _years(n), _regions(n))


_SCALAR = {
    "inn_individual": is_valid_inn,
    "inn_legal": is_valid_inn,
    "snils": is_valid_snils,
    "ogrn": is_valid_ogrn,
    "ogrnip": is_valid_ogrnip,
}
_LENGTH = {"inn_individual": 12, "inn_legal": 10, "snils": 11, "ogrn": 13, "ogrnip": 15}
_MASK = {"inn_individual": inn_valid_mask, "inn_legal": inn_valid_mask, "snils": snils_valid_mask}


@pytest.mark.parametrize("kind", list(_SCALAR))
def test_generated_identifiers_are_valid_unique_and_sized(
    kind: str, rng: np.random.Generator
) -> None:
    values = _generated(kind, rng, _serials())
    assert values.shape == (N,)
    assert all(re.fullmatch(rf"[0-9]{{{_LENGTH[kind]}}}", v) for v in values.tolist())
    assert all(_SCALAR[kind](v) for v in values.tolist())
    if kind in _MASK:
        assert _MASK[kind](values).all()
    assert len(set(values.tolist())) == N


@pytest.mark.parametrize("kind", list(_SCALAR))
def test_same_seed_same_permutation_so_chunks_stay_unique(kind: str) -> None:
    serials = _serials(7)
    whole = _generated(kind, np.random.default_rng(99), serials)
    first = _generated(kind, np.random.default_rng(99), serials[: N // 2])
    assert first.tolist() == whole[: N // 2].tolist()
    other_seed = _generated(kind, np.random.default_rng(100), serials)
    assert other_seed.tolist() != whole.tolist()


def test_uniqueness_holds_at_the_top_of_the_serial_range(rng: np.random.Generator) -> None:
    top = np.arange(99 * 10**6 - N, 99 * 10**6)
    values = inn_individual(rng, top, np.full(N, 77))
    assert len(set(values.tolist())) == N
    assert inn_valid_mask(values).all()


def _prime_factors(n: int) -> list[int]:
    factors, p = [], 2
    while p * p <= n:
        if n % p == 0:
            factors.append(p)
            while n % p == 0:
                n //= p
        p += 1
    return [*factors, n] if n > 1 else factors


@pytest.mark.parametrize(
    ("generate", "limit"),
    [
        (lambda r, s: inn_individual(r, s, 77), 99 * 10**6),
        (lambda r, s: inn_legal(r, s, 77), 99 * 10**5),
        (lambda r, s: snils(r, s), 10**9 - 1_001_999),
        (lambda r, s: ogrn(r, s, 2010, 77), 10**7),
        (lambda r, s: ogrnip(r, s, 2010, 77), 10**9),
    ],
)
def test_permutation_is_a_bijection_for_every_seed(generate, limit: int) -> None:
    # A multiplier sharing a prime p with the modulus would map 0 and limit/p together.
    serials = np.array([0] + [limit // p for p in _prime_factors(limit)])
    for seed in range(40):
        values = generate(np.random.default_rng(seed), serials).tolist()
        assert len(set(values)) == len(values)


@pytest.mark.parametrize(
    ("generate", "limit"),
    [
        (lambda r, s: inn_individual(r, s, 77), 99 * 10**6),
        (lambda r, s: inn_legal(r, s, 77), 99 * 10**5),
        (lambda r, s: snils(r, s), 10**9 - 1_001_999),
        (lambda r, s: ogrn(r, s, 2010, 77), 10**7),
        (lambda r, s: ogrnip(r, s, 2010, 77), 10**9),
    ],
)
def test_out_of_range_serials_are_refused(generate, limit: int, rng: np.random.Generator) -> None:
    generate(rng, np.array([0, limit - 1]))
    with pytest.raises(ValueError):
        generate(rng, np.array([limit]))
    with pytest.raises(ValueError):
        generate(rng, np.array([-1]))


def test_generated_structure(rng: np.random.Generator) -> None:
    regions = _regions()
    years = _years()
    individual = inn_individual(rng, _serials(), regions)
    legal = inn_legal(rng, _serials(), regions)
    assert [v[:2] for v in individual.tolist()] == [f"{r:02d}" for r in regions.tolist()]
    assert [v[:2] for v in legal.tolist()] == [f"{r:02d}" for r in regions.tolist()]
    assert all(v[2:4] != "00" for v in [*individual.tolist(), *legal.tolist()])
    assert all(int(v[:9]) > 1_001_998 for v in snils(rng, _serials()).tolist())
    ogrns = ogrn(rng, _serials(), years, regions).tolist()
    assert {v[0] for v in ogrns} == {"1", "5"}
    assert [v[1:5] for v in ogrns] == [
        f"{y % 100:02d}{r:02d}" for y, r in zip(years, regions, strict=True)
    ]
    ogrnips = ogrnip(rng, _serials(), years, regions).tolist()
    assert {v[0] for v in ogrnips} == {"3"}
    assert [v[1:5] for v in ogrnips] == [
        f"{y % 100:02d}{r:02d}" for y, r in zip(years, regions, strict=True)
    ]


def test_kpp_follows_inn_tax_office(rng: np.random.Generator) -> None:
    inns = inn_legal(rng, _serials(), _regions())
    kpps = kpp(inns, rng).tolist()
    assert all(re.fullmatch(r"[0-9]{9}", k) for k in kpps)
    assert [k[:4] for k in kpps] == [i[:4] for i in inns.tolist()]
    reasons = [k[4:6] for k in kpps]
    assert set(reasons) == {"01", "43"}
    assert reasons.count("01") > reasons.count("43")
    assert all(k[6:] != "000" for k in kpps)
    with pytest.raises(ValueError):
        kpp(np.array(["123456789047"]), rng)


def test_accounts_are_valid_structured_and_unique(rng: np.random.Generator) -> None:
    balance = rng.choice(np.array(["40817", "42301", "45506", "40702"]), N)
    branches = rng.integers(0, 10_000, N)
    serials = _serials()
    accounts = account_numbers(balance, "810", branches, serials, BIC).tolist()
    assert all(is_valid_account(a, BIC) for a in accounts)
    assert len(set(accounts)) == N
    assert [a[:5] for a in accounts] == balance.tolist()
    assert {a[5:8] for a in accounts} == {"810"}
    assert [a[9:13] for a in accounts] == [f"{b:04d}" for b in branches.tolist()]
    assert [a[13:] for a in accounts] == [f"{s:07d}" for s in serials.tolist()]


def test_every_single_digit_change_of_an_account_fails(rng: np.random.Generator) -> None:
    accounts = account_numbers("40817", "840", rng.integers(0, 10_000, 20), _serials(n=20), BIC)
    for account in accounts.tolist():
        assert is_valid_account(account, BIC)
        assert not any(is_valid_account(c, BIC) for c in _single_digit_changes(account))


def test_account_inputs_are_checked() -> None:
    with pytest.raises(ValueError):
        account_numbers("4081", "810", 0, np.array([1]), BIC)
    with pytest.raises(ValueError):
        account_numbers("40817", "810", 10_000, np.array([1]), BIC)
    with pytest.raises(ValueError):
        account_numbers("40817", "810", 0, np.array([10**7]), BIC)


def test_pans_pass_luhn_and_are_unique(rng: np.random.Generator) -> None:
    bins = rng.choice(np.array(["220012", "427601", "546901"]), N)
    cards = pans(bins, _serials()).tolist()
    assert all(re.fullmatch(r"[0-9]{16}", c) for c in cards)
    assert [c[:6] for c in cards] == bins.tolist()
    assert all(luhn_ok(c) for c in cards)
    assert len(set(cards)) == N
    # Luhn catches every single-digit error.
    assert not any(luhn_ok(c) for c in _single_digit_changes(cards[0]))


def test_mask_pan() -> None:
    masked = mask_pan(np.array(["2200123456783456", "4111111111111111111", "411111111111"]))
    assert masked.tolist() == ["220012******3456", "411111*********1111", "411111**1111"]
    assert mask_pan(pans("220012", np.array([5]))).tolist() == ["220012******0059"]
    with pytest.raises(ValueError):
        mask_pan(np.array(["22001234567"]))
    with pytest.raises(ValueError):
        mask_pan(np.array(["2200-1234-5678-3456"]))


def test_pan_token_is_keyed_stable_and_distinct() -> None:
    cards = pans("220012", np.arange(1000))
    tokens = pan_token(cards, b"key-1").tolist()
    assert all(re.fullmatch(r"[0-9a-f]{32}", t) for t in tokens)
    assert len(set(tokens)) == len(tokens)
    assert pan_token(cards, b"key-1").tolist() == tokens
    assert pan_token(cards, b"key-2").tolist() != tokens
    with pytest.raises(ValueError):
        pan_token(cards, b"")


# --------------------------------------------------------------------------- defect injection


@pytest.mark.parametrize("kind", list(_SCALAR))
def test_corrupted_values_are_invalid_with_one_digit_changed(
    kind: str, rng: np.random.Generator
) -> None:
    original = _generated(kind, rng, _serials()).tolist()
    corrupted = corrupt_check_digit(np.array(original), rng).tolist()
    assert not any(_SCALAR[kind](v) for v in corrupted)
    if kind in _MASK:
        assert not _MASK[kind](np.array(corrupted)).any()
    positions = set()
    for before, after in zip(original, corrupted, strict=True):
        assert len(after) == len(before)
        changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
        assert len(changed) == 1
        positions.add(changed[0])
    if kind == "snils":
        assert positions == set(range(9))  # typos land in the body only
    else:
        assert len(positions) == _LENGTH[kind]  # any digit can be mistyped


def test_corrupt_handles_mixed_kinds_and_unchecked_snils(rng: np.random.Generator) -> None:
    # Small SNILS bodies carry no check; the change must push the body into checked range.
    values = [
        "1234567894",
        "123456789047",
        "00100199800",
        "00000000000",
        "1022200525819",
        "385768585948949",
        "318357747477112",
    ]
    validators = [
        is_valid_inn,
        is_valid_inn,
        is_valid_snils,
        is_valid_snils,
        is_valid_ogrn,
        is_valid_ogrnip,
        is_valid_ogrnip,
    ]
    for _ in range(50):
        corrupted = corrupt_check_digit(np.array(values, dtype=object), rng).tolist()
        assert [len(v) for v in corrupted] == [len(v) for v in values]
        assert not any(valid(v) for valid, v in zip(validators, corrupted, strict=True))


@pytest.mark.parametrize("bad", [["12345678"], ["112-233-445 95"], [None], ["12345678904x"]])
def test_corrupt_refuses_unknown_kinds(bad: list[object], rng: np.random.Generator) -> None:
    with pytest.raises(ValueError):
        corrupt_check_digit(np.array(bad, dtype=object), rng)
