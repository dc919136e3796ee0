"""Validity rules for contact details and identifiers, as the bank's data standard defines them.

A failing value is loaded as delivered and flagged in quarantine with the reason; matching and
contact policy downstream use these same rules, so "valid" means one thing everywhere.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from cdp.identifiers import inn_valid_mask, is_valid_ogrn, is_valid_ogrnip, snils_valid_mask

PHONE_FORMATTING = r"[\s()\-]"
RUSSIAN_MOBILE = r"^(?:\+?7|8)?9\d{9}$"
"""A Russian mobile number once spaces, brackets and dashes are gone: the only kind of number
the bank sends SMS to or calls a client on (landlines, foreign and two-number fields fail)."""
PLACEHOLDER_MOBILE = r"^(?:\+?7|8)?9{10}$"
EMAIL = r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}$"
POPULAR_EMAIL_DOMAINS = (
    "mail.ru",
    "yandex.ru",
    "gmail.com",
    "bk.ru",
    "list.ru",
    "inbox.ru",
    "rambler.ru",
    "ya.ru",
    "icloud.com",
    "outlook.com",
    "hotmail.com",
)
"""Domains most Russian retail clients use; a domain one or two edits away is a typo."""


def mobile_phone_is_valid(values: pl.Series) -> pl.Series:
    digits = values.str.replace_all(PHONE_FORMATTING, "")
    return digits.str.contains(RUSSIAN_MOBILE) & ~digits.str.contains(PLACEHOLDER_MOBILE)


def _edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        previous = current
    return previous[-1]


def _is_domain_typo(domain: str) -> bool:
    if domain in POPULAR_EMAIL_DOMAINS:
        return False
    return any(_edit_distance(domain, known) <= 2 for known in POPULAR_EMAIL_DOMAINS)


def email_is_valid(values: pl.Series) -> pl.Series:
    """Syntax of the address, and no near-miss of a popular domain (``gmial.com``)."""
    lowered = values.str.to_lowercase()
    domains = lowered.str.split("@").list.last()
    unique = domains.drop_nulls().unique()
    typos = unique.filter(pl.Series([_is_domain_typo(d) for d in unique], dtype=pl.Boolean))
    return values.str.contains(EMAIL) & ~domains.is_in(typos.implode())


def _mask_on_uniques(values: pl.Series, rule) -> pl.Series:
    """Apply a scalar rule once per distinct value: identifiers repeat little, but ОГРН are few."""
    unique = values.drop_nulls().unique()
    valid = unique.filter(pl.Series([bool(rule(v)) for v in unique], dtype=pl.Boolean))
    return values.is_in(valid.implode())


def inn_is_valid(values: pl.Series) -> pl.Series:
    return pl.Series(inn_valid_mask(values.fill_null("").to_numpy()), dtype=pl.Boolean)


def snils_is_valid(values: pl.Series) -> pl.Series:
    return pl.Series(snils_valid_mask(values.fill_null("").to_numpy()), dtype=pl.Boolean)


def ogrn_is_valid(values: pl.Series) -> pl.Series:
    return _mask_on_uniques(values, lambda v: is_valid_ogrn(v) or is_valid_ogrnip(v))


RULES = {
    "mobile_phone": (mobile_phone_is_valid, "invalid_phone"),
    "email": (email_is_valid, "invalid_email"),
    "inn": (inn_is_valid, "invalid_inn"),
    "snils": (snils_is_valid, "invalid_snils"),
    "ogrn": (ogrn_is_valid, "invalid_ogrn"),
}
"""Check name → (vectorised rule over non-null values, quarantine reason)."""


def failing(values: pl.Series, check: str) -> np.ndarray:
    """Positions of non-empty values that fail ``check``."""
    rule, _ = RULES[check]
    present = values.is_not_null().to_numpy()
    ok = np.ones(len(values), dtype=bool)
    if present.any():
        ok[present] = rule(values.filter(present)).fill_null(False).to_numpy()
    return np.flatnonzero(~ok)
