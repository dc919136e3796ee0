"""Business-side reference data and small vectorised samplers for the bank simulator.

Everything here takes a :class:`numpy.random.Generator` and works on whole arrays: no
per-row fake-data calls, so one seed gives identical output and 10 M rows take seconds.
The data lives in ``simulator/reference/business/*.csv`` (see its README.md); each file is
read once (:func:`load_table` is cached) and validated against :data:`SCHEMAS`.

Public API (one line each):

* ``load_table(name) -> pl.DataFrame`` - one reference CSV, typed and validated.
* ``sample_legal_forms(rng, n) -> LegalForms`` - ОПФ short names and ОКОПФ codes.
* ``sample_okved(rng, n, legal_forms=None) -> np.ndarray[str]`` - ОКВЭД 2 codes.
* ``company_short_names(rng, n, legal_form_codes=None, *, okved=None)`` - «СтройИнвестГрупп».
* ``company_names(rng, n, legal_form_codes=None, *, okved=None, full=False)``
  - ``ООО «СтройИнвестГрупп»`` (or the full form with ``full=True``).
* ``format_company_names(short_names, legal_form_codes, *, full=False)`` - add the legal form.
* ``short_names(names)`` - the part inside the outer guillemets.
* ``subsidiary_names(rng, parent_names, legal_form_codes=None, *, full=False)``
  - ``ООО «СтройИнвестГрупп-Юг»``, ``ООО «СИГ Логистика»``.
* ``merchant_cities()`` / ``cities_for_regions(rng, region_codes)`` - DE43 city table.
* ``merchant_catalog(catalog_seed=0) -> pl.DataFrame`` - the fixed store catalogue.
* ``sample_merchants(rng, n=None, *, mccs=None, categories=None, category_affinity=None,
  owner=None, home_city=None, de43_layout="visa", catalog_seed=0) -> pl.DataFrame``
  - card purchases: MCC, merchant, DE43, DE42, DE41, amount, DE22.
* ``purpose_kinds() -> tuple[str, ...]`` - transaction kinds with purpose templates.
* ``purpose_texts(rng, kinds, months, years, *, days=None, fields=None) -> pl.DataFrame``
  - payment purposes with document cipher, channel and КБК.
* ``uin_check_digit(first19) -> np.ndarray`` - control digit of a 20-digit УИН.
* ``sample_counterparties(rng, kind, n, *, year=None) -> pl.DataFrame`` - banks, ФНС, ЖКУ …
* ``sample_topics(rng, n, churn_pressure, *, channel="call", business=None, vip=None,
  max_churn_share=0.6) -> pl.DataFrame`` - contact-centre topics.
* ``sample_outcomes(rng, churn_signal, complaint_prone) -> np.ndarray[str]`` - call outcomes.
* ``sample_complaints(rng, n) -> pl.DataFrame`` - complaint category/product/channel/result.

DE43 (card acceptor name/location, ISO 8583 ans-40) follows the fixed Visa BASE I layout
by default: positions 1-25 merchant name, 26-38 city, 39-40 ISO 3166 alpha-2 country, each
left-justified and space-padded (``PYATEROCHKA 1234         MOSCOW       RU``).
``de43_layout="mastercard"`` gives the Mastercard fixed form: name 1-22, space, city 24-36,
space, alpha-3 country 38-40 (``PYATEROCHKA 1234       MOSCOW        RUS``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal, NamedTuple

import numpy as np
import polars as pl

from simulator.strings import zfill

DATA_DIR = Path(__file__).parent / "reference" / "business"

_S, _I, _F = pl.String, pl.Int64, pl.Float64

#: Expected columns and types of every CSV in ``reference/business`` (all columns required).
SCHEMAS: dict[str, dict[str, pl.DataType | type[pl.DataType]]] = {
    "legal_forms": {
        "short_name": _S,
        "full_name": _S,
        "okopf": _I,
        "okopf_name": _S,
        "name_style": _S,
        "legacy": _I,
        "weight": _F,
    },
    "okved": {
        "code": _S,
        "name": _S,
        "section": _S,
        "theme": _S,
        "org_types": _S,
        "weight": _F,
    },
    "company_words": {"kind": _S, "word": _S, "theme": _S, "weight": _F},
    "merchants": {
        "mcc": _S,
        "description": _S,
        "category": _S,
        "median_rub": _F,
        "sigma": _F,
        "monthly_freq": _F,
        "round_rub": _I,
        "p_chip": _F,
        "p_contactless": _F,
        "p_magstripe": _F,
        "p_manual": _F,
        "p_ecom": _F,
        "p_cof": _F,
        "cross_border_share": _F,
        "away_share": _F,
    },
    "merchant_brands": {
        "mcc": _S,
        "brand": _S,
        "weight": _F,
        "stores": _I,
        "channel": _S,
        "style": _S,
        "de43_name": _S,
        "cities": _S,
        "price_factor": _F,
        "country": _S,
    },
    "merchant_cities": {
        "city": _S,
        "city_ru": _S,
        "region_code": _S,
        "country": _S,
        "country3": _S,
        "population_k": _F,
    },
    "payment_purposes": {
        "kind": _S,
        "direction": _S,
        "template": _S,
        "doc_cipher": _S,
        "channel": _S,
        "weight": _F,
        "kbk": _S,
        "year_from": _I,
        "year_to": _I,
    },
    "counterparties": {
        "kind": _S,
        "name": _S,
        "short_name": _S,
        "brand": _S,
        "inn": _S,
        "kpp": _S,
        "bic": _S,
        "account": _S,
        "corr_account": _S,
        "kbk": _S,
        "region_code": _S,
        "weight": _F,
        "year_from": _I,
        "year_to": _I,
        "verified": _S,
    },
    "contact_queues": {
        "queue": _S,
        "description": _S,
        "dnis": _S,
        "service_level_sec": _I,
        "weight": _F,
    },
    "contact_topics": {
        "topic": _S,
        "name_ru": _S,
        "queue": _S,
        "weight": _F,
        "talk_sec": _I,
        "churn_signal": _I,
        "complaint_prone": _I,
        "business": _I,
    },
    "contact_outcomes": {
        "outcome": _S,
        "name_ru": _S,
        "weight": _F,
        "mult_complaint_prone": _F,
        "mult_churn_signal": _F,
    },
    "complaint_categories": {
        "category": _S,
        "product": _S,
        "weight": _F,
        "amount_median_rub": _F,
        "amount_sigma": _F,
        "p_satisfied": _F,
        "p_partial": _F,
        "p_rejected": _F,
    },
    "complaint_channels": {"channel": _S, "name_ru": _S, "weight": _F},
    "chat_topics": {
        "topic": _S,
        "name_ru": _S,
        "weight": _F,
        "handle_sec": _I,
        "bot_share": _F,
        "churn_signal": _I,
        "complaint_prone": _I,
    },
}

#: Spending categories of ``merchants.csv``, in the column order of ``category_affinity``.
CATEGORIES: tuple[str, ...] = (
    "groceries",
    "restaurants",
    "fuel",
    "transport",
    "travel",
    "cash",
    "transfers",
    "betting",
    "health",
    "clothing",
    "electronics",
    "utilities",
    "telecom",
    "other",
)

#: DE22 POS entry modes, in the order of the ``p_*`` channel-mix columns of merchants.csv.
POS_ENTRY_MODES: tuple[str, ...] = ("05", "07", "90", "01", "81", "10")
_MODE_COLUMNS = ("p_chip", "p_contactless", "p_magstripe", "p_manual", "p_ecom", "p_cof")

MONTHS_NOM: tuple[str, ...] = (
    "январь",
    "февраль",
    "март",
    "апрель",
    "май",
    "июнь",
    "июль",
    "август",
    "сентябрь",
    "октябрь",
    "ноябрь",
    "декабрь",
)
MONTHS_GEN: tuple[str, ...] = (
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
)

#: Retail deposit product names used when the caller does not pass ``fields["product"]``.
DEPOSIT_PRODUCTS: tuple[str, ...] = (
    "Надёжный",
    "Доходный",
    "Пополняемый",
    "Стабильный",
    "Максимальный доход",
    "Накопительный",
    "Свой вклад",
    "Управляемый",
    "Сезонный",
    "Копилка",
)


# --------------------------------------------------------------------------- loading


@functools.cache
def load_table(name: str) -> pl.DataFrame:
    """Read ``reference/business/<name>.csv`` once, cast to :data:`SCHEMAS` and validate."""
    if name not in SCHEMAS:
        raise KeyError(f"unknown business table {name!r}; known: {sorted(SCHEMAS)}")
    schema = SCHEMAS[name]
    df = pl.read_csv(DATA_DIR / f"{name}.csv", infer_schema=False, encoding="utf8")
    missing = [c for c in schema if c not in df.columns]
    if missing:
        raise ValueError(f"{name}.csv lacks columns {missing}")
    df = df.select(pl.col(c).cast(t, strict=True) for c, t in schema.items())
    if "weight" in schema and not (df["weight"] > 0).all():
        raise ValueError(f"{name}.csv has non-positive weights")
    return df


# --------------------------------------------------------------------------- helpers


class _Grouped:
    """Weighted choice of an item within a per-row group, fully vectorised.

    Walker/Vose alias tables, one per group, stored back to back: a row of group ``g``
    picks slot ``start[g] + floor(u * count[g])`` and keeps the slot's item with the slot's
    probability, else takes its alias - O(1) per row whatever the group size.
    """

    def __init__(self, groups: np.ndarray, weights: np.ndarray, n_groups: int) -> None:
        groups = np.asarray(groups, dtype=np.int64)
        weights = np.asarray(weights, dtype=np.float64)
        if (weights < 0).any():
            raise ValueError("negative weight")
        order = np.argsort(groups, kind="stable")
        w = weights[order]
        count = np.bincount(groups, minlength=n_groups)
        total = np.bincount(groups, weights=weights, minlength=n_groups)
        start = np.concatenate([[0], np.cumsum(count)[:-1]])
        prob = np.ones(w.size)
        alias = np.arange(w.size)
        for gi in np.flatnonzero(total > 0):
            s, k = int(start[gi]), int(count[gi])
            p = (w[s : s + k] * (k / total[gi])).tolist()
            small = [i for i in range(k) if p[i] < 1.0]
            large = [i for i in range(k) if p[i] >= 1.0]
            while small and large:
                lo, hi = small.pop(), large[-1]
                prob[s + lo] = p[lo]
                alias[s + lo] = s + hi
                p[hi] += p[lo] - 1.0
                if p[hi] < 1.0:
                    small.append(large.pop())
        self.prob = prob
        self.items = order
        self.alias = order[alias]
        self.start = start
        self.count = count
        self.valid = total > 0

    def sample(self, rng: np.random.Generator, group: np.ndarray | int) -> np.ndarray:
        """``group``: per-row group ids, or an int = number of rows of group 0."""
        if isinstance(group, int | np.integer):
            cnt, base = self.count[0], 0
            u = rng.random(int(group)) * cnt
        else:
            cnt, base = self.count[group], self.start[group]
            u = rng.random(group.shape[0]) * cnt
        slot = np.minimum(u.astype(np.int64), cnt - 1)
        u -= slot
        slot += base
        return np.where(u < self.prob[slot], self.items[slot], self.alias[slot])


def _choice(rng: np.random.Generator, weights: np.ndarray, n: int) -> np.ndarray:
    """``n`` indices drawn with probabilities proportional to ``weights`` (alias method)."""
    return _Grouped(np.zeros(len(weights), dtype=np.int64), weights, 1).sample(rng, n)


def _as_array(values, n: int, name: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim == 0:
        return np.full(n, arr.item())
    if arr.shape[0] != n:
        raise ValueError(f"{name} has length {arr.shape[0]}, expected {n}")
    return arr


def _codes(values, labels: Sequence[str], name: str) -> np.ndarray:
    """Map strings (or integer codes) to indices into ``labels``; unknown values raise."""
    if isinstance(values, pl.Series):
        s = values
    else:
        arr = np.asarray(values)
        if arr.dtype.kind in "iu":
            if arr.size and (arr.min() < 0 or arr.max() >= len(labels)):
                raise ValueError(f"{name} codes outside 0..{len(labels) - 1}")
            return arr.astype(np.int64)
        s = pl.Series(arr.astype(str) if arr.dtype.kind != "U" else arr, dtype=pl.String)
    try:
        phys = s.cast(pl.String).cast(pl.Enum(list(labels))).to_physical()
    except pl.exceptions.InvalidOperationError as exc:
        bad = sorted(set(s.cast(pl.String).unique().to_list()) - set(labels))[:5]
        raise ValueError(f"unknown {name}: {bad}") from exc
    if phys.null_count():
        raise ValueError(f"{name} contains nulls")
    return phys.to_numpy().astype(np.int64)


def _digits(rng: np.random.Generator, n: int, k: int, first_nonzero: bool = False) -> pl.Series:
    """``k``-digit random numbers as zero-padded strings."""
    lo = 10 ** (k - 1) if first_nonzero else 0
    return pl.Series(rng.integers(lo, 10**k, n)).cast(pl.String).str.zfill(k)


# --------------------------------------------------------------------------- legal forms


class LegalForms(NamedTuple):
    short_name: np.ndarray  # ООО, АО, ПАО …
    okopf: np.ndarray  # int ОКОПФ codes (12300, 12267, 12247 …)


def _legal_form_index(codes) -> np.ndarray:
    """Row indices into legal_forms.csv for short names (ООО) or ОКОПФ codes (12300)."""
    lf = load_table("legal_forms")
    arr = np.asarray(codes)
    if arr.dtype.kind in "iu" or (arr.dtype.kind == "U" and arr.size and arr[0].isdigit()):
        # several forms may share a code (АО/НАО/ЗАО = 12267): take the most common one
        best = (
            lf.with_row_index("i")
            .sort("weight", descending=True)
            .unique("okopf", keep="first")
            .select("okopf", "i")
        )
        lookup = dict(zip(best["okopf"].to_list(), best["i"].to_list(), strict=True))
        vals = arr.astype(np.int64)
        uniq, inv = np.unique(vals, return_inverse=True)
        bad = [int(u) for u in uniq if int(u) not in lookup]
        if bad:
            raise ValueError(f"unknown ОКОПФ codes {bad[:5]}")
        return np.array([lookup[int(u)] for u in uniq], dtype=np.int64)[inv]
    return _codes(arr, lf["short_name"].to_list(), "legal form")


def sample_legal_forms(rng: np.random.Generator, n: int) -> LegalForms:
    """Legal forms of ``n`` organisations, drawn by the weights of legal_forms.csv."""
    lf = load_table("legal_forms")
    w = lf["weight"].to_numpy()
    idx = _choice(rng, w, n)
    return LegalForms(
        lf["short_name"].to_numpy()[idx].astype(str), lf["okopf"].to_numpy()[idx].astype(np.int32)
    )


def sample_okved(rng: np.random.Generator, n: int, legal_forms=None) -> np.ndarray:
    """Main ОКВЭД 2 codes; with ``legal_forms`` (short names or ОКОПФ codes, per row) only
    codes allowed for the form's organisation type (``org_types`` column) are drawn."""
    ok = load_table("okved")
    w = ok["weight"].to_numpy()
    codes = ok["code"].to_numpy().astype(str)
    if legal_forms is None:
        return codes[_choice(rng, w, n)]
    styles = _STYLES
    form_idx = _legal_form_index(_as_array(legal_forms, n, "legal_forms"))
    style_of_form = np.array(
        [styles.index(s) for s in load_table("legal_forms")["name_style"].to_list()]
    )
    row_style = style_of_form[form_idx]
    allowed = [set(x.split("|")) for x in ok["org_types"].to_list()]
    groups, items, weights = [], [], []
    for si, st in enumerate(styles):
        ok_items = [i for i, a in enumerate(allowed) if st in a] or [
            i for i, a in enumerate(allowed) if "commercial" in a
        ]
        groups += [si] * len(ok_items)
        items += ok_items
        weights += [w[i] for i in ok_items]
    sampler = _Grouped(np.array(groups), np.array(weights), len(styles))
    pick = sampler.sample(rng, row_style)
    return codes[np.array(items)[pick]]


# --------------------------------------------------------------------------- company names

_STYLES = ("commercial", "nonprofit", "housing", "budget", "unitary", "coop")
_JSC = {"АО", "ПАО", "НАО", "ЗАО", "ОАО"}
# name patterns and their weights per naming style
_PATTERNS = ("compound", "geo", "noun", "abbr", "noun_tail", "plant", "institution")
_PATTERN_WEIGHTS = {
    "commercial": (0.40, 0.14, 0.16, 0.14, 0.12, 0.04, 0.0),
    "jsc": (0.28, 0.16, 0.12, 0.10, 0.06, 0.28, 0.0),
    "nonprofit": (0.0, 0.0, 0.45, 0.0, 0.0, 0.0, 0.55),
    "housing": (0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0),
    "budget": (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0),
    "unitary": (0.0, 0.0, 0.15, 0.0, 0.0, 0.0, 0.85),
    "coop": (0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0),
}
_THEME_SHARE = 0.6  # chance a word is taken from the company's ОКВЭД theme when one exists
_SUFFIX_SHARE = 0.3  # commercial names with a letter/number/word suffix


class _WordPool:
    """Words of one kind; draws from the row's theme with probability ``_THEME_SHARE``."""

    def __init__(self, kind: str, themes: list[str]) -> None:
        cw = load_table("company_words").filter(pl.col("kind") == kind)
        self.words = cw["word"].to_numpy().astype(str)
        th = cw["theme"].to_list()
        self.themes = themes
        gid = np.array([themes.index(t) if t in themes else len(themes) for t in th])
        self.sampler = _Grouped(gid, cw["weight"].to_numpy(), len(themes) + 1)
        self.has = self.sampler.valid

    def draw(
        self, rng: np.random.Generator, theme: np.ndarray, any_theme: str = "any"
    ) -> np.ndarray:
        any_idx = self.themes.index(any_theme)
        t = np.where(theme < 0, any_idx, theme)
        use = (rng.random(t.shape[0]) < _THEME_SHARE) & self.has[t]
        group = np.where(use, t, any_idx)
        group = np.where(self.has[group], group, np.where(self.has[t], t, any_idx))
        if not self.has[group].all():
            raise ValueError("company_words.csv has no word for some requested theme")
        return self.words[self.sampler.sample(rng, group)]


@functools.cache
def _name_model() -> dict:
    themes = sorted(
        set(load_table("company_words")["theme"].to_list()) | set(load_table("okved")["theme"])
    )
    pools = {
        k: _WordPool(k, themes)
        for k in (
            "head",
            "tail",
            "geo",
            "geo_adj",
            "noun",
            "abbr",
            "plant",
            "institution",
            "suffix",
        )
    }
    lf = load_table("legal_forms")
    style = [
        "jsc" if s in _JSC else st
        for s, st in zip(lf["short_name"].to_list(), lf["name_style"].to_list(), strict=True)
    ]
    pat_names = list(_PATTERN_WEIGHTS)
    form_pattern_group = np.array([pat_names.index(s) for s in style])
    g, w = [], []
    for gi, name in enumerate(pat_names):
        g += [gi] * len(_PATTERNS)
        w += list(_PATTERN_WEIGHTS[name])
    pattern = _Grouped(np.array(g), np.array(w) + 0.0, len(pat_names))
    ok = load_table("okved")
    okved_theme = dict(zip(ok["code"].to_list(), ok["theme"].to_list(), strict=True))
    return {
        "themes": themes,
        "pools": pools,
        "form_pattern_group": form_pattern_group,
        "pattern": pattern,
        "okved_theme": okved_theme,
        "form_style": np.array(lf["name_style"].to_list()),
    }


def _lower(a: np.ndarray) -> np.ndarray:
    return np.strings.lower(a)


def _compound(rng, theme, pools) -> np.ndarray:
    m = theme.shape[0]
    head = pools["head"].draw(rng, theme)
    tail = pools["tail"].draw(rng, theme)
    tail = np.where(tail == head, "Групп", tail)
    mid = pools["head"].draw(rng, np.full(m, -1))
    use_mid = (rng.random(m) < 0.25) & (mid != head) & (mid != tail)
    camel = np.strings.add(np.where(use_mid, np.strings.add(head, mid), head), tail)
    style = rng.random(m)
    joined = np.strings.add(head, _lower(tail))
    hyphen = np.strings.add(np.strings.add(head, "-"), tail)
    return np.where(style < 0.7, camel, np.where(style < 0.9, joined, hyphen))


def _geo(rng, theme, pools) -> np.ndarray:
    m = theme.shape[0]
    geo = pools["geo"].draw(rng, np.full(m, -1))
    head = pools["head"].draw(rng, theme)
    return np.where(
        rng.random(m) < 0.5, np.strings.add(geo, _lower(head)), np.strings.add(geo, head)
    )


def _institution(rng, style: np.ndarray, pools, themes) -> np.ndarray:
    theme = np.array([themes.index(s) if s in themes else -1 for s in style], dtype=np.int64)
    words = pools["institution"].draw(rng, theme)
    nums = rng.integers(1, 200, style.shape[0]).astype(str)
    return np.strings.replace(words, "{n}", nums)


def _short_names_for_forms(rng, form_idx: np.ndarray, theme: np.ndarray) -> np.ndarray:
    model = _name_model()
    pools, themes = model["pools"], model["themes"]
    n = form_idx.shape[0]
    pat = model["pattern"].sample(rng, model["form_pattern_group"][form_idx]) % len(_PATTERNS)
    style = model["form_style"][form_idx]
    out = np.empty(n, dtype=object)
    for p, name in enumerate(_PATTERNS):
        rows = np.flatnonzero(pat == p)
        if not rows.size:
            continue
        th = theme[rows]
        if name == "compound":
            val = _compound(rng, th, pools)
        elif name == "geo":
            val = _geo(rng, th, pools)
        elif name == "noun":
            st = style[rows]
            nt = np.array([themes.index(s) if s in ("coop", "housing") else -1 for s in st])
            val = pools["noun"].draw(rng, nt)  # ТСЖ/СНТ/СПК prefer their own nouns
        elif name == "abbr":
            abbr = pools["abbr"].draw(rng, th)
            noun = pools["noun"].draw(rng, np.full(rows.size, -1))
            val = np.strings.add(np.strings.add(abbr, " "), noun)
        elif name == "noun_tail":
            noun = pools["noun"].draw(rng, np.full(rows.size, -1))
            tail = pools["tail"].draw(rng, th)
            val = np.strings.add(np.strings.add(noun, "-"), tail)
        elif name == "plant":
            adj = pools["geo_adj"].draw(rng, np.full(rows.size, -1))
            plant = pools["plant"].draw(rng, th)
            val = np.strings.add(np.strings.add(adj, " "), plant)
        else:
            val = _institution(rng, style[rows], pools, themes)
        out[rows] = val
    out = out.astype(str)
    # numbered/lettered variants («Вектор-М», «Альфа-2», «ТК Магистраль Плюс»)
    decorated = [_PATTERNS.index(p) for p in ("compound", "geo", "noun", "abbr", "noun_tail")]
    deco = np.isin(pat, decorated) & ~np.isin(style, ["housing", "coop", "budget"])
    deco &= rng.random(n) < _SUFFIX_SHARE
    rows = np.flatnonzero(deco)
    if rows.size:
        suf = pools["suffix"].draw(rng, np.full(rows.size, -1))
        suf = np.strings.replace(suf, "{n}", rng.integers(1, 100, rows.size).astype(str))
        fresh = np.strings.find(out[rows], np.strings.strip(suf)) < 0  # no «…Плюс Плюс»
        out[rows[fresh]] = np.strings.add(out[rows[fresh]], suf[fresh])
    # institutions without a number often carry a proper name: МБУ «Дом культуры «Рассвет»»
    inst = (pat == _PATTERNS.index("institution")) & (np.strings.find(out, "№") < 0)
    inst &= np.isin(style, ["budget", "nonprofit"])
    inst &= rng.random(n) < 0.6
    rows = np.flatnonzero(inst)
    if rows.size:
        noun = pools["noun"].draw(rng, np.full(rows.size, -1))
        out[rows] = np.strings.add(np.strings.add(np.strings.add(out[rows], " «"), noun), "»")
    return out


def _theme_index(okved, n: int) -> np.ndarray:
    model = _name_model()
    if okved is None:
        return np.full(n, -1, dtype=np.int64)
    codes = _as_array(okved, n, "okved").astype(str)
    uniq, inv = np.unique(codes, return_inverse=True)
    themes = model["themes"]
    t = np.array(
        [themes.index(model["okved_theme"][c]) if c in model["okved_theme"] else -1 for c in uniq]
    )
    return t[inv].astype(np.int64)


def _forms_for(rng, n: int | None, legal_form_codes) -> np.ndarray:
    if legal_form_codes is None:
        if n is None:
            raise ValueError("give n or legal_form_codes")
        return _legal_form_index(sample_legal_forms(rng, n).short_name)
    arr = np.asarray(legal_form_codes)
    if arr.ndim == 0:
        if n is None:
            raise ValueError("give n with a scalar legal form")
        arr = np.full(n, arr.item())
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"legal_form_codes has length {arr.shape[0]}, expected {n}")
    return _legal_form_index(arr)


def company_short_names(
    rng: np.random.Generator, n: int | None = None, legal_form_codes=None, *, okved=None
) -> np.ndarray:
    """Names without the legal form: ``СтройИнвестГрупп``, ``ТК Магистраль``,
    ``Уральский завод металлоконструкций``, ``Средняя общеобразовательная школа № 12``.

    ``legal_form_codes`` (per row: short names like ``"ООО"`` or ОКОПФ ints like 12300)
    steer the pattern: joint-stock companies get more plant names, ГБУ/МБУ institution
    names, ТСЖ/СНТ/СПК nouns. ``okved`` codes bias the word stock towards the industry.
    """
    forms = _forms_for(rng, n, legal_form_codes)
    return _short_names_for_forms(rng, forms, _theme_index(okved, forms.shape[0]))


def format_company_names(short_names, legal_form_codes, *, full: bool = False) -> np.ndarray:
    """``ООО «<short>»`` (or ``Общество с ограниченной ответственностью «<short>»``)."""
    short = np.asarray(short_names).astype(str)
    forms = _legal_form_index(_as_array(legal_form_codes, short.shape[0], "legal_form_codes"))
    lf = load_table("legal_forms")
    prefix = lf["full_name" if full else "short_name"].to_numpy().astype(str)[forms]
    return np.strings.add(np.strings.add(np.strings.add(prefix, " «"), short), "»")


def company_names(
    rng: np.random.Generator,
    n: int | None = None,
    legal_form_codes=None,
    *,
    okved=None,
    full: bool = False,
) -> np.ndarray:
    """Company names with legal form and guillemets: ``ООО «СтройИнвестГрупп»``,
    ``АО «Уральский завод металлоконструкций»``, ``ООО «ТК Магистраль»``.

    Legal forms are drawn from legal_forms.csv when ``legal_form_codes`` is None.
    Names are not unique (real registers hold many «Ромашка»s). Use :func:`short_names`
    to recover the part inside the guillemets.
    """
    forms = _forms_for(rng, n, legal_form_codes)
    short = _short_names_for_forms(rng, forms, _theme_index(okved, forms.shape[0]))
    lf = load_table("legal_forms")
    return format_company_names(short, lf["short_name"].to_numpy().astype(str)[forms], full=full)


def short_names(names) -> np.ndarray:
    """Part between the first ``«`` and the last ``»`` (the name itself when absent)."""
    s = pl.Series(np.asarray(names).astype(str), dtype=pl.String)
    inner = s.str.extract(r"«(.*)»", 1)
    return inner.fill_null(s).to_numpy().astype(str)


def _acronyms(names: np.ndarray) -> np.ndarray:
    s = pl.Series(names, dtype=pl.String)
    acr = s.str.extract_all(r"\b\p{L}|\p{Lu}").list.join("").str.to_uppercase()
    return acr.to_numpy().astype(str)


def subsidiary_names(
    rng: np.random.Generator, parent_names, legal_form_codes=None, *, full: bool = False
) -> np.ndarray:
    """Names of subsidiaries derived from their parents: ``ООО «СтройИнвестГрупп-Юг»``,
    ``ООО «СИГ Логистика»``, ``ООО «Вектор Сервис»``, ``ООО «ТД СтройИнвестГрупп»``.

    ``parent_names`` may carry a legal form and guillemets or be short names. Subsidiaries
    are ООО unless ``legal_form_codes`` says otherwise.
    """
    parents = short_names(parent_names)
    n = parents.shape[0]
    if legal_form_codes is None:
        legal_form_codes = np.full(n, "ООО")
    cw = load_table("company_words")
    suffixes = cw.filter(pl.col("kind") == "branch_suffix")["word"].to_numpy().astype(str)
    functions = cw.filter(pl.col("kind") == "function")["word"].to_numpy().astype(str)
    suffix = suffixes[rng.integers(0, suffixes.size, n)]
    func = functions[rng.integers(0, functions.size, n)]
    acr = _acronyms(parents)
    has_acr = (np.strings.str_len(acr) >= 2) & (np.strings.str_len(acr) <= 5)
    u = rng.random(n)
    regional = np.strings.add(np.strings.add(parents, "-"), suffix)
    by_acr = np.strings.add(np.strings.add(np.where(has_acr, acr, parents), " "), func)
    by_name = np.strings.add(np.strings.add(parents, " "), func)
    prefix = np.where(rng.random(n) < 0.6, "ТД ", "УК ")
    plain = np.strings.find(parents, " ") < 0
    td = np.where(plain, np.strings.add(prefix, parents), by_name)
    short = np.where(
        u < 0.40, regional, np.where(u < 0.70, by_acr, np.where(u < 0.85, by_name, td))
    )
    return format_company_names(short, legal_form_codes, full=full)


# --------------------------------------------------------------------------- merchants


def merchant_cities() -> pl.DataFrame:
    """DE43 city table (Latin ≤13 chars, region code, country); row index = city index."""
    return load_table("merchant_cities").with_row_index("city_idx")


def cities_for_regions(rng: np.random.Generator, region_codes) -> np.ndarray:
    """Map subject-of-federation codes (``"77"``, ``"50"``, ints ok) to a city index of
    :func:`merchant_cities` in that region (population-weighted when there are several);
    regions without a listed city get ``-1`` (:func:`sample_merchants` then draws a city)."""
    mc = load_table("merchant_cities")
    rc = mc["region_code"].to_list()
    arr = np.asarray(region_codes)
    codes = zfill(arr.astype(str), 2)
    regions = sorted({r for r in rc if r})
    reg_idx = {r: i for i, r in enumerate(regions)}
    g = np.array([reg_idx.get(r, -1) if r else -1 for r in rc])
    keep = g >= 0
    sampler = _Grouped(g[keep], mc["population_k"].to_numpy()[keep], len(regions))
    city_rows = np.flatnonzero(keep)
    uniq, inv = np.unique(codes, return_inverse=True)
    row_reg = np.array([reg_idx.get(str(u), -1) for u in uniq], dtype=np.int64)[inv]
    out = np.full(arr.shape[0], -1, dtype=np.int64)
    ok = row_reg >= 0
    out[ok] = city_rows[sampler.sample(rng, row_reg[ok])]
    return out


def _ascii_upper(s: str) -> str:
    return re.sub(r"[^ -~]", "", s.upper())


@functools.cache
def _local_nouns() -> tuple[str, ...]:
    import iuliia

    words = load_table("company_words").filter(
        (pl.col("kind") == "noun") & (pl.col("theme") == "any")
    )["word"]
    return tuple(_ascii_upper(iuliia.YANDEX_MONEY.translate(w)) for w in words.to_list())


@functools.cache
def _catalog(catalog_seed: int) -> dict:
    rng = np.random.default_rng(np.random.SeedSequence([catalog_seed, 8583]))
    mer = load_table("merchants")
    if set(mer["category"].to_list()) - set(CATEGORIES):
        raise ValueError("merchants.csv has categories outside CATEGORIES")
    br = load_table("merchant_brands")
    cities = load_table("merchant_cities")
    city_names = cities["city"].to_list()
    city_cc = cities["country"].to_list()
    city_cc3 = cities["country3"].to_list()
    pop = cities["population_k"].to_numpy()
    mcc_list = mer["mcc"].to_list()
    mcc_index = {m: i for i, m in enumerate(mcc_list)}
    nouns = _local_nouns()
    rows: dict[str, list] = {k: [] for k in ("brand_idx", "city_idx", "name", "n_term")}
    for b, rec in enumerate(br.iter_rows(named=True)):
        if rec["mcc"] not in mcc_index:
            raise ValueError(f"merchant_brands.csv: MCC {rec['mcc']} missing in merchants.csv")
        if rec["cities"]:
            allowed = [city_names.index(c) for c in rec["cities"].split("|")]
        else:
            allowed = [i for i, cc in enumerate(city_cc) if cc == rec["country"]]
        if not allowed:
            raise ValueError(f"no city for brand {rec['brand']} ({rec['country']})")
        online_chain = rec["channel"] == "online" and rec["style"] == "chain"
        n_st = 1 if online_chain else max(int(rec["stores"]), 1)
        if online_chain:
            where = np.array([allowed[0]])
        else:
            p = pop[allowed] ** 0.9
            counts = rng.multinomial(n_st, p / p.sum())
            where = np.repeat(np.array(allowed), counts)
        tmpl = rec["de43_name"]
        digits = max(6 if rec["mcc"] == "6011" else 4, len(str(3 * n_st)))
        nums = rng.choice(10**digits - 10 ** (digits - 1), size=n_st, replace=False) + 10 ** (
            digits - 1
        )
        picked = rng.integers(0, len(nouns), n_st)
        for k in range(n_st):
            name = tmpl.format(
                brand=rec["brand"], n=nums[k], noun=nouns[picked[k]], city=city_names[where[k]]
            )
            rows["name"].append(_ascii_upper(name))
        rows["brand_idx"] += [b] * n_st
        rows["city_idx"] += where.tolist()
        if rec["channel"] == "online" or rec["mcc"] == "6011":
            n_term = np.ones(n_st, dtype=np.int64)
        elif rec["style"] == "local":
            n_term = 1 + rng.poisson(0.3, n_st)
        else:
            n_term = 1 + rng.poisson(3.0, n_st)
        rows["n_term"] += n_term.tolist()
    brand_idx = np.array(rows["brand_idx"], dtype=np.int64)
    city_idx = np.array(rows["city_idx"], dtype=np.int64)
    order = np.lexsort((city_idx, brand_idx))  # stores sorted by (brand, city)
    brand_idx, city_idx = brand_idx[order], city_idx[order]
    names = np.array(rows["name"], dtype=object)[order]
    n_term = np.array(rows["n_term"], dtype=np.int64)[order]
    n_stores = brand_idx.size
    # DE42 merchant id: 15 digits, unique; DE41 terminal id: 8 digits, unique
    mid = rng.integers(10**14, 10**15, n_stores)
    while np.unique(mid).size < n_stores:  # pragma: no cover - astronomically rare
        mid = rng.integers(10**14, 10**15, n_stores)
    n_terminals = int(n_term.sum())
    tid = rng.choice(90_000_000, size=n_terminals, replace=False) + 10_000_000
    term_start = np.concatenate([[0], np.cumsum(n_term)[:-1]])
    # per-brand / per-(brand, city) store ranges
    n_brands, n_cities = br.height, cities.height
    brand_count = np.bincount(brand_idx, minlength=n_brands)
    brand_start = np.concatenate([[0], np.cumsum(brand_count)[:-1]])
    pair = brand_idx * n_cities + city_idx
    pair_count = np.bincount(pair, minlength=n_brands * n_cities).reshape(n_brands, n_cities)
    pair_start = np.full(n_brands * n_cities, 0, dtype=np.int64)
    first = np.unique(pair, return_index=True)
    pair_start[first[0]] = first[1]
    pair_start = pair_start.reshape(n_brands, n_cities)
    brand_mcc = np.array([mcc_index[m] for m in br["mcc"].to_list()])
    name25 = [nm[:25].ljust(25) for nm in names]
    name22 = [nm[:22].ljust(22) for nm in names]
    city13 = [c[:13].ljust(13) for c in city_names]
    de43_visa = [n + city13[c] + city_cc[c] for n, c in zip(name25, city_idx, strict=True)]
    de43_mc = [
        n + " " + city13[c] + " " + city_cc3[c] for n, c in zip(name22, city_idx, strict=True)
    ]
    store_mcc = pl.Series(brand_mcc[brand_idx], dtype=pl.UInt32)
    store_brand = pl.Series(brand_idx, dtype=pl.UInt32)
    store_city = pl.Series(city_idx, dtype=pl.UInt32)
    frame = pl.DataFrame(
        {
            "store_key": pl.Series(np.arange(n_stores), dtype=pl.UInt32),
            "mcc": mer["mcc"].gather(store_mcc),
            "category": mer["category"].gather(store_mcc).cast(pl.Enum(list(CATEGORIES))),
            "merchant_name": br["brand"].gather(store_brand),
            "de43_name": pl.Series([nm.rstrip() for nm in name25], dtype=pl.String),
            "channel": br["channel"].gather(store_brand),
            "city": cities["city"].gather(store_city),
            "country": cities["country"].gather(store_city),
            "de43_visa": pl.Series(de43_visa, dtype=pl.String),
            "de43_mastercard": pl.Series(de43_mc, dtype=pl.String),
            "merchant_id": pl.Series(mid).cast(pl.String),
            "n_terminals": n_term,
            "first_terminal": term_start,
        }
    )
    terminals = pl.Series("terminal_id", tid).cast(pl.String)
    # sampling tables -------------------------------------------------------------
    n_mcc = mer.height
    is_foreign = (br["country"] != "RU").to_numpy()
    is_online_chain = ((br["channel"] == "online") & (br["style"] == "chain")).to_numpy()
    bw = br["weight"].to_numpy()
    domestic_cities = [i for i, cc in enumerate(city_cc) if cc == "RU"]
    n_slot = n_cities + 1  # last slot = "any city"
    g_list, i_list, w_list = [], [], []
    for m in range(n_mcc):
        dom = np.flatnonzero((brand_mcc == m) & ~is_foreign)
        frn = np.flatnonzero((brand_mcc == m) & is_foreign)
        if dom.size == 0:
            raise ValueError(f"MCC {mcc_list[m]} has no domestic brand")
        base = (m * 2) * n_slot
        for c in domestic_cities:
            present = is_online_chain[dom] | (pair_count[dom, c] > 0)
            use = dom[present] if present.any() else dom
            g_list += [base + c] * use.size
            i_list += use.tolist()
            w_list += bw[use].tolist()
        g_list += [base + n_cities] * dom.size
        i_list += dom.tolist()
        w_list += bw[dom].tolist()
        if frn.size:
            gx = (m * 2 + 1) * n_slot + n_cities
            g_list += [gx] * frn.size
            i_list += frn.tolist()
            w_list += bw[frn].tolist()
    brand_sampler = _Grouped(np.array(g_list), np.array(w_list), n_mcc * 2 * n_slot)
    brand_items = np.array(i_list)
    has_foreign = np.array([bool(((brand_mcc == m) & is_foreign).any()) for m in range(n_mcc)])
    xb_share = np.where(has_foreign, mer["cross_border_share"].to_numpy(), 0.0)
    # POS entry mode mix per (mcc, online?)
    mix = mer.select(_MODE_COLUMNS).to_numpy()
    online_mix = mix * np.array([0, 0, 0, 0, 1, 1.0])
    online_mix[online_mix.sum(1) == 0, 4] = 1.0
    cp_mix = mix * np.array([1, 1, 1, 1, 0, 0.0])
    cp_mix[cp_mix.sum(1) == 0, 1] = 1.0
    mcc_has_online = np.array(
        [bool(((brand_mcc == m) & is_online_chain).any()) for m in range(n_mcc)]
    )
    physical_mix = np.where(mcc_has_online[:, None], cp_mix, mix)
    mode_w = np.stack([physical_mix, online_mix], axis=1).reshape(n_mcc * 2, 6)
    mode_sampler = _Grouped(np.repeat(np.arange(n_mcc * 2), 6), mode_w.ravel(), n_mcc * 2)
    dom_pop = np.where(np.array(city_cc) == "RU", pop, 0.0)
    return {
        "frame": frame,
        "terminals": terminals,
        "brand_idx": brand_idx,
        "brand_mcc": brand_mcc,
        "brand_online": (br["channel"] == "online").to_numpy(),
        "log_price": np.log(br["price_factor"].to_numpy()),
        "brand_start": brand_start,
        "brand_count": brand_count,
        "pair_start": pair_start,
        "pair_count": pair_count,
        "n_term": n_term,
        "term_start": term_start,
        "brand_sampler": brand_sampler,
        "brand_items": brand_items,
        "n_slot": n_slot,
        "n_cities": n_cities,
        "xb_share": xb_share,
        "away_share": mer["away_share"].to_numpy(),
        "mode_sampler": mode_sampler,
        "mu": np.log(mer["median_rub"].to_numpy()),
        "sigma": mer["sigma"].to_numpy(),
        "round_rub": mer["round_rub"].to_numpy(),
        "mcc_cat": np.array([CATEGORIES.index(c) for c in mer["category"].to_list()]),
        "mcc_list": mcc_list,
        "mcc_freq": mer["monthly_freq"].to_numpy(),
        "city_p": dom_pop / dom_pop.sum(),
        "city_sampler": _Grouped(np.zeros(n_cities, dtype=np.int64), dom_pop, 1),
        "mcc_all": _Grouped(np.zeros(n_mcc, dtype=np.int64), mer["monthly_freq"].to_numpy(), 1),
    }


def merchant_catalog(catalog_seed: int = 0) -> pl.DataFrame:
    """The store catalogue behind :func:`sample_merchants` (one row per store; ``store_key``
    is the row index). Built once per ``catalog_seed`` from merchant_brands.csv, so a store's
    DE42 merchant id, DE43 text and terminal ids never change between calls."""
    return _catalog(catalog_seed)["frame"]


def _category_index(categories, n: int | None) -> np.ndarray:
    arr = np.asarray(categories)
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"categories has length {arr.shape[0]}, expected {n}")
    return _codes(arr, CATEGORIES, "category")


def sample_merchants(
    rng: np.random.Generator,
    n: int | None = None,
    *,
    mccs=None,
    categories=None,
    category_affinity: np.ndarray | None = None,
    owner: np.ndarray | None = None,
    home_city: np.ndarray | None = None,
    de43_layout: Literal["visa", "mastercard"] = "visa",
    catalog_seed: int = 0,
) -> pl.DataFrame:
    """Card-present/e-commerce purchases: merchant, DE43, DE41/DE42, amount, DE22.

    How the spending category of each row is chosen (first match wins):

    * ``mccs`` - shape ``(n,)``: fixed MCCs (``"6011"`` for ATM withdrawals …).
    * ``categories`` - shape ``(n,)``: category names from :data:`CATEGORIES` or their
      integer codes; the category is fixed per row.
    * ``category_affinity`` - shape ``(m, len(CATEGORIES))``: per-client *multipliers* on
      the base category mix (sum of ``monthly_freq`` per category; 1 = typical, 3 = three
      times the usual travel share, 0 = never). ``owner`` (shape ``(n,)``, ints in
      ``0..m-1``) maps each row to its affinity row, so a client's vector is not repeated
      per transaction; without ``owner``, ``m`` must equal ``n``.
    * neither - the base mix; ``n`` is required.

    Within a category the MCC follows ``monthly_freq``, the brand its ``weight`` among the
    brands present in the row's city, the store is uniform among the brand's stores there.
    ``home_city`` (shape ``(n,)``, index into :func:`merchant_cities`, ``-1`` = unknown)
    keeps physical purchases in the client's city except for the MCC's ``away_share``;
    without it cities follow population. A ``cross_border_share`` of rows (only MCCs with
    foreign brands) goes to a foreign merchant.

    Returns a polars DataFrame with columns ``store_key`` (u32), ``category`` (Enum),
    ``mcc`` (4 chars), ``merchant_name`` (brand), ``de43`` (40 ASCII chars, layout per
    ``de43_layout``), ``merchant_id`` (DE42, 15 digits), ``terminal_id`` (DE41, 8 digits),
    ``city``, ``country`` (alpha-2), ``cross_border`` (bool), ``amount_kopecks`` (i64,
    log-normal per MCC × brand price factor, ATM amounts in 100 ₽ steps) and
    ``pos_entry_mode`` (DE22: 05 chip, 07 contactless, 90 magstripe, 01 manual,
    81 e-commerce, 10 credential on file; online merchants only 81/10).
    """
    cat = _catalog(catalog_seed)
    K = len(CATEGORIES)
    mcc_cat = cat["mcc_cat"]
    freq = cat["mcc_freq"]
    cdf = owner_arr = fixed = fixed_mcc = None
    if mccs is not None:
        fixed_mcc = _codes(np.asarray(mccs).astype(str), cat["mcc_list"], "MCC")
        if n is not None and fixed_mcc.shape[0] != n:
            raise ValueError(f"mccs has length {fixed_mcc.shape[0]}, expected {n}")
        n = fixed_mcc.shape[0]
    elif categories is not None:
        fixed = _category_index(categories, n)
        n = fixed.shape[0]
    elif category_affinity is not None:
        aff = np.asarray(category_affinity, dtype=np.float64)
        if aff.ndim != 2 or aff.shape[1] != K:
            raise ValueError(f"category_affinity must have shape (m, {K})")
        owner_arr = np.arange(aff.shape[0]) if owner is None else np.asarray(owner, np.int64)
        if n is not None and owner_arr.shape[0] != n:
            raise ValueError(f"owner has length {owner_arr.shape[0]}, expected {n}")
        if owner_arr.size and (owner_arr.min() < 0 or owner_arr.max() >= aff.shape[0]):
            raise ValueError("owner indexes outside category_affinity")
        n = owner_arr.shape[0]
        base = np.bincount(mcc_cat, weights=freq, minlength=K)
        p = np.clip(aff, 0, None) * base
        tot = p.sum(axis=1, keepdims=True)
        p = np.where(tot > 0, p / np.where(tot > 0, tot, 1), base / base.sum())
        cdf = np.cumsum(p, axis=1)[:, :-1].astype(np.float32)
    elif n is None:
        raise ValueError("give n, categories or category_affinity")
    hc = None
    if home_city is not None:
        hc = np.asarray(home_city, dtype=np.int64)
        if hc.shape[0] != n:
            raise ValueError(f"home_city has length {hc.shape[0]}, expected {n}")
        if hc.max(initial=-1) >= cat["n_cities"]:
            raise ValueError("home_city index outside merchant_cities()")
        hc = np.where((hc >= 0) & (cat["city_p"][np.maximum(hc, 0)] > 0), hc, -1)
    de43_col = {"visa": "de43_visa", "mastercard": "de43_mastercard"}[de43_layout]
    blocks = []
    # blocks of 1 M rows keep temporaries cache-sized; the result is still one seed -> one output
    for lo in range(0, max(n, 1), _BLOCK):
        hi = min(lo + _BLOCK, n)
        m = hi - lo
        if cdf is not None:
            u = rng.random(m, dtype=np.float32)
            cat_idx = (u[:, None] >= cdf[owner_arr[lo:hi]]).sum(axis=1)
        else:
            cat_idx = None if fixed is None else fixed[lo:hi]
        blocks.append(
            _merchant_block(
                rng,
                cat,
                catalog_seed,
                m,
                cat_idx,
                None if fixed_mcc is None else fixed_mcc[lo:hi],
                None if hc is None else hc[lo:hi],
                de43_col,
            )
        )
    return blocks[0] if len(blocks) == 1 else pl.concat(blocks, rechunk=False)


_BLOCK = 1 << 20


def _merchant_block(
    rng: np.random.Generator,
    cat: dict,
    catalog_seed: int,
    n: int,
    cat_idx: np.ndarray | None,
    mcc_idx: np.ndarray | None,
    hc: np.ndarray | None,
    de43_col: str,
) -> pl.DataFrame:
    # MCC
    if mcc_idx is not None:
        pass
    elif cat_idx is None:
        mcc_idx = cat["mcc_all"].sample(rng, n)
    else:
        mcc_idx = _mcc_sampler(catalog_seed).sample(rng, cat_idx)
    # city of the purchase
    n_cities = cat["n_cities"]
    random_city = cat["city_sampler"].sample(rng, n)
    if hc is None:
        city = random_city
    else:
        away = rng.random(n) < cat["away_share"][mcc_idx]
        city = np.where((hc < 0) | away, random_city, hc)
    xb = (rng.random(n) < cat["xb_share"][mcc_idx]).astype(np.int64)
    slot = np.where(xb == 1, n_cities, city)
    group = (mcc_idx * 2 + xb) * cat["n_slot"] + slot
    brand = cat["brand_items"][cat["brand_sampler"].sample(rng, group)]
    # store within (brand, city), else anywhere in the brand
    cnt = np.where(xb == 1, 0, cat["pair_count"][brand, city])
    local = cnt > 0
    start = np.where(local, cat["pair_start"][brand, city], cat["brand_start"][brand])
    count = np.where(local, cnt, cat["brand_count"][brand])
    store = start + (rng.random(n) * count).astype(np.int64)
    term = cat["term_start"][store] + (rng.random(n) * cat["n_term"][store]).astype(np.int64)
    # amount: log-normal around the MCC median x brand price factor
    mu = cat["mu"][mcc_idx] + cat["log_price"][brand]
    rub = np.exp(mu + cat["sigma"][mcc_idx] * rng.standard_normal(n))
    step = cat["round_rub"][mcc_idx]
    kop = np.where(
        step > 0,
        np.maximum(np.rint(rub / np.maximum(step, 1)), 1) * step * 100,
        np.rint(rub * 100),
    ).astype(np.int64)
    np.maximum(kop, 100, out=kop)
    online = cat["brand_online"][brand].astype(np.int64)
    mode = cat["mode_sampler"].sample(rng, mcc_idx * 2 + online) % 6
    idx = pl.Series(store, dtype=pl.UInt32)
    out = cat["frame"].select(
        pl.col("store_key").gather(idx),
        pl.col("category").gather(idx),
        pl.col("mcc").gather(idx),
        pl.col("merchant_name").gather(idx),
        pl.col(de43_col).gather(idx).alias("de43"),
        pl.col("merchant_id").gather(idx),
        cat["terminals"].gather(pl.Series(term, dtype=pl.UInt32)).alias("terminal_id"),
        pl.col("city").gather(idx),
        pl.col("country").gather(idx),
    )
    return out.with_columns(
        pl.Series("cross_border", xb.astype(bool)),
        pl.Series("amount_kopecks", kop),
        _MODES.gather(pl.Series(mode, dtype=pl.UInt32)).alias("pos_entry_mode"),
    )


_MODES = pl.Series("pos_entry_mode", POS_ENTRY_MODES, dtype=pl.String)


@functools.cache
def _mcc_sampler(catalog_seed: int) -> _Grouped:
    cat = _catalog(catalog_seed)
    return _Grouped(cat["mcc_cat"], cat["mcc_freq"], len(CATEGORIES))


# --------------------------------------------------------------------------- counterparties


def sample_counterparties(
    rng: np.random.Generator, kind: str, n: int, *, year: int | None = None
) -> pl.DataFrame:
    """``n`` rows of counterparties.csv of one ``kind`` (bank, tax, social_fund, utility,
    telecom, enforcement) drawn by weight; ``year`` keeps rows valid in that year."""
    cp = load_table("counterparties").filter(pl.col("kind") == kind)
    if year is not None:
        cp = cp.filter(
            (pl.col("year_from").is_null() | (pl.col("year_from") <= year))
            & (pl.col("year_to").is_null() | (pl.col("year_to") >= year))
        )
    if cp.height == 0:
        raise ValueError(f"no counterparties of kind {kind!r}" + (f" in {year}" if year else ""))
    w = cp["weight"].to_numpy()
    idx = _choice(rng, w, n)
    return cp[idx]


# --------------------------------------------------------------------------- payment purposes

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def _days_in_month(months: np.ndarray, years: np.ndarray) -> np.ndarray:
    leap = ((years % 4 == 0) & (years % 100 != 0)) | (years % 400 == 0)
    return _DAYS_IN_MONTH[months - 1] + ((months == 2) & leap)


def _ddmmyyyy(d: np.ndarray, m: np.ndarray, y: np.ndarray) -> pl.Series:
    return pl.DataFrame({"d": d, "m": m, "y": y}).select(
        pl.concat_str(
            pl.col("d").cast(pl.String).str.zfill(2),
            pl.lit("."),
            pl.col("m").cast(pl.String).str.zfill(2),
            pl.lit("."),
            pl.col("y").cast(pl.String),
        )
    )[:, 0]


def _rub_text(kopecks: np.ndarray) -> pl.Series:
    """``1 234 567,89`` (space thousands separator, decimal comma)."""
    k = np.asarray(kopecks, dtype=np.int64)
    rub, kop = k // 100, k % 100
    df = pl.DataFrame({"m": rub // 1_000_000, "t": (rub // 1000) % 1000, "r": rub % 1000, "k": kop})
    s = pl.col
    z3 = lambda c: s(c).cast(pl.String).str.zfill(3)  # noqa: E731
    return df.select(
        pl.when(s("m") > 0)
        .then(pl.concat_str(s("m").cast(pl.String), pl.lit(" "), z3("t"), pl.lit(" "), z3("r")))
        .when(s("t") > 0)
        .then(pl.concat_str(s("t").cast(pl.String), pl.lit(" "), z3("r")))
        .otherwise(s("r").cast(pl.String))
        + pl.lit(",")
        + s("k").cast(pl.String).str.zfill(2)
    )[:, 0]


def _inn12(rng: np.random.Generator, n: int) -> pl.Series:
    """Valid 12-digit personal INNs (region prefix from a few large regions)."""
    regions = np.array([77, 50, 78, 54, 66, 16, 52, 74, 23, 61, 63, 2])
    d = np.empty((n, 12), dtype=np.int64)
    reg = regions[rng.integers(0, regions.size, n)]
    d[:, 0], d[:, 1] = reg // 10, reg % 10
    d[:, 2:10] = rng.integers(0, 10, (n, 8))
    w11 = np.array([7, 2, 4, 10, 3, 5, 9, 4, 6, 8])
    w12 = np.array([3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8])
    d[:, 10] = (d[:, :10] @ w11) % 11 % 10
    d[:, 11] = (d[:, :11] @ w12) % 11 % 10
    value = d @ (10 ** np.arange(11, -1, -1, dtype=np.int64))
    return pl.Series(value).cast(pl.String).str.zfill(12)


def uin_check_digit(first19: np.ndarray) -> np.ndarray:
    """Control digit of a 20-digit УИН (weights 1..10 cyclic; on remainder 10 retry with
    weights shifted by two; a second 10 gives 0). ``first19``: int array (n, 19)."""
    pos = np.arange(19)
    r1 = (first19 @ (pos % 10 + 1)) % 11
    r2 = (first19 @ ((pos + 2) % 10 + 1)) % 11
    return np.where(r1 < 10, r1, np.where(r2 < 10, r2, 0))


def _uin(rng: np.random.Generator, n: int) -> pl.Series:
    d = np.empty((n, 20), dtype=np.int64)
    d[:, :3] = (1, 8, 2)
    d[:, 3:19] = rng.integers(0, 10, (n, 16))
    d[:, 19] = uin_check_digit(d[:, :19])
    hi = d[:, :10] @ (10 ** np.arange(9, -1, -1, dtype=np.int64))
    lo = d[:, 10:] @ (10 ** np.arange(9, -1, -1, dtype=np.int64))
    return pl.DataFrame({"h": hi, "l": lo}).select(
        pl.concat_str(
            pl.col("h").cast(pl.String).str.zfill(10), pl.col("l").cast(pl.String).str.zfill(10)
        )
    )[:, 0]


def _field(name: str, rng: np.random.Generator, ctx: dict, m: int) -> pl.Series:
    """Synthesise one placeholder for ``m`` rows (ctx holds the rows' months/years/days)."""
    months, years, days = ctx["months"], ctx["years"], ctx["days"]
    if name == "month":
        return pl.Series(MONTHS_NOM).gather(pl.Series(months - 1, dtype=pl.UInt32))
    if name == "month_gen":
        return pl.Series(MONTHS_GEN).gather(pl.Series(months - 1, dtype=pl.UInt32))
    if name == "year":
        return pl.Series(years).cast(pl.String)
    if name == "prev_year":
        return pl.Series(years - 1).cast(pl.String)
    if name == "mm":
        return pl.Series(months).cast(pl.String).str.zfill(2)
    if name == "date":
        d = days if days is not None else rng.integers(1, 29, m)
        return _ddmmyyyy(np.minimum(d, _days_in_month(months, years)), months, years)
    if name == "period_from":
        return _ddmmyyyy(np.ones(m, dtype=np.int64), months, years)
    if name == "period_to":
        return _ddmmyyyy(_days_in_month(months, years), months, years)
    if name == "contract_date":
        base = ((years - 1970) * 12 + (months - 1)).astype("datetime64[M]").astype("datetime64[D]")
        back = rng.integers(60, 5 * 365, m).astype("timedelta64[D]")
        dt = base - back
        return pl.Series(dt).cast(pl.Date).dt.strftime("%d.%m.%Y")
    if name == "account":
        return _digits(rng, m, 10, first_nonzero=True)
    if name == "contract":
        return _digits(rng, m, 10)
    if name == "doc_no":
        return _digits(rng, m, 6, first_nonzero=True)
    if name == "registry":
        return pl.Series(rng.integers(1, 500, m)).cast(pl.String)
    if name == "card":
        return _digits(rng, m, 4)
    if name == "atm":
        return pl.DataFrame({"a": _digits(rng, m, 6, first_nonzero=True)}).select(
            pl.concat_str(pl.lit("№ "), "a")
        )[:, 0]
    if name == "phone":
        return pl.DataFrame(
            {"a": _digits(rng, m, 2), "b": _digits(rng, m, 2), "c": _digits(rng, m, 2)}
        ).select(pl.concat_str(pl.lit("+7 (9"), "a", pl.lit(") ***-"), "b", pl.lit("-"), "c"))[:, 0]
    if name == "inn":
        return _inn12(rng, m)
    if name == "uin":
        return _uin(rng, m)
    if name == "bank":
        return sample_counterparties(rng, "bank", m)["short_name"]
    if name == "provider":
        return sample_counterparties(rng, "utility", m)["name"]
    if name == "operator":
        return sample_counterparties(rng, "telecom", m)["short_name"]
    if name == "product":
        return pl.Series(DEPOSIT_PRODUCTS).gather(
            pl.Series(rng.integers(0, len(DEPOSIT_PRODUCTS), m), dtype=pl.UInt32)
        )
    if name == "merchant":
        br = load_table("merchant_brands").filter(pl.col("country") == "RU")
        w = br["weight"].to_numpy()
        return br["brand"].gather(pl.Series(_choice(rng, w, m), dtype=pl.UInt32))
    if name == "amount":
        return _rub_text(np.rint(np.exp(np.log(60_000) + 0.6 * rng.standard_normal(m)) * 100))
    raise KeyError(f"no generator for placeholder {{{name}}}")


_KNOWN_FIELDS = frozenset(
    [
        "month",
        "month_gen",
        "year",
        "prev_year",
        "mm",
        "date",
        "period_from",
        "period_to",
        "contract_date",
        "account",
        "contract",
        "doc_no",
        "registry",
        "card",
        "atm",
        "phone",
        "inn",
        "uin",
        "bank",
        "provider",
        "operator",
        "product",
        "merchant",
        "amount",
    ]
)


@functools.cache
def _purpose_model() -> dict:
    pp = load_table("payment_purposes")
    kinds = list(dict.fromkeys(pp["kind"].to_list()))
    parsed = []
    for tmpl in pp["template"].to_list():
        parts = _PLACEHOLDER.split(tmpl)  # literal, name, literal, name, …
        names = parts[1::2]
        unknown = set(names) - _KNOWN_FIELDS
        if unknown:
            raise ValueError(f"payment_purposes.csv: unknown placeholders {unknown} in {tmpl!r}")
        parsed.append(parts)
    yf = pp["year_from"].fill_null(-(10**6)).to_numpy()
    yt = pp["year_to"].fill_null(10**6).to_numpy()
    breaks = np.unique(np.concatenate([yf[yf > -(10**6)], yt[yt < 10**6] + 1]))
    era_start = np.concatenate([[-(10**6) + 1], breaks])
    n_eras = era_start.size
    kind_idx = np.array([kinds.index(k) for k in pp["kind"].to_list()])
    w = pp["weight"].to_numpy()
    g, items, ws = [], [], []
    for k in range(len(kinds)):
        for e in range(n_eras):
            ok = (kind_idx == k) & (yf <= era_start[e]) & (yt >= era_start[e])
            if not ok.any():
                ok = kind_idx == k
            sel = np.flatnonzero(ok)
            g += [k * n_eras + e] * sel.size
            items += sel.tolist()
            ws += w[sel].tolist()
    return {
        "kinds": kinds,
        "parsed": parsed,
        "breaks": breaks,
        "n_eras": n_eras,
        "sampler": _Grouped(np.array(g), np.array(ws), len(kinds) * n_eras),
        "items": np.array(items),
        "table": pp,
    }


def purpose_kinds() -> tuple[str, ...]:
    """Transaction kinds known to :func:`purpose_texts` (integer codes index this tuple)."""
    return tuple(_purpose_model()["kinds"])


def purpose_texts(
    rng: np.random.Generator,
    kinds,
    months,
    years,
    *,
    days=None,
    fields: Mapping[str, object] | None = None,
) -> pl.DataFrame:
    """Payment purposes (НАЗНАЧЕНИЕ_ПЛАТЕЖА) for core-banking postings.

    ``kinds``: per-row kind names from :func:`purpose_kinds` (``salary``, ``sbp_out``,
    ``tax`` …) or their integer codes; ``months`` (1-12) and ``years`` per row or scalars
    (the period the posting refers to; tax templates switch to ЕНП from 2023); ``days``
    optional day of month for ``{date}``. ``fields`` overrides any placeholder with a
    per-row array, e.g. ``{"inn": client_inns, "contract": contract_nos, "bank": names}``;
    ``fields["amount"]`` is taken in kopecks and formatted ``75 000,00``. Placeholders not
    given are synthesised (valid 12-digit INNs, УИН with control digit, masked phones …).

    Returns a DataFrame with ``purpose`` (String), ``doc_cipher`` (01/03/04/09/16/17),
    ``channel`` (ДБО/Офис/Банкомат/Автоматически), ``direction`` (debit/credit from the
    client's account), ``kbk`` (tax rows, else null) and ``template_id`` (row of
    payment_purposes.csv).
    """
    model = _purpose_model()
    kind_idx = _codes(kinds, model["kinds"], "purpose kind")
    n = kind_idx.shape[0]
    months = _as_array(months, n, "months").astype(np.int64)
    years = _as_array(years, n, "years").astype(np.int64)
    if n and (months.min() < 1 or months.max() > 12):
        raise ValueError("months must be in 1..12")
    days_arr = None if days is None else _as_array(days, n, "days").astype(np.int64)
    overrides = {}
    for key, val in (fields or {}).items():
        if key not in _KNOWN_FIELDS:
            raise KeyError(f"unknown placeholder {key!r}")
        arr = val if isinstance(val, pl.Series) else pl.Series(_as_array(val, n, key))
        if arr.len() != n:
            raise ValueError(f"fields[{key!r}] has length {arr.len()}, expected {n}")
        overrides[key] = _rub_text(arr.to_numpy()) if key == "amount" else arr.cast(pl.String)
    era = np.searchsorted(model["breaks"], years, side="right")
    tmpl = model["items"][model["sampler"].sample(rng, kind_idx * model["n_eras"] + era)]
    order = np.argsort(tmpl.astype(np.int16), kind="stable")  # radix sort
    counts = np.bincount(tmpl, minlength=len(model["parsed"]))
    parts_out: list[pl.Series] = []
    pos = 0
    for t, cnt in enumerate(counts):
        if cnt == 0:
            continue
        rows = order[pos : pos + cnt]
        pos += cnt
        ctx = {
            "months": months[rows],
            "years": years[rows],
            "days": None if days_arr is None else days_arr[rows],
        }
        parts = model["parsed"][t]
        cols = {}
        exprs = []
        rows_s = None
        for j, piece in enumerate(parts):
            if j % 2 == 0:
                if piece:
                    exprs.append(pl.lit(piece))
                continue
            col = f"f{j}"
            if piece in overrides:
                if rows_s is None:
                    rows_s = pl.Series(rows, dtype=pl.UInt32)
                cols[col] = overrides[piece].gather(rows_s)
            else:
                cols[col] = _field(piece, rng, ctx, int(cnt))
            exprs.append(pl.col(col))
        if cols:
            text = pl.DataFrame(cols).select(pl.concat_str(exprs).alias("purpose"))[:, 0]
        else:  # constant template
            text = pl.repeat(parts[0], int(cnt), dtype=pl.String, eager=True).alias("purpose")
        parts_out.append(text)
    inverse = np.empty(n, dtype=np.int64)
    inverse[order] = np.arange(n)
    purpose = (
        pl.concat(parts_out).gather(pl.Series(inverse, dtype=pl.UInt32))
        if parts_out
        else pl.Series("purpose", [], dtype=pl.String)
    )
    meta = model["table"].select("doc_cipher", "channel", "direction", "kbk")
    meta = meta[tmpl] if n else meta.clear()
    return pl.concat(
        [
            pl.DataFrame({"purpose": purpose}),
            meta,
            pl.DataFrame({"template_id": tmpl.astype(np.int16)}),
        ],
        how="horizontal",
    )


# --------------------------------------------------------------------------- contact centre


@functools.cache
def _topic_model(channel: str) -> dict:
    if channel == "call":
        t = load_table("contact_topics")
        business = t["business"].to_numpy().astype(bool)
        typical = t["talk_sec"].to_numpy()
        queue = t["queue"].to_numpy().astype(str)
    elif channel == "chat":
        t = load_table("chat_topics")
        business = np.zeros(t.height, dtype=bool)
        typical = t["handle_sec"].to_numpy()
        queue = np.full(t.height, "Чат")
    else:
        raise ValueError("channel must be 'call' or 'chat'")
    w = t["weight"].to_numpy()
    churn = t["churn_signal"].to_numpy().astype(bool)
    # groups: (business client?, churn-signal topic?) -> 4 samplers in one
    g, items, ws = [], [], []
    q0 = np.zeros(2)
    for b in (0, 1):
        wb = np.where(business, w * 10.0, w) if b else np.where(business, 0.0, w)
        q0[b] = wb[churn].sum() / wb.sum()
        for c in (0, 1):
            sel = np.flatnonzero((churn == bool(c)) & (wb > 0))
            g += [b * 2 + c] * sel.size
            items += sel.tolist()
            ws += wb[sel].tolist()
    return {
        "table": t,
        "sampler": _Grouped(np.array(g), np.array(ws), 4),
        "items": np.array(items),
        "q0": q0,
        "typical": typical,
        "queue": queue,
        "churn": churn,
        "complaint": t["complaint_prone"].to_numpy().astype(bool),
        "bot_share": t["bot_share"].to_numpy() if channel == "chat" else None,
    }


def sample_topics(
    rng: np.random.Generator,
    n: int | None,
    churn_pressure,
    *,
    channel: Literal["call", "chat"] = "call",
    business=None,
    vip=None,
    max_churn_share: float = 0.6,
) -> pl.DataFrame:
    """Topics of contact-centre calls (or in-app chats).

    ``churn_pressure`` in 0..1 (scalar or per row) moves probability mass to topics with
    ``churn_signal`` (closing an account or card, certificate of no debt, early repayment,
    deposit closure, complaint, requisites): the churn-topic share rises linearly from its
    base-weight share at 0 to ``max_churn_share`` at 1. ``business`` rows (ИП/ЮЛ clients)
    also get the Бизнес topics; ``vip`` rows are routed to the VIP queue.

    Returns ``topic``, ``topic_name``, ``queue``, ``typical_talk_sec`` (the topic's
    typical talk/handle time), ``talk_sec`` (log-normal around it, σ 0.45),
    ``churn_signal``, ``complaint_prone`` and, for chats, ``bot_handled``.
    """
    model = _topic_model(channel)
    if n is None:
        n = np.asarray(churn_pressure).shape[0]
    p = np.clip(_as_array(churn_pressure, n, "churn_pressure").astype(np.float64), 0.0, 1.0)
    biz = (
        np.zeros(n, dtype=np.int64)
        if business is None or channel == "chat"
        else _as_array(business, n, "business").astype(np.int64)
    )
    q0 = model["q0"][biz]
    if max_churn_share < model["q0"].max():
        raise ValueError("max_churn_share is below the base share of churn topics")
    q = q0 + (max_churn_share - q0) * p
    churn_group = (rng.random(n) < q).astype(np.int64)
    topic = model["items"][model["sampler"].sample(rng, biz * 2 + churn_group)]
    t = model["table"]
    queue = model["queue"][topic]
    if vip is not None:
        queue = np.where(_as_array(vip, n, "vip").astype(bool), "VIP", queue)
    typical = model["typical"][topic]
    talk = np.maximum(
        np.rint(typical * np.exp(0.45 * rng.standard_normal(n) - 0.45**2 / 2)), 10
    ).astype(np.int64)
    idx = pl.Series(topic, dtype=pl.UInt32)
    out = pl.DataFrame(
        {
            "topic": t["topic"].gather(idx),
            "topic_name": t["name_ru"].gather(idx),
            "queue": queue,
            "typical_talk_sec": typical,
            "talk_sec": talk,
            "churn_signal": model["churn"][topic],
            "complaint_prone": model["complaint"][topic],
        }
    )
    if channel == "chat":
        out = out.with_columns(pl.Series("bot_handled", rng.random(n) < model["bot_share"][topic]))
    return out


def sample_outcomes(rng: np.random.Generator, churn_signal, complaint_prone) -> np.ndarray:
    """Call outcomes (resolved, callback, escalated, complaint_registered, offer_made,
    offer_accepted); complaint-prone topics raise complaints/escalations, churn-signal
    topics raise retention offers (multipliers in contact_outcomes.csv)."""
    oc = load_table("contact_outcomes")
    cs = np.asarray(churn_signal).astype(bool)
    cp = _as_array(complaint_prone, cs.shape[0], "complaint_prone").astype(bool)
    w = oc["weight"].to_numpy()
    m_cp = oc["mult_complaint_prone"].to_numpy()
    m_cs = oc["mult_churn_signal"].to_numpy()
    k = w.size
    g, ws = [], []
    for a in (0, 1):
        for b in (0, 1):
            g += [a * 2 + b] * k
            ws += (w * (m_cp if a else 1.0) * (m_cs if b else 1.0)).tolist()
    sampler = _Grouped(np.array(g), np.array(ws), 4)
    pick = sampler.sample(rng, cp.astype(np.int64) * 2 + cs.astype(np.int64)) % k
    return oc["outcome"].to_numpy().astype(str)[pick]


def sample_complaints(rng: np.random.Generator, n: int) -> pl.DataFrame:
    """Complaints: ``category``, ``product``, ``channel`` (call/chat/office/letter/via_cbr),
    ``amount_claimed_kopecks`` (null where no money is claimed) and ``resolution``
    (satisfied/partial/rejected) from complaint_categories.csv / complaint_channels.csv."""
    cc = load_table("complaint_categories")
    ch = load_table("complaint_channels")
    w = cc["weight"].to_numpy()
    idx = _choice(rng, w, n)
    cw = ch["weight"].to_numpy()
    chan = ch["channel"].to_numpy().astype(str)[_choice(rng, cw, n)]
    med = cc["amount_median_rub"].to_numpy()[idx]
    sig = cc["amount_sigma"].to_numpy()[idx]
    amount = np.rint(med * np.exp(sig * rng.standard_normal(n)) * 100).astype(np.int64)
    res_p = cc.select("p_satisfied", "p_partial", "p_rejected").to_numpy()
    res_p = res_p / res_p.sum(axis=1, keepdims=True)
    u = rng.random(n)
    cdf = np.cumsum(res_p, axis=1)[idx]
    res = (u[:, None] >= cdf[:, :2]).sum(axis=1)
    sub = cc[idx]
    return pl.DataFrame(
        {
            "category": sub["category"],
            "product": sub["product"],
            "channel": chan,
            "amount_claimed_kopecks": pl.Series(amount).set(pl.Series(med <= 0), None),
            "resolution": np.array(["satisfied", "partial", "rejected"])[res],
        }
    )
