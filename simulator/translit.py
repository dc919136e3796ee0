"""Cyrillic → Latin for card embossed names and e-mail local parts (via ``iuliia``).

Card names follow ISO/IEC 7813 track 1: upper-case ``A–Z``, space, ``-``, ``'`` and ``.``
only, at most 26 characters, given name first, no patronymic (``IVAN PETROV``).

Schemes by card issue date (the scheme of the passport the name was copied from):

* ``icao_doc_9303`` — since 2014 (Ц→TS, Ю→IU, Я→IA, Ъ→IE, Й→I);
* ``gost_52535`` — 2010–2014 (Ц→TC, Ю→IU, Я→IA, Ъ→—);
* ``mvd_310`` — before 2010 (Ю→YU, Й→Y, Ь→``'``, Ъ→``"``).

Embosser mapping of MVD-310 output: ``"`` (from Ъ) is not in the ISO 7813 character set and
is **dropped** (``Pod"yachev`` → ``PODYACHEV``); ``'`` (from Ь) is allowed and is **kept**
everywhere (``Natal'ya`` → ``NATAL'YA``). Any other character outside the set is dropped.

Too long names: ``FIRST SURNAME`` if it fits in 26, else ``F. SURNAME`` (initial with a
dot), and if that is still too long it is cut at 26 characters.
"""

from __future__ import annotations

import re
from functools import cache

import iuliia
import numpy as np

from simulator.names import map_unique

EMBOSS_SCHEMES: dict[str, iuliia.Schema] = {
    "icao_doc_9303": iuliia.ICAO_DOC_9303,
    "gost_52535": iuliia.GOST_52535,
    "mvd_310": iuliia.MVD_310,
}
EMBOSS_MAX_LEN = 26
EMBOSS_ALLOWED = re.compile(r"^[A-Z '\-.]*$")
"""Full-match pattern of a valid ISO 7813 name field (without the length limit)."""

_NOT_ALLOWED = re.compile(r"[^A-Z '\-.]")
_SPACES = re.compile(r"\s+")
_NOT_EMAIL = re.compile(r"[^a-z]")


@cache
def emboss_word(word: str, scheme: str) -> str:
    """One name part (first name or surname) in upper-case Latin for an embossed card."""
    schema = EMBOSS_SCHEMES[scheme]
    text = _SPACES.sub(" ", word).strip()
    latin = schema.translate(text).upper().replace('"', "")
    return _SPACES.sub(" ", _NOT_ALLOWED.sub("", latin)).strip()


def fit_embossed(first: str, surname: str) -> str:
    """Join the Latin parts into a ≤ 26-character ISO 7813 name."""
    full = f"{first} {surname}".strip()
    if len(full) <= EMBOSS_MAX_LEN:
        return full
    short = f"{first[0]}. {surname}" if first else surname
    return short[:EMBOSS_MAX_LEN].rstrip(" -'.")


def embossed_names(first_names, surnames, schemes) -> np.ndarray:
    """ISO 7813 card names (``IVAN PETROV``) by the given transliteration scheme per row.

    ``schemes`` is one scheme name or an array of names from :data:`EMBOSS_SCHEMES`.
    Transliteration is cached per distinct (name, scheme), so 1 M rows take seconds.
    """
    first = np.asarray(first_names).astype(str)
    last = np.asarray(surnames).astype(str)
    sch = np.broadcast_to(np.asarray(schemes).astype(str), first.shape)
    unknown = set(np.unique(sch).tolist()) - EMBOSS_SCHEMES.keys()
    if unknown:
        raise ValueError(f"unknown transliteration schemes: {sorted(unknown)}")
    out = np.empty(first.shape, dtype=f"<U{EMBOSS_MAX_LEN}")
    for scheme in EMBOSS_SCHEMES:
        m = sch == scheme
        if not m.any():
            continue
        f_lat = map_unique(first[m], lambda w, s=scheme: emboss_word(w, s))
        s_lat = map_unique(last[m], lambda w, s=scheme: emboss_word(w, s))
        joined = np.strings.strip(np.strings.add(np.strings.add(f_lat, " "), s_lat))
        too_long = np.strings.str_len(joined) > EMBOSS_MAX_LEN
        if too_long.any():
            idx = np.flatnonzero(too_long)
            joined = joined.astype(object)
            for i in idx.tolist():
                joined[i] = fit_embossed(str(f_lat[i]), str(s_lat[i]))
        out[m] = joined
    return out


@cache
def _email_word(word: str, scheme: str) -> str:
    schema = getattr(iuliia, scheme.upper())
    return _NOT_EMAIL.sub("", schema.translate(word.strip()).lower())


def latin_email_stem(names, scheme: str = "wikipedia") -> np.ndarray:
    """Lower-case ``a–z`` stem of each name for e-mail local parts (``Наталья`` → ``natalya``).

    ``scheme`` is any ``iuliia`` schema name (default the Wikipedia scheme, closest to how
    people spell their own mailbox names); apostrophes, hyphens and spaces are dropped.
    """
    return map_unique(names, lambda w: _email_word(w, scheme))
