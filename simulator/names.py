"""Realistic Russian person names, sampled vectorised with numpy.

* First names follow hand-set weights **by birth decade** per sex and name group
  (``simulator/reference/first_names.csv``), plus a thin tail of rare names from the
  ``russian-names`` lists.
* The name group (Slavic / Tatar-Bashkir / Caucasian / Central-Asian) of a person is drawn
  from the per-region shares in ``regions.csv`` (about 12 % non-Slavic nationally).
* Surnames follow a Zipf-Mandelbrot law: a hand-ranked head (``surnames.csv``) continued by
  the ``russian-names`` long tail of 84 k male surnames. Female forms are derived by rule.
* Patronymics are derived from a father's first name sampled for the father's birth decade.

Everything takes a ``numpy.random.Generator``; the same seed gives identical arrays.
Arrays of names are returned as numpy unicode (``<U``) arrays.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from simulator.reference import read_rows

GROUPS: tuple[str, ...] = ("slavic", "tatar_bashkir", "caucasian", "central_asian")
"""Name groups; a person's group code is the index into this tuple."""

DECADES = np.arange(1900, 2020, 10)
"""Birth decades of the first-name weight columns (``d1900`` … ``d2010``)."""

RARE_FIRST_NAME_SHARE = 0.004
"""Share of Slavic-group persons given a rare name from the russian-names lists."""

SURNAME_ZM_OFFSET = 10
"""Offset K of the Zipf-Mandelbrot law ``w(r) ∝ 1 / (r + K)`` continuing the surname head."""

_TAIL_SEED = 7813  # fixed: the order of the long tail is part of the reference data
_TATAR_TAIL = re.compile(
    r"(улл[иа]н|улл[оа]в|[еиу]тдинов|^Габд|^Гайн|^Гали|^Гарип|^Гильм|^Закир|^Зарип|^Исмаг"
    r"|^Мухамет|^Нигм|^Сафи|^Файз|^Фахр|^Хабиб|^Хайр|^Хусаин|^Шайх|^Шакир|^Ахмет|^Валиул)"
)
_MUSLIM_TAIL = re.compile(
    r"(^Магомед|^Гаджи|^Абдул|^Абдур|^Гасан|^Гусейн|^Рамазан|^Курбан|^Омар|^Мурад|^Исмаил"
    r"|^Юсуп|^Султан|^Рахим|^Карим|^Рашид|^Мансур|^Хамид|^Салих|^Хаким|^Мирз|^Хасан|^Тагир"
    r"|^Азиз|^Ахмад|^Ибраг|^Камал|^Нури|^Сабир|^Садык|^Алиев|^Алих|^Гамзат|^Джабр|^Исаев)"
)
_VOWELS = frozenset("аеёиоуыэюя")


# --------------------------------------------------------------------------------------------
# helpers


def _as_str_array(values) -> np.ndarray:
    arr = np.asarray(values)
    if arr.dtype.kind != "U":
        arr = arr.astype(str)
    return arr


def map_unique(values, func: Callable[[str], str]) -> np.ndarray:
    """Apply a per-string Python function once per distinct value, vectorised back."""
    arr = _as_str_array(values)
    if arr.size == 0:
        return arr.copy()
    uniq, inverse = np.unique(arr, return_inverse=True)
    mapped = np.array([func(u) for u in uniq.tolist()], dtype=str)
    return mapped[inverse.reshape(arr.shape)]


def _fold_yo(s: str) -> str:
    return s.replace("ё", "е").replace("Ё", "Е")


@cache
def _russian_names_lists() -> tuple[list[str], ...]:
    """The ten space-separated lists of the russian-names package, read from its zip."""
    import russian_names  # imported lazily: the package reads its zip at import

    path = Path(russian_names.__file__).resolve().parent / "_data.zip"
    with zipfile.ZipFile(path) as zf:
        text = zf.read("base.txt").decode("utf-8")
    return tuple(line.split(" ") for line in text.splitlines())


# --------------------------------------------------------------------------------------------
# surnames


def _feminine_surname(surname: str) -> str:
    """Female form of a (male / base form) surname; invariant surnames come back unchanged."""
    if not surname:
        return surname
    if "-" in surname:
        return "-".join(_feminine_surname(part) for part in surname.split("-"))
    low = surname.lower()
    if len(low) <= 3:  # Ким, Пак, Цой, Ли, Тен: invariant
        out = surname
    elif low.endswith(("ский", "цкий", "ской", "цкой", "ый", "ий", "ой")):
        out = surname[:-2] + "ая"  # Достоевский→Достоевская, Толстой→Толстая, Заболотный→…ая
    elif low.endswith(("ов", "ев", "ёв", "ин", "ын")):
        out = surname + "а"
    else:  # -ко, -енко, -их/-ых, -ук/-юк, -ич, -ец, -ян, -дзе, -швили, -ия, -о, consonants
        out = surname
    return out.upper() if surname.isupper() else out


def gendered_surname(surnames, is_male) -> np.ndarray:
    """Surnames in the grammatical gender of the bearer (vectorised).

    ``surnames`` are base (male) forms such as a husband's or father's surname:
    -ов/-ев/-ёв/-ин/-ын → +а; -ский/-цкий/-ской/-цкой/-ый/-ий/-ой → -ая; everything else
    (-ко, -их/-ых, -о, -ук/-юк, -ич, -ец, -ян, -швили, -дзе, Ким …) is invariant.
    Hyphenated surnames are declined part by part. Rows with ``is_male`` are returned as given.
    """
    arr = _as_str_array(surnames)
    male = np.broadcast_to(np.asarray(is_male, dtype=bool), arr.shape)
    if arr.size == 0 or male.all():
        return arr.copy()
    female = map_unique(arr[~male], _feminine_surname)
    out = arr.astype(f"<U{max(arr.dtype.itemsize // 4, female.dtype.itemsize // 4, 1)}")
    out[~male] = female
    return out


# --------------------------------------------------------------------------------------------
# patronymics


@cache
def _patronymic_exceptions() -> dict[str, tuple[str, str]]:
    return {r["name"]: (r["male"], r["female"]) for r in read_rows("patronymic_exceptions")}


def patronymic_pair(father_name: str) -> tuple[str, str]:
    """(male, female) patronymic formed from a father's first name.

    Exceptions table first (Илья→Ильич/Ильинична, Лев→Львович, Павел→Павлович, Пётр→Петрович,
    Михаил→Михайлович, Яков→Яковлевич, Кузьма→Кузьмич/Кузьминична …), then the rules:
    -ей/-ай/-ой → -еевич (Сергеевич, Николаевич); -ий → -ьевич (Юрьевич), but -иевич after
    two consonants or г/к/х (Дмитриевич, Георгиевич); -ь → -евич (Игоревич, Рамилевич);
    -а/-я → -ич/-ична (Никитич/Никитична); other vowels → +евич (Алиевич); ж/ш/ч/щ/ц → +евич;
    other consonants → +ович/+овна.
    """
    name = father_name.strip()
    if not name:
        return "", ""
    exc = _patronymic_exceptions()
    if name in exc:
        return exc[name]
    folded = _fold_yo(name)
    if folded in exc:
        return exc[folded]
    low = name.lower()
    last = low[-1]
    if low.endswith("ий"):
        base = name[:-2]
        b = base.lower()
        two_consonants = (
            len(b) >= 2 and b[-1] not in _VOWELS and b[-2] not in _VOWELS and b[-2:] != "нт"
        )
        # Дмитрий→Дмитриевич, Георгий→Георгиевич; else Юрий→Юрьевич, Леонтий→Леонтьевич
        soft_i = two_consonants or (bool(b) and (b[-1] in "гкх" or b[-1] in _VOWELS))
        stem = base + ("и" if soft_i else "ь")
        return stem + "евич", stem + "евна"
    if last == "й":
        stem = name[:-1]
        return stem + "евич", stem + "евна"
    if last == "ь":
        stem = name[:-1]
        return stem + "евич", stem + "евна"
    if last in "ая":
        stem = name[:-1]
        return stem + "ич", stem + "ична"
    if last in _VOWELS:
        return name + "евич", name + "евна"
    if last in "жшчщц":
        return name + "евич", name + "евна"
    return name + "ович", name + "овна"


def patronymics_from(father_first_names, is_male) -> np.ndarray:
    """Patronymics (отчества) of children of the given fathers, in the child's gender."""
    fathers = _as_str_array(father_first_names)
    male = np.broadcast_to(np.asarray(is_male, dtype=bool), fathers.shape)
    if fathers.size == 0:
        return fathers.copy()
    uniq, inverse = np.unique(fathers, return_inverse=True)
    pairs = [patronymic_pair(u) for u in uniq.tolist()]
    males = np.array([p[0] for p in pairs], dtype=str)
    females = np.array([p[1] for p in pairs], dtype=str)
    inverse = inverse.reshape(fathers.shape)
    return np.where(male, males[inverse], females[inverse])


# --------------------------------------------------------------------------------------------
# diminutives


@cache
def _diminutive_table() -> dict[str, tuple[tuple[str, ...], np.ndarray]]:
    table: dict[str, tuple[list[str], list[float]]] = {}
    for r in read_rows("diminutives"):
        names, weights = table.setdefault(r["name"], ([], []))
        names.append(r["diminutive"])
        weights.append(float(r["weight"]))
    out = {}
    for name, (dims, weights) in table.items():
        w = np.asarray(weights, dtype=float)
        out[name] = (tuple(dims), np.cumsum(w) / w.sum())
        folded = _fold_yo(name)
        if folded != name:
            out.setdefault(folded, out[name])
    return out


def diminutives(first_names, rng: np.random.Generator) -> np.ndarray:
    """Informal form of each first name (Александр→Саша/Шура, Наталья→Наташа …).

    Where the table has several forms one is drawn by weight; names without a diminutive
    come back unchanged.
    """
    arr = _as_str_array(first_names)
    u = rng.random(arr.shape)
    if arr.size == 0:
        return arr.copy()
    table = _diminutive_table()
    uniq, inverse = np.unique(arr, return_inverse=True)
    inverse = inverse.reshape(arr.shape)
    # one global cumulative table: options of distinct name k live in (k, k + 1]
    cum: list[float] = []
    labels: list[str] = []
    has = np.zeros(len(uniq), dtype=bool)
    for k, name in enumerate(uniq.tolist()):
        if name in table:
            dims, cw = table[name]
            has[k] = True
            cum.extend((k + cw).tolist())
            labels.extend(dims)
    if not labels:
        return arr.copy()
    cum_arr = np.asarray(cum)
    label_arr = np.array(labels, dtype=str)
    pos = np.searchsorted(cum_arr, inverse + u, side="left")
    pos = np.minimum(pos, len(label_arr) - 1)
    width = max(arr.dtype.itemsize, label_arr.dtype.itemsize) // 4
    return np.where(has[inverse], label_arr[pos], arr).astype(f"<U{width}")


# --------------------------------------------------------------------------------------------
# sampler


@dataclass(frozen=True)
class SampledNames:
    """Full result of :meth:`NameSampler.sample_detailed`."""

    surnames: np.ndarray
    first_names: np.ndarray
    patronymics: np.ndarray
    father_first_names: np.ndarray
    groups: np.ndarray  # int8 index into GROUPS
    surname_base: np.ndarray  # male / base form of the surname (the father's surname)


class NameSampler:
    """Loads the reference lists once and samples names for many persons at a time."""

    def __init__(self) -> None:
        self._load_first_names()
        self._load_surnames()
        self._load_regions()

    # -- loading ---------------------------------------------------------------------------

    def _load_first_names(self) -> None:
        rows = read_rows("first_names")
        cols = [f"d{d}" for d in DECADES]
        lists = _russian_names_lists()
        rare = {"M": lists[1] + lists[0], "F": lists[6] + lists[5]}
        names: list[str] = []
        # cell (sex, group) -> (offset into names, cdf per decade [n_dec, n_names])
        self._fn_cells: dict[tuple[int, int], tuple[int, np.ndarray]] = {}
        for sex_i, sex in enumerate(("F", "M")):
            for g_i, group in enumerate(GROUPS):
                sel = [r for r in rows if r["sex"] == sex and r["group"] == group]
                cell_names = [r["name"] for r in sel]
                weights = np.array([[float(r[c]) for c in cols] for r in sel], dtype=float)
                if group == "slavic":
                    known = {_fold_yo(n) for n in cell_names}
                    extra = []
                    for n in rare[sex]:
                        if _fold_yo(n) not in known and n.isalpha():
                            known.add(_fold_yo(n))
                            extra.append(n)
                    per_decade = weights.sum(axis=0) * RARE_FIRST_NAME_SHARE
                    extra_w = np.tile(per_decade / max(len(extra), 1), (len(extra), 1))
                    cell_names += extra
                    weights = np.vstack([weights, extra_w])
                cdf = np.cumsum(weights, axis=0) / weights.sum(axis=0)
                cdf[-1, :] = 1.0
                self._fn_cells[(sex_i, g_i)] = (len(names), np.ascontiguousarray(cdf.T))
                names.extend(cell_names)
        self.first_name_table = np.array(names, dtype=str)
        pairs = [patronymic_pair(n) for n in names]
        self._patr_male = np.array([p[0] for p in pairs], dtype=str)
        self._patr_female = np.array([p[1] for p in pairs], dtype=str)

    def _load_surnames(self) -> None:
        head_rows = read_rows("surnames")
        tail_all = _russian_names_lists()[4]
        head_folded = {_fold_yo(r["surname"]) for r in head_rows}
        tail = [s for s in tail_all if _fold_yo(s) not in head_folded]
        plain = [s for s in tail if not s.endswith(("ский", "цкий"))]
        tatar_tail = [s for s in plain if _TATAR_TAIL.search(s)]
        muslim_tail = [s for s in plain if _MUSLIM_TAIL.search(s) and not _TATAR_TAIL.search(s)]
        ethnic = set(tatar_tail) | set(muslim_tail)
        slavic_tail = [s for s in tail if s not in ethnic]
        perm_rng = np.random.default_rng(_TAIL_SEED)
        tails = {
            name: [lst[i] for i in perm_rng.permutation(len(lst))]
            for name, lst in (
                ("slavic", slavic_tail),
                ("tatar", tatar_tail),
                ("muslim", muslim_tail),
            )
        }
        tail_of = {
            "slavic": "slavic",
            "tatar_bashkir": "tatar",
            "caucasian": "muslim",
            "central_asian": "muslim",
        }
        self._sn_cdf: list[np.ndarray] = []
        self._sn_offset: list[int] = []
        table: list[str] = []
        for group in GROUPS:
            head = [r for r in head_rows if r["group"] == group]
            head_names = [r["surname"] for r in head]
            head_w = np.array([float(r["per_100k"]) for r in head], dtype=float)
            tail_names = tails[tail_of[group]]
            ranks = np.arange(len(head) + 1, len(head) + len(tail_names) + 1, dtype=float)
            tail_w = 1.0 / (ranks + SURNAME_ZM_OFFSET)
            tail_w *= max(100_000.0 - head_w.sum(), 0.0) / tail_w.sum()
            w = np.concatenate([head_w, tail_w])
            cdf = np.cumsum(w) / w.sum()
            cdf[-1] = 1.0
            self._sn_offset.append(len(table))
            self._sn_cdf.append(cdf)
            table.extend(head_names)
            table.extend(tail_names)
        self.surname_table = np.array(table, dtype=str)
        self._surname_female = np.array([_feminine_surname(s) for s in table], dtype=str)

    def _load_regions(self) -> None:
        shares = np.tile(np.array([0.01, 0.01, 0.015]), (100, 1))
        for r in read_rows("regions"):
            code = int(r["region_code"])
            shares[code] = [float(r[g]) for g in GROUPS[1:]]
        self._region_cum = np.cumsum(shares, axis=1)

    # -- sampling --------------------------------------------------------------------------

    def sample_groups(self, rng: np.random.Generator, region_codes) -> np.ndarray:
        """Name group (int8 index into :data:`GROUPS`) of each person by region shares."""
        codes = np.clip(np.asarray(region_codes, dtype=np.int64), 0, 99)
        u = rng.random(codes.shape)
        cum = self._region_cum[codes]
        group = (u[..., None] >= cum).sum(axis=-1)  # 0 if u < share_1, …
        # u >= all cumulative shares → slavic (0); otherwise index of first share exceeded + 1
        return np.where(group == 3, 0, group + 1).astype(np.int8)

    def _first_name_idx(
        self, rng: np.random.Generator, is_male: np.ndarray, years: np.ndarray, groups
    ) -> np.ndarray:
        n = is_male.shape[0]
        jitter = rng.uniform(-5.0, 5.0, n)
        dec = np.clip(((years + jitter - DECADES[0]) // 10).astype(np.int64), 0, len(DECADES) - 1)
        u = rng.random(n)
        cell = is_male.astype(np.int64) * len(GROUPS) + groups.astype(np.int64)
        key = cell * len(DECADES) + dec
        order = np.argsort(key, kind="stable")
        sorted_key = key[order]
        bounds = np.searchsorted(sorted_key, np.arange(2 * len(GROUPS) * len(DECADES) + 1))
        out = np.empty(n, dtype=np.int64)
        for k in range(len(bounds) - 1):
            lo, hi = bounds[k], bounds[k + 1]
            if lo == hi:
                continue
            c, d = divmod(k, len(DECADES))
            sex_i, g_i = divmod(c, len(GROUPS))
            offset, cdf = self._fn_cells[(sex_i, g_i)]
            rows = order[lo:hi]
            out[rows] = offset + np.searchsorted(cdf[d], u[rows], side="right")
        return out

    def _surname_idx(self, rng: np.random.Generator, groups: np.ndarray) -> np.ndarray:
        u = rng.random(groups.shape[0])
        out = np.empty(groups.shape[0], dtype=np.int64)
        for g in range(len(GROUPS)):
            m = groups == g
            if m.any():
                idx = np.searchsorted(self._sn_cdf[g], u[m], side="right")
                out[m] = self._sn_offset[g] + np.minimum(idx, len(self._sn_cdf[g]) - 1)
        return out

    def sample_detailed(
        self,
        rng: np.random.Generator,
        is_male,
        birth_years,
        region_codes,
        groups=None,
    ) -> SampledNames:
        """Sample names and keep the father's first name, group and base surname too."""
        male = np.asarray(is_male, dtype=bool).ravel()
        years = np.asarray(birth_years, dtype=np.float64).ravel()
        if groups is None:
            grp = self.sample_groups(rng, np.asarray(region_codes).ravel())
        else:
            grp = np.asarray(groups, dtype=np.int8).ravel()
        first_idx = self._first_name_idx(rng, male, years, grp)
        father_age = np.clip(rng.normal(29.0, 5.5, male.shape[0]), 18.0, 60.0)
        father_idx = self._first_name_idx(rng, np.ones_like(male), years - father_age, grp)
        sn_idx = self._surname_idx(rng, grp)
        surnames = np.where(male, self.surname_table[sn_idx], self._surname_female[sn_idx])
        patronymics = np.where(male, self._patr_male[father_idx], self._patr_female[father_idx])
        return SampledNames(
            surnames=surnames,
            first_names=self.first_name_table[first_idx],
            patronymics=patronymics,
            father_first_names=self.first_name_table[father_idx],
            groups=grp,
            surname_base=self.surname_table[sn_idx],
        )

    def sample(
        self, rng: np.random.Generator, is_male, birth_years, region_codes
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(surnames, first_names, patronymics) for persons of the given sex, year, region."""
        s = self.sample_detailed(rng, is_male, birth_years, region_codes)
        return s.surnames, s.first_names, s.patronymics

    def sample_surnames(
        self, rng: np.random.Generator, is_male, region_codes=None, groups=None
    ) -> np.ndarray:
        """Surnames only (in the bearer's gender), by region shares or given groups."""
        male = np.asarray(is_male, dtype=bool).ravel()
        if groups is None:
            if region_codes is None:
                raise ValueError("pass region_codes or groups")
            grp = self.sample_groups(rng, np.asarray(region_codes).ravel())
        else:
            grp = np.asarray(groups, dtype=np.int8).ravel()
        idx = self._surname_idx(rng, grp)
        return np.where(male, self.surname_table[idx], self._surname_female[idx])

    def married_surnames(self, rng: np.random.Generator, region_codes) -> np.ndarray:
        """Female surnames taken from a freshly sampled husband (for ``married_surname``)."""
        codes = np.asarray(region_codes).ravel()
        return self.sample_surnames(rng, np.zeros(codes.shape[0], dtype=bool), codes)


@cache
def default_sampler() -> NameSampler:
    """A process-wide :class:`NameSampler` (loading takes well under a second)."""
    return NameSampler()
