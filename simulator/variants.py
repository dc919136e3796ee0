"""Injected name defects with ground truth (source-systems reference, sections 1.6 and 2.3).

:func:`name_variants` rewrites the (surname, first name, patronymic) of each row by the
defect kind given for that row; :func:`sample_variant_kinds` draws kinds at a rate while
respecting where a kind can apply. The row's kind *is* the ground truth (``dq_truth``
``defect_type``); the changed field(s) are found by comparing with the input.

What each kind changes (and nothing else):

* ``none`` — nothing.
* ``yo_to_ye`` — every ``ё/Ё`` → ``е/Е`` in all three fields (rows without ``ё`` are left
  unchanged; :func:`sample_variant_kinds` assigns this kind only where there is an ``ё``).
* ``typo_adjacent_key`` — one letter of one field → a neighbouring key on the ЙЦУКЕН layout.
* ``doubled_letter`` — one letter of one field doubled (``Иваннов``).
* ``missing_letter`` — one letter (not the first) of one field dropped (``Ивнов``).
* ``latin_homoglyph`` — one or two Cyrillic letters of one field replaced by the visually
  identical Latin letter (upper case А В Е К М Н О Р С Т Х У, lower case а е о р с х у к;
  lower-case м т в н have no Latin twin and are never replaced).
* ``missing_patronymic`` — patronymic emptied.
* ``initials`` — first name and patronymic reduced to ``И.`` / ``П.`` (surname kept).
* ``swapped_order`` — surname and first name exchanged.
* ``all_caps`` — all three fields upper-cased.
* ``extra_spaces`` — leading/trailing spaces added to one or more fields (text unchanged).
* ``married_surname`` — surname replaced by the caller-supplied ``married_surnames`` value of
  that row (e.g. from :meth:`simulator.names.NameSampler.married_surnames`, already in the
  female form); required whenever this kind occurs.

Single-field kinds pick the surname (50 %), first name (30 %) or patronymic (20 %),
falling back to the surname where the chosen field is too short or has no eligible letter.
"""

from __future__ import annotations

import numpy as np

NAME_VARIANT_KINDS: tuple[str, ...] = (
    "none",
    "yo_to_ye",
    "typo_adjacent_key",
    "doubled_letter",
    "missing_letter",
    "latin_homoglyph",
    "missing_patronymic",
    "initials",
    "swapped_order",
    "all_caps",
    "extra_spaces",
    "married_surname",
)

DEFAULT_KIND_WEIGHTS: dict[str, float] = {
    "yo_to_ye": 0.12,
    "typo_adjacent_key": 0.12,
    "doubled_letter": 0.06,
    "missing_letter": 0.08,
    "latin_homoglyph": 0.08,
    "missing_patronymic": 0.10,
    "initials": 0.08,
    "swapped_order": 0.06,
    "all_caps": 0.12,
    "extra_spaces": 0.08,
    "married_surname": 0.10,
}
"""Relative frequency of each defect kind among defective rows (before applicability)."""

_LAYOUT_ROWS = ("йцукенгшщзхъ", "фывапролджэ", "ячсмитьбю")
_ROW_OFFSET = (0.0, 0.25, 0.75)


def _build_neighbours() -> dict[str, str]:
    pos = {
        ch: (r, c + _ROW_OFFSET[r])
        for r, row in enumerate(_LAYOUT_ROWS)
        for c, ch in enumerate(row)
    }
    out: dict[str, str] = {}
    for ch, (r, x) in pos.items():
        near = [
            other
            for other, (r2, x2) in pos.items()
            if other != ch and abs(r2 - r) <= 1 and abs(x2 - x) <= 1.0
        ]
        out[ch] = "".join(near)
        out[ch.upper()] = "".join(near).upper()
    out["ё"], out["Ё"] = out["е"], out["Е"]
    return out


ADJACENT_KEYS: dict[str, str] = _build_neighbours()
"""Neighbouring keys of each Cyrillic letter on the ЙЦУКЕН keyboard (same case)."""

HOMOGLYPHS: dict[str, str] = {
    "А": "A",
    "В": "B",
    "Е": "E",
    "К": "K",
    "М": "M",
    "Н": "H",
    "О": "O",
    "Р": "P",
    "С": "C",
    "Т": "T",
    "Х": "X",
    "У": "Y",
    "а": "a",
    "е": "e",
    "о": "o",
    "р": "p",
    "с": "c",
    "х": "x",
    "у": "y",
    "к": "k",
}
"""Cyrillic letter → visually identical Latin letter."""

_FIELD_P = np.array([0.5, 0.8, 1.0])
_CONDITIONAL = frozenset(
    {"yo_to_ye", "missing_patronymic", "initials", "married_surname"}
)  # cumulative: surname, first name, patronymic


def _has_yo(*fields: np.ndarray) -> np.ndarray:
    out = np.zeros(fields[0].shape, dtype=bool)
    for f in fields:
        out |= (np.strings.find(f, "ё") >= 0) | (np.strings.find(f, "Ё") >= 0)
    return out


def sample_variant_kinds(
    rng: np.random.Generator,
    surnames,
    first_names,
    patronymics,
    rate: float,
    weights: dict[str, float] | None = None,
    is_male=None,
) -> np.ndarray:
    """Defect kind per row: ``none`` for ``1 - rate`` of rows, else a kind by ``weights``.

    Kinds are only given where they can apply: ``yo_to_ye`` where a field has ``ё``,
    ``missing_patronymic``/``initials`` where there is a patronymic/first name, and
    ``married_surname`` only to women (``is_male`` False; never when ``is_male`` is None).
    Rows that drew an inapplicable kind draw again among the always-applicable ones.
    """
    s = np.asarray(surnames).astype(str)
    f = np.asarray(first_names).astype(str)
    p = np.asarray(patronymics).astype(str)
    n = s.size
    w = dict(weights or DEFAULT_KIND_WEIGHTS)
    unknown = set(w) - set(NAME_VARIANT_KINDS)
    if unknown:
        raise ValueError(f"unknown name variant kinds: {sorted(unknown)}")
    w.pop("none", None)
    names = np.asarray(list(w))
    probs = np.asarray(list(w.values()), dtype=float)
    probs = probs / probs.sum()
    defect = rng.random(n) < rate
    kinds = np.full(n, "none", dtype="<U20")
    kinds[defect] = names[rng.choice(len(names), size=int(defect.sum()), p=probs)]
    female = np.zeros(n, dtype=bool) if is_male is None else ~np.asarray(is_male, dtype=bool)
    bad = (
        ((kinds == "yo_to_ye") & ~_has_yo(s, f, p))
        | ((kinds == "missing_patronymic") & (np.strings.str_len(p) == 0))
        | ((kinds == "initials") & (np.strings.str_len(f) == 0))
        | ((kinds == "married_surname") & ~female)
    )
    if bad.any():
        generic = [k for k in names.tolist() if k not in _CONDITIONAL]
        if not generic:
            kinds[bad] = "none"
        else:
            gp = np.asarray([w[k] for k in generic], dtype=float)
            kinds[bad] = np.asarray(generic)[
                rng.choice(len(generic), size=int(bad.sum()), p=gp / gp.sum())
            ]
    return kinds


# --------------------------------------------------------------------------------------------
# per-string edits (applied to the rows of one kind only)


def _letter_positions(word: str, start: int = 1) -> list[int]:
    return [i for i in range(start, len(word)) if word[i].isalpha()]


def _typo_adjacent(word: str, rng: np.random.Generator) -> str | None:
    pos = [i for i in _letter_positions(word) if word[i] in ADJACENT_KEYS]
    if not pos:
        return None
    i = pos[int(rng.integers(0, len(pos)))]
    near = ADJACENT_KEYS[word[i]]
    return word[:i] + near[int(rng.integers(0, len(near)))] + word[i + 1 :]


def _double(word: str, rng: np.random.Generator) -> str | None:
    pos = _letter_positions(word, start=0)
    if len(word) < 2 or not pos:
        return None
    i = pos[int(rng.integers(0, len(pos)))]
    return word[: i + 1] + word[i] + word[i + 1 :]


def _drop(word: str, rng: np.random.Generator) -> str | None:
    pos = _letter_positions(word)
    if len(word) < 3 or not pos:
        return None
    i = pos[int(rng.integers(0, len(pos)))]
    return word[:i] + word[i + 1 :]


def _homoglyph(word: str, rng: np.random.Generator) -> str | None:
    pos = [i for i, ch in enumerate(word) if ch in HOMOGLYPHS]
    if not pos:
        return None
    k = 2 if len(pos) > 1 and rng.random() < 0.2 else 1
    chosen = set(rng.choice(pos, size=k, replace=False).tolist())
    return "".join(HOMOGLYPHS[ch] if i in chosen else ch for i, ch in enumerate(word))


_EDITS = {
    "typo_adjacent_key": _typo_adjacent,
    "doubled_letter": _double,
    "missing_letter": _drop,
    "latin_homoglyph": _homoglyph,
}


def _set(arr: np.ndarray, idx: np.ndarray, values) -> np.ndarray:
    vals = np.asarray(values).astype(str)
    width = max(arr.dtype.itemsize, vals.dtype.itemsize) // 4
    out = arr if arr.dtype.itemsize // 4 >= width else arr.astype(f"<U{max(width, 1)}")
    out[idx] = vals
    return out


def name_variants(
    rng: np.random.Generator,
    surnames,
    first_names,
    patronymics,
    kinds,
    married_surnames=None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Apply the name defect ``kinds[i]`` (from :data:`NAME_VARIANT_KINDS`) to row ``i``.

    Returns new (surnames, first_names, patronymics) arrays; inputs are not modified.
    ``married_surnames`` (aligned with the rows) is required when any row has
    ``married_surname``.
    """
    s = np.array(surnames).astype(str)
    f = np.array(first_names).astype(str)
    p = np.array(patronymics).astype(str)
    k = np.asarray(kinds).astype(str)
    if not (s.shape == f.shape == p.shape == k.shape):
        raise ValueError("surnames, first_names, patronymics and kinds must align")
    unknown = set(np.unique(k).tolist()) - set(NAME_VARIANT_KINDS)
    if unknown:
        raise ValueError(f"unknown name variant kinds: {sorted(unknown)}")

    idx = np.flatnonzero(k == "yo_to_ye")
    if idx.size:
        for name in ("s", "f", "p"):
            arr = {"s": s, "f": f, "p": p}[name]
            arr[idx] = np.strings.replace(np.strings.replace(arr[idx], "ё", "е"), "Ё", "Е")

    for kind, edit in _EDITS.items():
        idx = np.flatnonzero(k == kind)
        if not idx.size:
            continue
        field_draw = np.searchsorted(_FIELD_P, rng.random(idx.size), side="right")
        new = {0: ([], []), 1: ([], []), 2: ([], [])}
        for row, fd in zip(idx.tolist(), field_draw.tolist(), strict=True):
            fields = (str(s[row]), str(f[row]), str(p[row]))
            order = [fd, 0, 1, 2]
            for choice in order:
                changed = edit(fields[choice], rng)
                if changed is not None and changed != fields[choice]:
                    new[choice][0].append(row)
                    new[choice][1].append(changed)
                    break
        if new[0][0]:
            s = _set(s, np.asarray(new[0][0]), new[0][1])
        if new[1][0]:
            f = _set(f, np.asarray(new[1][0]), new[1][1])
        if new[2][0]:
            p = _set(p, np.asarray(new[2][0]), new[2][1])

    idx = np.flatnonzero(k == "missing_patronymic")
    p[idx] = ""

    idx = np.flatnonzero(k == "initials")
    if idx.size:
        fi = np.strings.slice(f[idx], 0, 1)
        f = _set(f, idx, np.where(np.strings.str_len(fi) > 0, np.strings.add(fi, "."), ""))
        pi = np.strings.slice(p[idx], 0, 1)
        p = _set(p, idx, np.where(np.strings.str_len(pi) > 0, np.strings.add(pi, "."), ""))

    idx = np.flatnonzero(k == "swapped_order")
    if idx.size:
        old_s = s[idx].copy()
        s = _set(s, idx, f[idx])
        f = _set(f, idx, old_s)

    idx = np.flatnonzero(k == "all_caps")
    if idx.size:
        s[idx] = np.strings.upper(s[idx])
        f[idx] = np.strings.upper(f[idx])
        p[idx] = np.strings.upper(p[idx])

    idx = np.flatnonzero(k == "extra_spaces")
    if idx.size:
        pads = np.asarray(["", " ", "  "])
        # per field: 0 unchanged, 1 leading, 2 trailing, 3 both
        mode = rng.integers(0, 4, (3, idx.size))
        mode[0, (mode == 0).all(axis=0)] = 2  # at least the surname changes
        width = rng.integers(1, 3, (3, idx.size))
        arrays = [s, f, p]
        for j in range(3):
            vals = arrays[j][idx]
            empty = np.strings.str_len(vals) == 0
            lead = np.where((mode[j] % 2 == 1) & ~empty, pads[width[j]], "")
            trail = np.where((mode[j] >= 2) & ~empty, pads[width[j]], "")
            arrays[j] = _set(arrays[j], idx, np.strings.add(np.strings.add(lead, vals), trail))
        s, f, p = arrays
        # a row whose surname is empty gets a trailing space in the first name instead
        still = idx[np.strings.str_len(s[idx]) == 0]
        if still.size:
            f = _set(f, still, np.strings.add(f[still], " "))

    idx = np.flatnonzero(k == "married_surname")
    if idx.size:
        if married_surnames is None:
            raise ValueError("married_surname rows need married_surnames")
        ms = np.asarray(married_surnames).astype(str)
        if ms.shape != s.shape:
            raise ValueError("married_surnames must align with the rows")
        s = _set(s, idx, ms[idx])

    return s, f, p
