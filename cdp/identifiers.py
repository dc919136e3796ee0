"""Russian identifier rules: INN, SNILS, OGRN, OGRNIP, KPP, account numbers and card PANs.

One module owns these rules so that the simulator, which generates identifiers, and the
ingestion and golden-record code, which validate them, can never disagree. The check-digit
algorithms are written here from the published rules rather than taken from python-stdnum or
petrovna, both of which have been seen to accept or reject the wrong values.

Three kinds of function live here:

* scalar validators (``is_valid_*``, ``luhn_ok``) for single values; they never raise and
  return False for None, empty, non-digit or wrongly sized input;
* vectorised validators (``*_valid_mask``) that work on a matrix of character codes, so
  millions of values validate in a fraction of a second;
* vectorised generators for the simulator. Those that must give unique identifiers take
  distinct non-negative serials and map them through an affine permutation
  ``(a * serial + b) mod N`` (``a`` coprime with ``N``, both drawn from the rng), so distinct
  serials always give distinct identifiers within one call. To generate in chunks, give each
  chunk the same freshly seeded rng and disjoint serials, so every chunk uses the same
  permutation.

Validators check format and check digits only: placeholders such as ``000000000000`` pass
the INN checksum, and callers that match on identifiers must screen them separately.
"""

from __future__ import annotations

import hmac
import math

import numpy as np

_INN10_WEIGHTS = np.array([2, 4, 10, 3, 5, 9, 4, 6, 8], dtype=np.int32)
_INN11_WEIGHTS = np.array([7, 2, 4, 10, 3, 5, 9, 4, 6, 8], dtype=np.int32)
_INN12_WEIGHTS = np.array([3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8], dtype=np.int32)
_SNILS_WEIGHTS = np.array([9, 8, 7, 6, 5, 4, 3, 2, 1], dtype=np.int32)
# Bank of Russia rule 515: weights 7 1 3 repeat over BIC tail (3) + account (20).
_ACCOUNT_WEIGHTS = np.resize(np.array([7, 1, 3], dtype=np.int32), 23)
_ACCOUNT_KEY_POSITION = 3 + 8  # after the BIC tail and the 8 digits of balance account + currency

# SNILS numbers up to 001-001-998 were issued before the check rule existed.
_SNILS_UNCHECKED_MAX = 1_001_998
_SNILS_DIGIT_POSITIONS = np.array([0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13])

_OGRN_SIGNS = (1, 5)
_OGRNIP_SIGN = 3
_KPP_BRANCH_SHARE = 0.1  # share of KPPs with reason code 43 (separate division) rather than 01
_CORRUPT_RANDOM_ROUNDS = 8
_PAN_VISIBLE_HEAD, _PAN_VISIBLE_TAIL = 6, 4
_PAN_LENGTHS = (12, 19)
_TOKEN_HEX_CHARS = 32


# --------------------------------------------------------------------------- scalar validators


def _ascii_digits(value: object, length: int) -> bool:
    return isinstance(value, str) and len(value) == length and value.isascii() and value.isdigit()


def _mod11_check(digits: list[int], weights: np.ndarray) -> int:
    return sum(w * d for w, d in zip(weights.tolist(), digits, strict=False)) % 11 % 10


def is_valid_inn(value: str | None) -> bool:
    """True for a 10-digit legal-entity INN or a 12-digit individual INN with correct checks."""
    if _ascii_digits(value, 10):
        d = [int(c) for c in value]
        return _mod11_check(d, _INN10_WEIGHTS) == d[9]
    if _ascii_digits(value, 12):
        d = [int(c) for c in value]
        return _mod11_check(d, _INN11_WEIGHTS) == d[10] and _mod11_check(d, _INN12_WEIGHTS) == d[11]
    return False


def _snils_check(body: str) -> int:
    total = sum(w * int(c) for w, c in zip(_SNILS_WEIGHTS.tolist(), body, strict=True))
    # < 100 -> itself; 100 and 101 -> 00; otherwise mod 101 with 100 -> 00. One formula does all.
    return total % 101 % 100


def is_valid_snils(value: str | None) -> bool:
    """True for a SNILS as ``12345678964`` or ``123-456-789 64`` (``-`` before the check too).

    Numbers up to 001-001-998 predate the check rule and are accepted with any check digits.
    """
    if isinstance(value, str) and len(value) == 14:
        if value[3] != "-" or value[7] != "-" or value[11] not in " -":
            return False
        value = value[0:3] + value[4:7] + value[8:11] + value[12:14]
    if not _ascii_digits(value, 11):
        return False
    return int(value[:9]) <= _SNILS_UNCHECKED_MAX or _snils_check(value[:9]) == int(value[9:])


def is_valid_ogrn(value: str | None) -> bool:
    """True for a 13-digit OGRN starting with 1 or 5, last digit (first 12 mod 11) mod 10."""
    return (
        _ascii_digits(value, 13)
        and int(value[0]) in _OGRN_SIGNS
        and int(value[:12]) % 11 % 10 == int(value[12])
    )


def is_valid_ogrnip(value: str | None) -> bool:
    """True for a 15-digit OGRNIP starting with 3 whose last digit is (first 14 mod 13) mod 10.

    The check is the *last digit* of the remainder: remainders 10-12 give 0-2, which is exactly
    what python-stdnum gets wrong.
    """
    return (
        _ascii_digits(value, 15)
        and int(value[0]) == _OGRNIP_SIGN
        and int(value[:14]) % 13 % 10 == int(value[14])
    )


def is_valid_account(account: str | None, bic: str | None) -> bool:
    """True if a 20-digit account held in the credit institution with this 9-digit BIC has the
    right control key (BIC's last 3 digits + account, weights 7 1 3, sum divisible by 10)."""
    if not (_ascii_digits(account, 20) and _ascii_digits(bic, 9)):
        return False
    digits = bic[6:] + account
    return sum(w * int(c) for w, c in zip(_ACCOUNT_WEIGHTS.tolist(), digits, strict=True)) % 10 == 0


def luhn_ok(pan: str | None) -> bool:
    """True for a digit string of at least 2 digits that passes the Luhn check (card PANs)."""
    if not (isinstance(pan, str) and len(pan) >= 2 and pan.isascii() and pan.isdigit()):
        return False
    total = 0
    for i, c in enumerate(reversed(pan)):
        d = int(c) * (1 + i % 2)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


# --------------------------------------------------------------------------- digit matrices


def _char_matrix(values: object, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact lengths (-1 for non-strings) and the first ``width`` character codes, minus 48.

    Only ``width`` characters are looked at, but the lengths are exact, so a value longer
    than any valid one is still rejected. Offsets 0-9 are digits; uint32 wrap-around sends
    every code below "0" far above 9, and NUL padding past the end reads as 2**32 - 48.
    """
    flat = np.asarray(values).reshape(-1)
    if flat.dtype.kind == "U":
        lengths = np.strings.str_len(flat).astype(np.int64)
    else:
        flat = flat.astype(object)
        lengths = np.fromiter(
            (len(v) if isinstance(v, str) else -1 for v in flat), np.int64, flat.size
        )
        flat = np.where(lengths >= 0, flat, "")
    codes = flat.astype(f"<U{width}").view(np.uint32).reshape(-1, width)
    return lengths, codes - np.uint32(48)


def _digit_matrix(offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Digits (non-digits read as 0, so arithmetic on garbage rows stays harmless) and the
    is-digit mask; callers reject garbage rows with the mask."""
    is_digit = offsets < 10
    return np.where(is_digit, offsets, 0).astype(np.int32), is_digit


def _format_ok(lengths: np.ndarray, is_digit: np.ndarray, length: int) -> np.ndarray:
    return (lengths == length) & is_digit[:, :length].all(axis=1)


def _parse_digits(values: object, length: int, what: str) -> np.ndarray:
    """Digit matrix of generator inputs that must all be ``length``-digit strings."""
    lengths, offsets = _char_matrix(values, length)
    digits, is_digit = _digit_matrix(offsets)
    if not _format_ok(lengths, is_digit, length).all():
        raise ValueError(f"every {what} must be a string of {length} ASCII digits")
    return digits


def _int_digits(numbers: np.ndarray, width: int) -> np.ndarray:
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (numbers[:, None] // powers % 10).astype(np.int32)


def _as_int(digits: np.ndarray) -> np.ndarray:
    powers = 10 ** np.arange(digits.shape[1] - 1, -1, -1, dtype=np.int64)
    return digits.astype(np.int64) @ powers


def _to_str(offsets: np.ndarray) -> np.ndarray:
    """Matrix of digits (code offsets from "0") -> 1-D ``<U{width}`` array, without a loop."""
    return _codes_to_str(np.ascontiguousarray(offsets + 48, dtype=np.uint32))


def _codes_to_str(codes: np.ndarray) -> np.ndarray:
    """C-contiguous uint32 matrix of character codes (0 = padding) -> 1-D ``<U{width}``."""
    return codes.view(f"<U{codes.shape[1]}").reshape(-1)


# --------------------------------------------------------------------------- vectorised rules


def _mod11_checks(digits: np.ndarray, weights: np.ndarray) -> np.ndarray:
    return digits[:, : len(weights)] @ weights % 11 % 10


def _inn_rows_valid(digits: np.ndarray, is10: np.ndarray, is12: np.ndarray) -> np.ndarray:
    ok10 = is10 & (_mod11_checks(digits, _INN10_WEIGHTS) == digits[:, 9])
    ok12 = (
        is12
        & (_mod11_checks(digits, _INN11_WEIGHTS) == digits[:, 10])
        & (_mod11_checks(digits, _INN12_WEIGHTS) == digits[:, 11])
    )
    return ok10 | ok12


def _snils_checks(body: np.ndarray) -> np.ndarray:
    return body @ _SNILS_WEIGHTS % 101 % 100


def _snils_rows_valid(digits: np.ndarray) -> np.ndarray:
    unchecked = _as_int(digits[:, :9]) <= _SNILS_UNCHECKED_MAX
    return unchecked | (_snils_checks(digits[:, :9]) == digits[:, 9] * 10 + digits[:, 10])


def _ogrn_rows_valid(digits: np.ndarray) -> np.ndarray:
    signs = np.isin(digits[:, 0], _OGRN_SIGNS)
    return signs & (_as_int(digits[:, :12]) % 11 % 10 == digits[:, 12])


def _ogrnip_rows_valid(digits: np.ndarray) -> np.ndarray:
    signs = digits[:, 0] == _OGRNIP_SIGN
    return signs & (_as_int(digits[:, :14]) % 13 % 10 == digits[:, 14])


def inn_valid_mask(values: object) -> np.ndarray:
    """Boolean array, same shape as ``values``: which are valid INNs (as ``is_valid_inn``)."""
    lengths, offsets = _char_matrix(values, 13)
    digits, is_digit = _digit_matrix(offsets)
    is10 = _format_ok(lengths, is_digit, 10)
    is12 = _format_ok(lengths, is_digit, 12)
    return _inn_rows_valid(digits, is10, is12).reshape(np.shape(values))


def snils_valid_mask(values: object) -> np.ndarray:
    """Boolean array, same shape as ``values``: which are valid SNILS (as ``is_valid_snils``)."""
    lengths, offsets = _char_matrix(values, 15)
    digits, is_digit = _digit_matrix(offsets)
    plain = _format_ok(lengths, is_digit, 11)
    codes = offsets + np.uint32(48)
    printed = (
        (lengths == 14)
        & is_digit[:, _SNILS_DIGIT_POSITIONS].all(axis=1)
        & (codes[:, 3] == ord("-"))
        & (codes[:, 7] == ord("-"))
        & ((codes[:, 11] == ord(" ")) | (codes[:, 11] == ord("-")))
    )
    compact = np.where(printed[:, None], digits[:, _SNILS_DIGIT_POSITIONS], digits[:, :11])
    return ((plain | printed) & _snils_rows_valid(compact)).reshape(np.shape(values))


# --------------------------------------------------------------------------- generators


def _affine_permutation(rng: np.random.Generator, serials: np.ndarray, modulus: int) -> np.ndarray:
    """Bijection of [0, modulus) applied to serials: distinct serials stay distinct."""
    if serials.size and (serials.min() < 0 or serials.max() >= modulus):
        raise ValueError(f"serials must lie in [0, {modulus}) to stay unique")
    a = int(rng.integers(1, modulus))
    while math.gcd(a, modulus) != 1:
        a = int(rng.integers(1, modulus))
    b = int(rng.integers(0, modulus))
    return (a * serials + b) % modulus  # a, serials < 1e9, so the product fits in int64


def _int_array(
    values: object, shape: tuple[int, ...], low: int, high: int, what: str
) -> np.ndarray:
    array = np.broadcast_to(np.asarray(values, dtype=np.int64), shape)
    if array.size and (array.min() < low or array.max() > high):
        raise ValueError(f"{what} must lie in [{low}, {high}]")
    return array


def _serials(serials: object) -> np.ndarray:
    array = np.asarray(serials, dtype=np.int64)
    if array.ndim != 1:
        raise ValueError("serials must be a 1-D integer array")
    return array


def inn_individual(rng: np.random.Generator, serials: object, region_codes: object) -> np.ndarray:
    """12-digit individual INNs: region, tax office 01-99, 6-digit serial, two check digits.

    Office and serial together come from a permutation of [0, 99e6), so distinct serials below
    99 000 000 give distinct INNs whatever the regions.
    """
    s = _serials(serials)
    regions = _int_array(region_codes, s.shape, 1, 99, "region codes")
    p = _affine_permutation(rng, s, 99 * 10**6)
    digits = np.zeros((s.size, 12), dtype=np.int32)
    digits[:, :10] = _int_digits(regions * 10**8 + 10**6 + p, 10)  # + 10**6: office from 01
    digits[:, 10] = _mod11_checks(digits, _INN11_WEIGHTS)
    digits[:, 11] = _mod11_checks(digits, _INN12_WEIGHTS)
    return _to_str(digits)


def inn_legal(rng: np.random.Generator, serials: object, region_codes: object) -> np.ndarray:
    """10-digit legal-entity INNs: region, tax office 01-99, 5-digit serial, check digit.

    Distinct serials below 9 900 000 give distinct INNs.
    """
    s = _serials(serials)
    regions = _int_array(region_codes, s.shape, 1, 99, "region codes")
    p = _affine_permutation(rng, s, 99 * 10**5)
    digits = np.zeros((s.size, 10), dtype=np.int32)
    digits[:, :9] = _int_digits(regions * 10**7 + 10**5 + p, 9)  # + 10**5: office from 01
    digits[:, 9] = _mod11_checks(digits, _INN10_WEIGHTS)
    return _to_str(digits)


def snils(rng: np.random.Generator, serials: object) -> np.ndarray:
    """11-digit SNILS without separators, body above 001-001-998 so the check always applies.

    Distinct serials below 998 998 001 give distinct numbers.
    """
    s = _serials(serials)
    body = _affine_permutation(rng, s, 10**9 - _SNILS_UNCHECKED_MAX - 1)
    digits = np.zeros((s.size, 11), dtype=np.int32)
    digits[:, :9] = _int_digits(body + _SNILS_UNCHECKED_MAX + 1, 9)
    check = _snils_checks(digits[:, :9])
    digits[:, 9], digits[:, 10] = check // 10, check % 10
    return _to_str(digits)


def ogrn(
    rng: np.random.Generator, serials: object, registration_years: object, region_codes: object
) -> np.ndarray:
    """13-digit OGRNs: sign 1 or 5, 2-digit year, region, 7-digit serial, check digit.

    Distinct serials below 10 000 000 give distinct numbers.
    """
    s = _serials(serials)
    years = _int_array(registration_years, s.shape, 0, 9999, "registration years") % 100
    regions = _int_array(region_codes, s.shape, 1, 99, "region codes")
    serial = _affine_permutation(rng, s, 10**7)
    signs = rng.choice(np.array(_OGRN_SIGNS, dtype=np.int64), size=s.size)
    body = signs * 10**11 + years * 10**9 + regions * 10**7 + serial
    return _to_str(_int_digits(body * 10 + body % 11 % 10, 13))


def ogrnip(
    rng: np.random.Generator, serials: object, registration_years: object, region_codes: object
) -> np.ndarray:
    """15-digit OGRNIPs: sign 3, 2-digit year, region, 9-digit serial, check digit.

    Distinct serials below 1 000 000 000 give distinct numbers.
    """
    s = _serials(serials)
    years = _int_array(registration_years, s.shape, 0, 9999, "registration years") % 100
    regions = _int_array(region_codes, s.shape, 1, 99, "region codes")
    serial = _affine_permutation(rng, s, 10**9)
    body = _OGRNIP_SIGN * 10**13 + years * 10**11 + regions * 10**9 + serial
    return _to_str(_int_digits(body * 10 + body % 13 % 10, 15))


def kpp(inn_legal_values: object, rng: np.random.Generator) -> np.ndarray:
    """9-digit KPPs for legal-entity INNs: the INN's tax office, reason code, 3-digit serial.

    Most get ``01`` + ``001`` (head office); a share get ``43`` (separate division) + 001-099.
    """
    inn = _parse_digits(inn_legal_values, 10, "legal-entity INN")
    n = inn.shape[0]
    branch = rng.random(n) < _KPP_BRANCH_SHARE
    reason = np.where(branch, 43, 1)
    serial = np.where(branch, rng.integers(1, 100, n), 1)
    digits = np.empty((n, 9), dtype=np.int32)
    digits[:, :4] = inn[:, :4]
    digits[:, 4:] = _int_digits(reason * 1000 + serial, 5)
    return _to_str(digits)


def account_numbers(
    balance_codes: object,
    currency_code: object,
    branch_codes: object,
    serials: object,
    bic: object,
) -> np.ndarray:
    """20-digit accounts ``AAAAA CCC K BBBB SSSSSSS`` with the control key for this BIC.

    ``balance_codes`` (5 digits, e.g. "40817"), ``currency_code`` (3 digits, "810" for
    roubles) and ``bic`` (9 digits) may be single strings or arrays; ``branch_codes``
    (0-9999) and ``serials`` (0-9 999 999) are integers. Serials are used as they are: banks
    number accounts sequentially within a balance account, currency and branch.
    """
    s = _serials(serials)
    n = s.size
    serial = _int_array(s, s.shape, 0, 10**7 - 1, "account serials")
    branch = _int_array(branch_codes, s.shape, 0, 9999, "branch codes")
    digits = np.zeros((n, 23), dtype=np.int32)
    digits[:, :3] = np.broadcast_to(_parse_digits(bic, 9, "BIC")[:, 6:], (n, 3))
    digits[:, 3:8] = np.broadcast_to(_parse_digits(balance_codes, 5, "balance code"), (n, 5))
    digits[:, 8:11] = np.broadcast_to(_parse_digits(currency_code, 3, "currency code"), (n, 3))
    digits[:, 12:16] = _int_digits(branch, 4)
    digits[:, 16:] = _int_digits(serial, 7)
    # With K = 0 the key solves 3K = -sum (mod 10), i.e. K = 3 * sum mod 10.
    digits[:, _ACCOUNT_KEY_POSITION] = digits @ _ACCOUNT_WEIGHTS % 10 * 3 % 10
    return _to_str(digits[:, 3:])


def _luhn_check_digits(partial: np.ndarray) -> np.ndarray:
    """Luhn digit to append to each row: the rightmost payload digit is the first doubled."""
    doubled = (partial.shape[1] - 1 - np.arange(partial.shape[1])) % 2 == 0
    values = np.where(doubled, partial * 2, partial)
    values = np.where(values > 9, values - 9, values)
    return (10 - values.sum(axis=1) % 10) % 10


def pans(bins: object, serials: object) -> np.ndarray:
    """16-digit card numbers: 6-digit BIN (string or array), 9-digit serial, Luhn digit.

    Only the simulator's generator should hold full PANs; extracts carry ``mask_pan`` output.
    """
    s = _serials(serials)
    serial = _int_array(s, s.shape, 0, 10**9 - 1, "card serials")
    digits = np.zeros((s.size, 16), dtype=np.int32)
    digits[:, :6] = np.broadcast_to(_parse_digits(bins, 6, "BIN"), (s.size, 6))
    digits[:, 6:15] = _int_digits(serial, 9)
    digits[:, 15] = _luhn_check_digits(digits[:, :15])
    return _to_str(digits)


def mask_pan(pans: object) -> np.ndarray:
    """PCI DSS display mask: first 6 and last 4 digits kept, e.g. ``220012******3456``."""
    low, high = _PAN_LENGTHS
    lengths, offsets = _char_matrix(pans, high)
    columns = np.arange(high)
    inside = columns < lengths[:, None]
    if not (((lengths >= low) & (lengths <= high)) & ((offsets < 10) | ~inside).all(axis=1)).all():
        raise ValueError(f"every PAN must be a string of {low}-{high} ASCII digits")
    hidden = (columns >= _PAN_VISIBLE_HEAD) & (columns < lengths[:, None] - _PAN_VISIBLE_TAIL)
    masked = np.where(hidden, np.uint32(ord("*")), offsets + np.uint32(48))  # padding back to 0
    return _codes_to_str(masked).reshape(np.shape(pans))


def pan_token(pans: object, key: bytes) -> np.ndarray:
    """Stable pseudonymous card key: HMAC-SHA256(key, PAN), first 32 hex characters.

    Lets card records from different systems join on the card without carrying the PAN.
    """
    if not key:
        raise ValueError("pan_token needs a non-empty secret key")
    keyed = hmac.new(key, digestmod="sha256")  # the key's pads hashed once, copied per PAN
    half = _TOKEN_HEX_CHARS // 2

    def token(pan: str) -> str:
        mac = keyed.copy()
        mac.update(pan.encode("ascii"))
        return mac.digest()[:half].hex()

    tokens = [token(pan) for pan in np.asarray(pans).reshape(-1).tolist()]
    return np.array(tokens, dtype=f"<U{_TOKEN_HEX_CHARS}").reshape(np.shape(pans))


# --------------------------------------------------------------------------- defect injection

_CORRUPTIBLE_LENGTHS = (10, 11, 12, 13, 15)  # INN legal, SNILS, INN individual, OGRN, OGRNIP
_SNILS_BODY_DIGITS = 9


def _rows_valid(digits: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Validity of digit rows by the rule their length implies (see _CORRUPTIBLE_LENGTHS)."""
    return np.select(
        [lengths == 11, lengths == 13, lengths == 15],
        [_snils_rows_valid(digits), _ogrn_rows_valid(digits), _ogrnip_rows_valid(digits)],
        default=_inn_rows_valid(digits, lengths == 10, lengths == 12),
    )


def _apply_changes(
    digits: np.ndarray,
    lengths: np.ndarray,
    result: np.ndarray,
    pending: np.ndarray,
    positions: np.ndarray,
    deltas: np.ndarray | int,
) -> np.ndarray:
    """Write into ``result`` the pending rows that one digit change makes invalid; return the
    rows still pending."""
    candidate = digits[pending]
    rows = np.arange(pending.size)
    candidate[rows, positions] = (candidate[rows, positions] + deltas) % 10
    broken = ~_rows_valid(candidate, lengths[pending])
    result[pending[broken]] = candidate[broken]
    return pending[~broken]


def corrupt_check_digit(values: object, rng: np.random.Generator) -> np.ndarray:
    """Each value with exactly one digit changed so that it fails its check rule.

    The kind is read from the length: 10/12 INN, 11 SNILS (digits only), 13 OGRN, 15 OGRNIP.
    A random digit (SNILS: a body digit) gets a random new value; the few rows a change leaves
    valid (e.g. an INN sum moving from 0 to 10 mod 11) are retried, and any still valid after
    that take the first invalidating change in a fixed order, from the last digit backwards.
    Ground truth for "mistyped identifier" defects.
    """
    lengths, offsets = _char_matrix(values, 15)
    digits, is_digit = _digit_matrix(offsets)
    inside = np.arange(15) < lengths[:, None]
    if not (np.isin(lengths, _CORRUPTIBLE_LENGTHS) & (is_digit | ~inside).all(axis=1)).all():
        raise ValueError("values must be digit strings of length 10, 11, 12, 13 or 15")
    span = np.where(lengths == 11, _SNILS_BODY_DIGITS, lengths)
    result = digits.copy()
    pending = np.arange(digits.shape[0])
    for _ in range(_CORRUPT_RANDOM_ROUNDS):
        positions = rng.integers(0, span[pending])
        deltas = rng.integers(1, 10, pending.size)
        pending = _apply_changes(digits, lengths, result, pending, positions, deltas)
    for back in range(15):
        for delta in range(1, 10):
            positions = np.maximum(span[pending] - 1 - back, 0)
            pending = _apply_changes(digits, lengths, result, pending, positions, delta)
    # Unreachable in theory (a new check digit, or a SNILS body moved above 001-001-998 with
    # several candidate sums, always breaks the rule); kept so a logic error cannot pass silently.
    if pending.size:
        raise RuntimeError("no single-digit change invalidates some values")
    return _to_str(np.where(inside, result, -48)).reshape(np.shape(values))
