"""Normalisation of person attributes into comparable keys, as Polars expressions.

One implementation serves the warehouse run and the resolver for outside files, so a partner
list is normalised exactly like the bank's own records. Every key is derived, never replacing
the delivered value: survivorship picks real values, matching compares keys.
"""

from __future__ import annotations

from functools import cache

import iuliia
import polars as pl

from ingestion.field_rules import email_is_valid, inn_is_valid, snils_is_valid

CYRILLIC = r"[А-ЯЁа-яё]"
LATIN_LOOKALIKES = "AaBCcEeHKkMOoPpTXxYy"
CYRILLIC_TWINS = "АаВСсЕеНКкМОоРрТХхУу"
"""Latin letters that look like Cyrillic ones: typed by mistake inside Cyrillic names."""
CYRILLIC_IN_EMAIL = "аеорсухкмтвн"
LATIN_IN_EMAIL = "aeopcyxkmtbh"
"""Cyrillic look-alikes typed into an e-mail's Latin local part (``smirnоv`` with Cyrillic о)."""

FOLD_RULES: tuple[tuple[str, str], ...] = (
    ("shch", "sh"),
    ("sch", "sh"),
    ("tch", "ch"),
    ("kh", "h"),
    ("x", "ks"),
    ("w", "v"),
    ("ck", "k"),
    ("q", "k"),
    ("t[sc]", "c"),
    ("[iyj]u", "u"),
    ("[iyj]a", "a"),
    ("[iyj]e", "e"),
    ("[yj]", "i"),
)
"""Latin spellings that differ between transliteration schemes (ICAO 9303, GOST 52535, MVD 310,
and people's own habits) folded to one form: Yuriy/Yurii/Iurii/Jurij → ``uri``,
Natal'ya/Natalia → ``natala``, Tsoi/Tcoi/Coi → ``coi``, Iwanow → ``ivanov``."""

GENDERED_ENDINGS: tuple[tuple[str, str], ...] = (
    (r"(ov|ev|in|yn)a$", "$1"),
    (r"(sk|ck|cк)[ai]$", "$1"),
)
"""Folded surname endings that differ between a man's and a woman's form (Иванов/Иванова,
Петровский/Петровская); stripped for the stem key only."""

PLACEHOLDER_DATES = ("1900-01-01", "0001-01-01", "1800-01-01")
PHONE_EXTENSION = r"(?i)(доб\.?|ext\.?|вн\.?)\s*\d+"
PHONE_SEPARATORS = r"[,;/]| или "
REPEATED_DIGITS = [digit * 10 for digit in "0123456789"]


@cache
def _icao(word: str) -> str:
    return iuliia.ICAO_DOC_9303.translate(word)


def clean_name(col: pl.Expr) -> pl.Expr:
    """Upper case, Ё→Е, Latin look-alikes inside Cyrillic repaired, dots and extra spaces gone."""
    text = col.str.strip_chars().str.replace_all(r"\s+", " ").str.replace_all(r"\.", "")
    repaired = (
        pl.when(text.str.contains(CYRILLIC))
        .then(text.str.replace_many(list(LATIN_LOOKALIKES), list(CYRILLIC_TWINS)))
        .otherwise(text)
    )
    upper = repaired.str.to_uppercase().str.replace_all("Ё", "Е").str.strip_chars()
    return pl.when(upper.str.len_chars() > 0).then(upper)


def latin(col: pl.Expr) -> pl.Expr:
    """Cyrillic transliterated by the current passport scheme (ICAO Doc 9303); Latin as is.
    Names repeat a lot: each distinct value is transliterated once."""
    return col.map_batches(_latin_series, return_dtype=pl.String)


def _latin_series(values: pl.Series) -> pl.Series:
    unique = values.drop_nulls().unique()
    mapping = pl.DataFrame(
        {"value": unique, "latin": [_icao(v) for v in unique]},
        schema={"value": pl.String, "latin": pl.String},
    )
    return values.to_frame("value").join(mapping, on="value", how="left", maintain_order="left")[
        "latin"
    ]


def fold(col: pl.Expr) -> pl.Expr:
    """Scheme-agnostic key of a Latin name: card names meet Cyrillic names transliterated."""
    text = col.str.to_lowercase().str.replace_all(r"[^a-z]", "")
    for pattern, replacement in FOLD_RULES:
        text = text.str.replace_all(pattern, replacement)
    for letter in "abcdefghiklmnoprstuvz":
        text = text.str.replace_all(f"{letter}{letter}+", letter)
    return pl.when(text.str.len_chars() > 0).then(text)


def surname_stem(folded: pl.Expr) -> pl.Expr:
    for pattern, replacement in GENDERED_ENDINGS:
        folded = folded.str.replace(pattern, replacement)
    return folded


def is_initial(cleaned: pl.Expr) -> pl.Expr:
    return cleaned.str.len_chars() == 1


def birth_date(col: pl.Expr) -> pl.Expr:
    """Placeholders for "unknown" (01.01.1900 and the like) are no birth date at all."""
    return pl.when(~col.cast(pl.String).is_in(PLACEHOLDER_DATES)).then(col)


def phones_e164(col: pl.Expr) -> pl.Expr:
    """Every phone in a free-text field as E.164: extensions dropped, several numbers split;
    8XXXXXXXXXX and bare 10 digits map to +7 (ten digits starting with the trunk prefix 8 are a
    number with a digit missing). Placeholders and wrong lengths give nothing."""
    pieces = (
        col.str.replace_all(PHONE_EXTENSION, "")
        .str.replace_all(PHONE_SEPARATORS, "|")
        .str.split("|")
        .list.eval(pl.element().str.replace_all(r"\D", ""))
    )
    return pieces.list.eval(_e164(pl.element())).list.drop_nulls().list.unique(maintain_order=True)


def _e164(digits: pl.Expr) -> pl.Expr:
    national = (
        pl.when((digits.str.len_chars() == 11) & digits.str.contains("^[78]"))
        .then(digits.str.slice(1))
        .when((digits.str.len_chars() == 10) & ~digits.str.starts_with("8"))
        .then(digits)
    )
    placeholder = national.is_in(REPEATED_DIGITS) | national.str.starts_with("000")
    return pl.when(national.is_not_null() & ~placeholder).then(pl.lit("+7") + national)


def email_canonical(col: pl.Expr) -> pl.Expr:
    """Lower case, spaces and trailing dots gone, Cyrillic look-alikes made Latin; dots and
    ``+tags`` removed for Gmail, which ignores them."""
    text = (
        col.str.to_lowercase()
        .str.replace_all(r"\s+", "")
        .str.strip_chars_end(".")
        .str.replace_many(list(CYRILLIC_IN_EMAIL), list(LATIN_IN_EMAIL))
    )
    local, domain = text.str.extract(r"^([^@]+)@", 1), text.str.extract(r"@(.+)$", 1)
    gmail = domain.is_in(["gmail.com", "googlemail.com"])
    local = (
        pl.when(gmail)
        .then(local.str.replace(r"\+.*$", "").str.replace_all(r"\.", ""))
        .otherwise(local)
    )
    domain = pl.when(gmail).then(pl.lit("gmail.com")).otherwise(domain)
    return pl.when(local.is_not_null() & domain.is_not_null()).then(local + "@" + domain)


def address_key(col: pl.Expr) -> pl.Expr:
    """Address as comparable words: lower case, punctuation and type words (обл., г., ул., д.,
    кв.) dropped, so the same flat written two ways gives one key."""
    words = (
        col.str.to_lowercase()
        .str.replace_all("ё", "е")
        .str.replace_all(r"[^\w]+", " ")
        .str.replace_all(r"\b(обл|область|г|город|ул|улица|д|дом|кв|квартира|корп|к|стр)\b", " ")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )
    return pl.when(words.str.len_chars() > 0).then(words)


def digits_only(col: pl.Expr) -> pl.Expr:
    text = col.cast(pl.String).str.replace_all(r"\D", "")
    return pl.when(text.str.len_chars() > 0).then(text)


def valid_only(values: pl.Series, rule) -> pl.Series:
    """Keep an identifier only where its check digits hold: an invalid one never matches."""
    present = values.is_not_null()
    ok = pl.Series([False] * len(values), dtype=pl.Boolean)
    if present.any():
        ok = ok.scatter(present.arg_true(), rule(values.filter(present)).fill_null(False))
    return values.zip_with(ok, pl.Series([None] * len(values), dtype=pl.String))


def valid_inn(values: pl.Series) -> pl.Series:
    return valid_only(values, inn_is_valid)


def valid_snils(values: pl.Series) -> pl.Series:
    return valid_only(values, snils_is_valid)


def valid_email(values: pl.Series) -> pl.Series:
    return valid_only(values, email_is_valid)
