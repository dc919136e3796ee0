"""Contacts and documents of simulated persons: phones, e-mails, addresses, passports.

All generators are vectorised over numpy arrays, take a ``numpy.random.Generator`` and give
identical output for the same seed. String results are numpy unicode (``<U``) arrays.

Region codes everywhere are the two-digit subject codes used in INN, car plates and passport
division codes (77 Москва, 78 Санкт-Петербург, 50 Московская обл., 16 Татарстан …); the
OKATO code used in passport *series* is looked up with :func:`okato_codes`.
"""

from __future__ import annotations

import re
from functools import cache

import numpy as np
import polars as pl

from simulator.reference import read_rows
from simulator.strings import zfill

# --------------------------------------------------------------------------------------------
# regions and cities


@cache
def _regions() -> dict[str, np.ndarray]:
    rows = read_rows("regions")
    return {
        "code": np.array([int(r["region_code"]) for r in rows], dtype=np.int64),
        "okato": np.array([int(r["okato_code"]) for r in rows], dtype=np.int64),
        "name": np.array([r["name"] for r in rows], dtype=str),
        "address_name": np.array([r["address_name"] for r in rows], dtype=str),
        "address_name_alt": np.array([r["address_name_alt"] for r in rows], dtype=str),
        "population": np.array([float(r["population_k"]) for r in rows]),
    }


@cache
def _cities() -> dict[str, np.ndarray]:
    rows = read_rows("cities")
    return {
        "region": np.array([int(r["region_code"]) for r in rows], dtype=np.int64),
        "city": np.array([r["city"] for r in rows], dtype=str),
        "area_codes": tuple(tuple(r["area_codes"].split("|")) for r in rows),
        "population": np.array([float(r["population_k"]) for r in rows]),
    }


REGION_CODES: tuple[int, ...] = tuple(int(r["region_code"]) for r in read_rows("regions"))
"""Subject codes that the reference tables cover (41 regions, ≈ 115 M inhabitants)."""


def _region_pos(region_codes) -> np.ndarray:
    codes = np.asarray(region_codes, dtype=np.int64)
    lookup = np.full(100, -1, dtype=np.int64)
    lookup[_regions()["code"]] = np.arange(len(_regions()["code"]))
    pos = lookup[np.clip(codes, 0, 99)]
    if (pos < 0).any() or ((codes < 0) | (codes > 99)).any():
        bad = sorted(set(codes[(pos < 0) | (codes < 0) | (codes > 99)].tolist()))
        raise ValueError(f"region codes not in simulator/reference/regions.csv: {bad[:10]}")
    return pos


def sample_regions(rng: np.random.Generator, n: int) -> np.ndarray:
    """Region codes of ``n`` persons, weighted by population."""
    reg = _regions()
    p = reg["population"] / reg["population"].sum()
    return reg["code"][rng.choice(len(p), size=n, p=p)]


def okato_codes(region_codes) -> np.ndarray:
    """OKATO two-digit code (as in passport series) of each subject code (77 → 45)."""
    return _regions()["okato"][_region_pos(region_codes)]


def sample_city_idx(rng: np.random.Generator, region_codes) -> np.ndarray:
    """Index into the city table of a city of each region, weighted by city population.

    Pass the result as ``city_idx`` to :func:`addresses` and :func:`landline_phones` to keep
    a person's address and landline in the same city.
    """
    codes = np.asarray(region_codes, dtype=np.int64)
    _region_pos(codes)  # validates
    cities = _cities()
    u = rng.random(codes.shape)
    out = np.empty(codes.shape, dtype=np.int64)
    for code in np.unique(codes).tolist():
        m = codes == code
        idx = np.flatnonzero(cities["region"] == code)
        cdf = np.cumsum(cities["population"][idx])
        cdf /= cdf[-1]
        out[m] = idx[np.minimum(np.searchsorted(cdf, u[m], side="right"), len(idx) - 1)]
    return out


def city_names(city_idx) -> np.ndarray:
    """City name of each city index."""
    return _cities()["city"][np.asarray(city_idx, dtype=np.int64)]


# --------------------------------------------------------------------------------------------
# phones

E164_RU = re.compile(r"^\+7\d{10}$")
E164_RU_MOBILE = re.compile(r"^\+79\d{9}$")


@cache
def _def_codes() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows = read_rows("mobile_def_codes")
    codes = np.array([int(r["def_code"]) for r in rows], dtype=np.int64)
    ops = np.array([r["operator"] for r in rows], dtype=str)
    w = np.array([float(r["weight"]) for r in rows])
    return codes, ops, np.cumsum(w) / w.sum()


def _repdigit(sub: np.ndarray) -> np.ndarray:
    """True where a 7-digit subscriber number is one digit repeated (0000000, 9999999 …)."""
    return sub % 1_111_111 == 0


def _national_to_e164(national: np.ndarray) -> np.ndarray:
    return np.strings.add("+7", zfill(national.astype("U10"), 10))


def mobile_phones(rng: np.random.Generator, n: int, unique: bool = True) -> np.ndarray:
    """Canonical mobile numbers ``+79XXXXXXXXX`` with DEF codes weighted by operator share.

    Subscriber parts made of one repeated digit are never produced (they are placeholders).
    With ``unique`` (default) no number is given to two rows.
    """
    codes, _, cdf = _def_codes()
    national = np.empty(n, dtype=np.int64)
    todo = np.arange(n)
    while todo.size:
        d = codes[np.searchsorted(cdf, rng.random(todo.size), side="right").clip(0, len(codes) - 1)]
        sub = rng.integers(0, 10_000_000, todo.size)
        national[todo] = d * 10_000_000 + sub
        bad = _repdigit(sub)
        if unique:
            _, first = np.unique(national, return_index=True)
            dup = np.ones(n, dtype=bool)
            dup[first] = False
            bad_rows = np.union1d(todo[bad], np.flatnonzero(dup))
        else:
            bad_rows = todo[bad]
        todo = bad_rows
    return _national_to_e164(national)


def landline_phones(rng: np.random.Generator, region_codes, city_idx=None) -> np.ndarray:
    """Landline numbers ``+7<area code><local number>`` (10 national digits) in each region.

    The city is drawn by population unless ``city_idx`` (from :func:`sample_city_idx`) is
    given; the local number starts with 2–9.
    """
    codes = np.asarray(region_codes, dtype=np.int64)
    if city_idx is None:
        city_idx = sample_city_idx(rng, codes)
    city_idx = np.asarray(city_idx, dtype=np.int64)
    area_codes = _cities()["area_codes"]
    # flatten (city, alternative area code) pairs
    pair_city = np.array([i for i, alts in enumerate(area_codes) for _ in alts], dtype=np.int64)
    pair_code = np.array([int(a) for alts in area_codes for a in alts], dtype=np.int64)
    pair_len = np.array([len(a) for alts in area_codes for a in alts], dtype=np.int64)
    first_pair = np.searchsorted(pair_city, np.arange(len(area_codes)))
    n_alts = np.array([len(alts) for alts in area_codes], dtype=np.int64)
    pick = first_pair[city_idx] + (rng.random(codes.shape) * n_alts[city_idx]).astype(np.int64)
    local_len = 10 - pair_len[pick]
    low = 2 * 10 ** (local_len - 1)
    high = 10**local_len
    local = low + (rng.random(codes.shape) * (high - low)).astype(np.int64)
    national = pair_code[pick] * 10**local_len + local
    return _national_to_e164(national)


PHONE_STYLES: dict[str, str] = {
    "paren_8": "8 (AAA) BBB-CC-DD",
    "plain_8": "8AAABBBCCDD",
    "spaced_plus7": "+7 AAA BBB-CC-DD",
    "e164": "+7AAABBBCCDD",
    "ten_digits": "AAABBBCCDD",
    "paren_7": "7(AAA)BBBCCDD",
    "dashed_8": "8-AAA-BBB-CC-DD",
    "paren_plus7": "+7(AAA)BBB CC DD",
}
"""Raw phone spellings seen in bank sources; AAA BBB CC DD are the 10 national digits."""

_PLACEHOLDER = re.compile(r"(AAA|BBB|CC|DD)")


def _render(template: str, parts: dict[str, np.ndarray], n: int) -> np.ndarray:
    out = np.full(n, "", dtype="<U1")
    for token in _PLACEHOLDER.split(template):
        if token:
            out = np.strings.add(out, parts.get(token, token))
    return out


def _split_national(e164: np.ndarray) -> dict[str, np.ndarray]:
    nat = np.strings.slice(e164, 2, None)
    return {
        "AAA": np.strings.slice(nat, 0, 3),
        "BBB": np.strings.slice(nat, 3, 6),
        "CC": np.strings.slice(nat, 6, 8),
        "DD": np.strings.slice(nat, 8, 10),
    }


def _weighted_choice(rng: np.random.Generator, names, weights, n: int) -> np.ndarray:
    p = np.asarray(weights, dtype=float)
    if p.sum() <= 0 or (p < 0).any():
        raise ValueError("weights must be non-negative with a positive sum")
    return rng.choice(len(names), size=n, p=p / p.sum())


def format_phones(rng: np.random.Generator, e164, style_weights: dict[str, float]) -> np.ndarray:
    """Raw spellings of canonical ``+7XXXXXXXXXX`` numbers, one style per row by weight.

    ``style_weights`` maps names of :data:`PHONE_STYLES` to weights (each source system has
    its own mix, e.g. ``{"paren_8": 3, "plain_8": 5, "e164": 1}``).
    """
    arr = np.asarray(e164).astype(str)
    bad = [s for s in style_weights if s not in PHONE_STYLES]
    if bad:
        raise ValueError(f"unknown phone styles: {bad}")
    styles = list(style_weights)
    pick = _weighted_choice(rng, styles, list(style_weights.values()), arr.size)
    if arr.size and not np.all(np.strings.str_len(arr) == 12):
        raise ValueError("format_phones expects canonical +7XXXXXXXXXX numbers")
    out = np.empty(arr.shape, dtype="<U20")
    for k, style in enumerate(styles):
        m = pick == k
        if m.any():
            out[m] = _render(PHONE_STYLES[style], _split_national(arr[m]), int(m.sum()))
    return out


PHONE_DEFECTS: tuple[str, ...] = (
    "short_typo",
    "long_typo",
    "placeholder_zeros",
    "placeholder_nines",
    "two_numbers",
    "landline_in_mobile",
    "kazakhstan",
    "text_with_extension",
)
RECOVERABLE_PHONE_DEFECTS = frozenset({"text_with_extension"})
"""Defects whose raw value still contains the true number unambiguously."""

_KZ_MOBILE = np.array([700, 701, 702, 705, 707, 708, 747, 771, 775, 776, 777, 778])


def invalid_phones(rng: np.random.Generator, e164, kinds=None) -> tuple[np.ndarray, np.ndarray]:
    """Invalid raw values for the mobile-phone field of the given persons' true numbers.

    ``kinds`` (optional, one per row, from :data:`PHONE_DEFECTS`) fixes the defect; by
    default it is drawn uniformly. Returns ``(values, defect_types)``. Typos and
    ``two_numbers`` / ``text_with_extension`` are built from the true number;
    ``text_with_extension`` (``тел. 89161234567 доб. 12``) is recoverable.
    """
    arr = np.asarray(e164).astype(str)
    n = arr.size
    if kinds is None:
        kinds = np.asarray(PHONE_DEFECTS)[rng.integers(0, len(PHONE_DEFECTS), n)]
    kinds = np.asarray(kinds).astype(str)
    unknown = set(np.unique(kinds).tolist()) - set(PHONE_DEFECTS)
    if unknown:
        raise ValueError(f"unknown phone defects: {sorted(unknown)}")
    out = np.empty(n, dtype="<U40")
    nat = np.strings.slice(arr, 2, None)
    pref = np.where(rng.random(n) < 0.7, "8", "+7")

    m = kinds == "short_typo"
    if m.any():  # drop one national digit → 10 digits after the 8
        pos = rng.integers(0, 10, int(m.sum()))
        typo = np.strings.add(
            np.strings.slice(nat[m], 0, pos), np.strings.slice(nat[m], pos + 1, None)
        )
        out[m] = np.strings.add(pref[m], typo)
    m = kinds == "long_typo"
    if m.any():  # double one national digit → 12 digits after the 8
        pos = rng.integers(0, 10, int(m.sum()))
        typo = np.strings.add(
            np.strings.slice(nat[m], 0, pos + 1), np.strings.slice(nat[m], pos, None)
        )
        out[m] = np.strings.add(pref[m], typo)
    out[kinds == "placeholder_zeros"] = "+7 (000) 000-00-00"
    out[kinds == "placeholder_nines"] = "89999999999"
    m = kinds == "two_numbers"
    if m.any():
        k = int(m.sum())
        first = format_phones(rng, arr[m], {"paren_8": 1, "dashed_8": 1, "plain_8": 1})
        second = format_phones(rng, mobile_phones(rng, k, unique=False), {"paren_8": 1})
        sep = np.asarray([", ", "; ", " / "])[rng.integers(0, 3, k)]
        out[m] = np.strings.add(np.strings.add(first, sep), second)
    m = kinds == "landline_in_mobile"
    if m.any():
        land = landline_phones(rng, sample_regions(rng, int(m.sum())))
        out[m] = format_phones(rng, land, {"paren_8": 2, "plain_8": 1, "spaced_plus7": 1})
    m = kinds == "kazakhstan"
    if m.any():
        k = int(m.sum())
        kz = _KZ_MOBILE[rng.integers(0, len(_KZ_MOBILE), k)] * 10_000_000
        kz = _national_to_e164(kz + rng.integers(0, 10_000_000, k))
        out[m] = format_phones(rng, kz, {"spaced_plus7": 2, "plain_8": 1, "e164": 1})
    m = kinds == "text_with_extension"
    if m.any():
        k = int(m.sum())
        raw = format_phones(rng, arr[m], {"plain_8": 2, "paren_8": 1, "e164": 1})
        head = np.asarray(["тел. ", "т. ", "моб. ", ""])[rng.integers(0, 4, k)]
        ext = np.asarray([" доб. ", " доб.", " (доб. ", " ext. "])[rng.integers(0, 4, k)]
        num = rng.integers(1, 1000, k).astype("U3")
        tail = np.where(np.strings.startswith(ext, " ("), ")", "")
        out[m] = np.strings.add(
            np.strings.add(np.strings.add(head, raw), np.strings.add(ext, num)), tail
        )
    return out, kinds


# --------------------------------------------------------------------------------------------
# e-mails

EMAIL_DOMAINS: dict[str, float] = {
    "mail.ru": 0.30,
    "yandex.ru": 0.22,
    "gmail.com": 0.20,
    "bk.ru": 0.06,
    "inbox.ru": 0.05,
    "list.ru": 0.05,
    "rambler.ru": 0.05,
    "ya.ru": 0.07,
}
"""Mailbox domains with their share among bank clients' e-mails."""

EMAIL_PATTERNS: dict[str, float] = {
    "surname.first{yy}": 0.16,
    "first.surname": 0.14,
    "surname{yyyy}": 0.10,
    "first_surname": 0.08,
    "f.surname": 0.08,
    "surname_f": 0.05,
    "first{yy}": 0.08,
    "surname{nnn}": 0.12,
    "first.surname{yy}": 0.10,
    "surname.first": 0.09,
}
"""Local-part patterns (``f`` is the first initial, ``nnn`` one to three random digits)."""

EMAIL_DOMAIN_TYPOS: dict[str, str] = {
    "mail.r": "mail.ru",
    "mail.ry": "mail.ru",
    "mial.ru": "mail.ru",
    "mail.tu": "mail.ru",
    "maill.ru": "mail.ru",
    "yandex.ry": "yandex.ru",
    "yandex.r": "yandex.ru",
    "yandx.ru": "yandex.ru",
    "yadex.ru": "yandex.ru",
    "gmial.com": "gmail.com",
    "gmail.co": "gmail.com",
    "gmail.cm": "gmail.com",
    "gmai.com": "gmail.com",
    "bk.r": "bk.ru",
    "bk.ry": "bk.ru",
    "inbox.r": "inbox.ru",
    "imbox.ru": "inbox.ru",
    "list.r": "list.ru",
    "lsit.ru": "list.ru",
    "rambler.r": "rambler.ru",
    "ramber.ru": "rambler.ru",
    "ya.r": "ya.ru",
    "ya.ry": "ya.ru",
}
"""Domain typos injected by :func:`invalid_emails`, mapped to the intended domain."""

EMAIL_DEFECTS: tuple[str, ...] = (
    "missing_at",
    "cyrillic_local",
    "domain_typo",
    "trailing_dot",
    "inner_space",
)
RECOVERABLE_EMAIL_DEFECTS = frozenset({"domain_typo", "trailing_dot", "inner_space"})
"""Defects a cleaner can undo mechanically (``domain_typo`` via :data:`EMAIL_DOMAIN_TYPOS`)."""

_QWERTY_TO_JCUKEN = str.maketrans("qwertyuiopasdfghjklzxcvbnm.", "йцукенгшщзфывапролдячсмитью")
_HOMOGLYPH_LATIN_TO_CYR = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у"}


def emails(
    rng: np.random.Generator,
    surnames_latin,
    first_names_latin,
    birth_years,
    domain_weights: dict[str, float] | None = None,
    unique: bool = True,
) -> np.ndarray:
    """Canonical lower-case e-mails such as ``ivanov.ivan85@mail.ru``.

    Inputs are Latin name stems (see :func:`simulator.translit.latin_email_stem`). The
    local-part pattern is drawn from :data:`EMAIL_PATTERNS`, the domain from
    ``domain_weights`` (default :data:`EMAIL_DOMAINS`). With ``unique`` (default) a mailbox
    already taken gets random digits appended, as a mail service would require.
    """
    sur = np.char.lower(np.asarray(surnames_latin).astype(str))
    first = np.char.lower(np.asarray(first_names_latin).astype(str))
    years = np.asarray(birth_years, dtype=np.int64)
    n = sur.size
    yyyy = years.astype("U4")
    yy = zfill((years % 100).astype("U2"), 2)
    nnn = rng.integers(1, 1000, n).astype("U3")
    f = np.strings.slice(first, 0, 1)
    parts = {"surname": sur, "first": first, "f": f, "{yy}": yy, "{yyyy}": yyyy, "{nnn}": nnn}
    token = re.compile(r"(surname|first|f|\{yy\}|\{yyyy\}|\{nnn\})")
    pats = list(EMAIL_PATTERNS)
    pick = _weighted_choice(rng, pats, list(EMAIL_PATTERNS.values()), n)
    built: list[tuple[np.ndarray, np.ndarray]] = []
    for k, pat in enumerate(pats):
        m = pick == k
        if not m.any():
            continue
        acc = np.full(int(m.sum()), "", dtype="<U1")
        for tok in token.split(pat):
            if tok:
                acc = np.strings.add(acc, parts[tok][m] if tok in parts else tok)
        built.append((m, acc))
    width = max([a.dtype.itemsize // 4 for _, a in built] + [1])
    local = np.empty(n, dtype=f"<U{width}")
    for m, acc in built:
        local[m] = acc
    # empty stems (should not happen) fall back to a surname-less pattern
    local = np.where(np.strings.str_len(sur) == 0, np.strings.add(first, yyyy), local)
    doms = domain_weights or EMAIL_DOMAINS
    dom_names = np.asarray(list(doms))
    domain = dom_names[_weighted_choice(rng, dom_names, list(doms.values()), n)]
    out = np.strings.add(np.strings.add(local, "@"), domain)
    if unique and n:
        dup = ~pl.Series(out).is_first_distinct().to_numpy()
        if dup.any():
            out = out.astype(f"<U{out.dtype.itemsize // 4 + 3}")
            taken = set(out.tolist())
            for i in np.flatnonzero(dup).tolist():
                while True:
                    cand = f"{local[i]}{int(rng.integers(1, 1000))}@{domain[i]}"
                    if cand not in taken:
                        break
                taken.add(cand)
                out[i] = cand
    return out


def _cyrillic_local(email: str, rng: np.random.Generator) -> str:
    local, _, domain = email.partition("@")
    positions = [i for i, ch in enumerate(local) if ch in _HOMOGLYPH_LATIN_TO_CYR]
    if positions and rng.random() < 0.5:  # one look-alike Cyrillic letter
        i = positions[int(rng.integers(0, len(positions)))]
        local = local[:i] + _HOMOGLYPH_LATIN_TO_CYR[local[i]] + local[i + 1 :]
    else:  # typed with the Russian keyboard layout on
        local = local.translate(_QWERTY_TO_JCUKEN)
    return f"{local}@{domain}"


def invalid_emails(rng: np.random.Generator, emails_, kinds=None) -> tuple[np.ndarray, np.ndarray]:
    """Defective spellings of canonical e-mails; returns ``(values, defect_types)``.

    Kinds (:data:`EMAIL_DEFECTS`, drawn uniformly unless ``kinds`` is given per row):
    ``missing_at`` (``@`` dropped or typed as ``.``), ``cyrillic_local`` (a Cyrillic
    look-alike letter, or the local part typed in the Russian layout: ``шмфтщм``),
    ``domain_typo`` (``mail.r``, ``gmial.com``, ``yandex.ry`` …), ``trailing_dot``,
    ``inner_space``.
    """
    arr = np.asarray(emails_).astype(str)
    n = arr.size
    if kinds is None:
        kinds = np.asarray(EMAIL_DEFECTS)[rng.integers(0, len(EMAIL_DEFECTS), n)]
    kinds = np.asarray(kinds).astype(str)
    unknown = set(np.unique(kinds).tolist()) - set(EMAIL_DEFECTS)
    if unknown:
        raise ValueError(f"unknown e-mail defects: {sorted(unknown)}")
    typos_by_domain: dict[str, list[str]] = {}
    for typo, dom in EMAIL_DOMAIN_TYPOS.items():
        typos_by_domain.setdefault(dom, []).append(typo)
    out = arr.astype(object)
    u = rng.random(n)
    for i in range(n):
        e = arr[i]
        kind = kinds[i]
        local, _, domain = e.partition("@")
        if kind == "missing_at":
            out[i] = local + ("." if u[i] < 0.3 else "") + domain
        elif kind == "cyrillic_local":
            out[i] = _cyrillic_local(e, rng)
        elif kind == "domain_typo":
            options = typos_by_domain.get(domain) or [domain[:-1]]
            out[i] = f"{local}@{options[int(u[i] * len(options))]}"
        elif kind == "trailing_dot":
            out[i] = e + "."
        elif kind == "inner_space":
            cut = int(rng.integers(1, len(local) + 1)) if local else 0
            out[i] = local[:cut] + " " + local[cut:] + "@" + domain
    return out.astype(str), kinds


# --------------------------------------------------------------------------------------------
# addresses

_STREET_ABBR = {
    "ул": "ул.",
    "пр-кт": "пр-кт",
    "пер": "пер.",
    "б-р": "б-р",
    "ш": "ш.",
    "наб": "наб.",
}
_STREET_WORD = {
    "ул.": "улица",
    "пр-кт": "проспект",
    "пер.": "переулок",
    "б-р": "бульвар",
    "ш.": "шоссе",
    "наб.": "набережная",
}
_STREET_SUFFIX = {
    "ул.": "ул",
    "пр-кт": "пр-кт",
    "пер.": "пер",
    "б-р": "б-р",
    "ш.": "ш",
    "наб.": "наб",
}
_FEDERAL_CITIES = frozenset({77, 78})

ADDRESS_PATTERN = (
    r"^(?:(?P<region>[^,]+), )?г\. (?P<city>[^,]+), "
    r"(?P<stype>ул\.|пр-кт|пер\.|б-р|ш\.|наб\.) (?P<street>[^,]+), "
    r"д\. (?P<house>[^,]+?)(?:, корп\. (?P<korp>[^,]+))?(?:, кв\. (?P<flat>\d+))?$"
)
"""Regex (named groups) of the canonical address produced by :func:`addresses`."""


@cache
def _streets() -> tuple[np.ndarray, np.ndarray]:
    rows = read_rows("streets")
    labels = np.array([f"{_STREET_ABBR[r['street_type']]} {r['street']}" for r in rows], dtype=str)
    w = np.array([float(r["weight"]) for r in rows])
    return labels, np.cumsum(w) / w.sum()


def addresses(rng: np.random.Generator, region_codes, city_idx=None) -> np.ndarray:
    """Canonical addresses ``г. Москва, ул. Ленина, д. 5, кв. 12`` in the given regions.

    Outside Moscow and St Petersburg the subject comes first
    (``Респ. Татарстан, г. Казань, ул. Мира, д. 17, корп. 2, кв. 104``). About 15 % of
    houses have a ``корп.``, 4 % a letter (``д. 7А``), and 8 % (3 % in the federal cities)
    are private houses without a flat.
    """
    codes = np.asarray(region_codes, dtype=np.int64)
    n = codes.size
    pos = _region_pos(codes)
    if city_idx is None:
        city_idx = sample_city_idx(rng, codes)
    city = city_names(city_idx)
    reg = _regions()["address_name"][pos]
    prefix = np.where(np.strings.str_len(reg) > 0, np.strings.add(reg, ", "), "")
    labels, cdf = _streets()
    street = labels[np.searchsorted(cdf, rng.random(n), side="right").clip(0, len(labels) - 1)]
    house_num = np.where(
        rng.random(n) < 0.7, rng.integers(1, 30, n), rng.integers(30, 200, n)
    ).astype("U3")
    letter = np.where(rng.random(n) < 0.04, np.asarray(["А", "Б"])[rng.integers(0, 2, n)], "")
    house = np.strings.add(house_num, letter)
    korp = np.where(
        rng.random(n) < 0.15, np.strings.add(", корп. ", rng.integers(1, 6, n).astype("U1")), ""
    )
    federal = np.isin(codes, list(_FEDERAL_CITIES))
    no_flat = rng.random(n) < np.where(federal, 0.03, 0.08)
    flat_num = np.minimum(rng.gamma(1.6, 60.0, n).astype(np.int64) + 1, 999).astype("U3")
    flat = np.where(no_flat, "", np.strings.add(", кв. ", flat_num))
    out = np.strings.add(prefix, "г. ")
    for piece in (city, ", ", street, ", д. ", house, korp, flat):
        out = np.strings.add(out, piece)
    return out


ADDRESS_STYLES: tuple[str, ...] = ("suffix_type", "upper", "compact", "full_words", "short")
"""Other spellings of a canonical address produced by :func:`reformat_addresses`."""


def reformat_addresses(
    rng: np.random.Generator, addresses_, style_weights: dict[str, float] | None = None
) -> np.ndarray:
    """The same addresses spelt as other systems do (one style per row):

    * ``suffix_type`` — ``Татарстан Респ, Казань г, Мира ул, 17к2-104``
    * ``upper`` — ``Г. МОСКВА, УЛ. ЛЕНИНА, Д. 5, КВ. 12``
    * ``compact`` — ``г.Москва, ул.Ленина, д.5 кв.12``
    * ``full_words`` — ``город Москва, улица Ленина, дом 5, квартира 12``
    * ``short`` — ``Москва, ул. Ленина, 5-12`` (subject dropped)

    Values that do not parse as canonical addresses are returned unchanged.
    """
    text = pl.Series("a", np.asarray(addresses_), dtype=pl.String)  # no fixed-width copy
    n = text.len()
    weights = style_weights or dict.fromkeys(ADDRESS_STYLES, 1.0)
    bad = [s for s in weights if s not in ADDRESS_STYLES]
    if bad:
        raise ValueError(f"unknown address styles: {bad}")
    styles = list(weights)
    pick = _weighted_choice(rng, styles, list(weights.values()), n)
    if n == 0:
        return text.to_numpy()
    reg = _regions()
    alt = dict(zip(reg["address_name"].tolist(), reg["address_name_alt"].tolist(), strict=True))
    alt.pop("", None)
    col = pl.col
    df = (
        pl.DataFrame({"a": text, "style": pick})
        .with_row_index("row")
        .lazy()
        .with_columns(col("a").str.extract_groups(ADDRESS_PATTERN).alias("p"))
        .unnest("p")
        .filter(col("city").is_not_null())
    )

    def opt(name: str, before: str, after: str = "") -> pl.Expr:
        return (
            pl.when(col(name).is_not_null())
            .then(pl.concat_str([pl.lit(before), col(name), pl.lit(after)]))
            .otherwise(pl.lit(""))
        )

    region_alt = col("region").replace_strict(alt, default=col("region"))
    exprs = {
        "suffix_type": pl.concat_str(
            [
                pl.when(col("region").is_not_null())
                .then(pl.concat_str([region_alt, pl.lit(", ")]))
                .otherwise(pl.lit("")),
                col("city"),
                pl.lit(" г, "),
                col("street"),
                pl.lit(" "),
                col("stype").replace_strict(_STREET_SUFFIX),
                pl.lit(", "),
                col("house"),
                opt("korp", "к"),
                opt("flat", "-"),
            ]
        ),
        "upper": col("a").str.to_uppercase(),
        "compact": pl.concat_str(
            [
                opt("region", "", ", "),
                pl.lit("г."),
                col("city"),
                pl.lit(", "),
                col("stype"),
                pl.when(col("stype").str.ends_with(".")).then(pl.lit("")).otherwise(pl.lit(" ")),
                col("street"),
                pl.lit(", д."),
                col("house"),
                opt("korp", " корп."),
                opt("flat", " кв."),
            ]
        ),
        "full_words": pl.concat_str(
            [
                opt("region", "", ", "),
                pl.lit("город "),
                col("city"),
                pl.lit(", "),
                col("stype").replace_strict(_STREET_WORD),
                pl.lit(" "),
                col("street"),
                pl.lit(", дом "),
                col("house"),
                opt("korp", ", корпус "),
                opt("flat", ", квартира "),
            ]
        ),
        "short": pl.concat_str(
            [
                col("city"),
                pl.lit(", "),
                col("stype"),
                pl.lit(" "),
                col("street"),
                pl.lit(", "),
                col("house"),
                opt("korp", "к"),
                opt("flat", "-"),
            ]
        ),
    }
    parts = [
        df.filter(col("style") == k).select("row", exprs[style].alias("v"))
        for k, style in enumerate(styles)
    ]
    res = pl.concat(parts).collect()
    return text.scatter(res["row"], res["v"]).to_numpy()


# --------------------------------------------------------------------------------------------
# passports


def passport_series(
    region_okato, issue_years, rng: np.random.Generator | None = None
) -> np.ndarray:
    """4-digit passport series: OKATO code of the issuing region + last 2 digits of the blank
    year. The blank year equals the issue year, or — with ``rng`` — lags it by one year for
    20 % and two years for 5 % of passports (blanks printed earlier). Russian passports exist
    since 1997, so earlier years are raised to 1997 (Soviet passports are not modelled).
    """
    okato = np.asarray(region_okato, dtype=np.int64)
    years = np.asarray(issue_years, dtype=np.int64)
    okato, years = np.broadcast_arrays(okato, years)
    if rng is not None:
        lag = np.searchsorted(np.array([0.75, 0.95]), rng.random(years.shape), side="right")
        years = years - lag
    years = np.maximum(years, 1997)
    return np.strings.add(zfill(okato.astype("U2"), 2), zfill((years % 100).astype("U2"), 2))


def passport_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """6-digit passport numbers (zero-padded strings)."""
    return zfill(rng.integers(1, 1_000_000, n).astype("U6"), 6)


def division_codes(region_codes, rng: np.random.Generator) -> np.ndarray:
    """Issuing-unit codes ``XXX-XXX``: subject code (2 digits, e.g. 77 → ``77x-xxx``), unit
    level (0 subject, 1 city, 2 district, 3 territorial point) and unit number.

    Note: real division codes begin with the *subject* code (Moscow ``770-001``), not the
    OKATO code used in passport series; pass the same codes as to :func:`addresses`.
    """
    codes = np.asarray(region_codes, dtype=np.int64)
    level = np.searchsorted(np.array([0.1, 0.3, 0.8]), rng.random(codes.shape), side="right")
    unit = rng.integers(1, 100, codes.shape)
    head = np.strings.add(zfill(codes.astype("U2"), 2), level.astype("U1"))
    return np.strings.add(np.strings.add(head, "-"), zfill(unit.astype("U3"), 3))
