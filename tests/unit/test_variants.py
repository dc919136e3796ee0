"""Name defects: each kind changes what it should and only that."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.names import default_sampler
from simulator.variants import (
    ADJACENT_KEYS,
    HOMOGLYPHS,
    NAME_VARIANT_KINDS,
    name_variants,
    sample_variant_kinds,
)

pytestmark = pytest.mark.unit

N = 3000


@pytest.fixture(scope="module")
def people():
    rng = np.random.default_rng(42)
    is_male = rng.random(N) < 0.5
    s, f, p = default_sampler().sample(rng, is_male, rng.integers(1940, 2008, N), np.full(N, 77))
    married = default_sampler().married_surnames(rng, np.full(N, 77))
    return s, f, p, is_male, married


def apply(people, kind, seed=0):
    s, f, p, _, married = people
    kinds = np.full(N, kind)
    return name_variants(np.random.default_rng(seed), s, f, p, kinds, married_surnames=married)


def changed_fields(people, out) -> np.ndarray:
    """Boolean [3, N]: which of surname, first name, patronymic differ from the input."""
    return np.stack([people[i] != out[i] for i in range(3)])


def one_edit(a: str, b: str) -> tuple[int, int, int]:
    """(prefix, suffix, len diff) of the single edit that turns a into b."""
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    j = 0
    while j < min(len(a), len(b)) - i and a[len(a) - 1 - j] == b[len(b) - 1 - j]:
        j += 1
    return i, j, len(b) - len(a)


def test_kinds_tuple():
    assert NAME_VARIANT_KINDS[0] == "none"
    assert len(set(NAME_VARIANT_KINDS)) == len(NAME_VARIANT_KINDS) == 12


def test_none_changes_nothing(people):
    out = apply(people, "none")
    assert not changed_fields(people, out).any()


def test_inputs_are_not_modified(people):
    before = [a.copy() for a in people[:3]]
    apply(people, "all_caps")
    apply(people, "yo_to_ye")
    for a, b in zip(before, people[:3], strict=True):
        np.testing.assert_array_equal(a, b)


def test_yo_to_ye():
    s = np.array(["Фёдоров", "Иванов", "Королёва"])
    f = np.array(["Артём", "Иван", "Алёна"])
    p = np.array(["Семёнович", "Петрович", "Пётровна"])
    out = name_variants(np.random.default_rng(0), s, f, p, np.full(3, "yo_to_ye"))
    assert [x.tolist() for x in out] == [
        ["Федоров", "Иванов", "Королева"],
        ["Артем", "Иван", "Алена"],
        ["Семенович", "Петрович", "Петровна"],
    ]


def test_typo_adjacent_key(people):
    out = apply(people, "typo_adjacent_key")
    ch = changed_fields(people, out)
    assert (ch.sum(axis=0) == 1).all()
    assert ch[0].mean() > 0.4  # surname most often
    for i in range(N):
        j = int(np.flatnonzero(ch[:, i])[0])
        a, b = str(people[j][i]), str(out[j][i])
        assert len(a) == len(b)
        diff = [k for k in range(len(a)) if a[k] != b[k]]
        assert len(diff) == 1 and diff[0] > 0
        assert b[diff[0]] in ADJACENT_KEYS[a[diff[0]]]


def test_doubled_letter(people):
    out = apply(people, "doubled_letter")
    ch = changed_fields(people, out)
    assert (ch.sum(axis=0) == 1).all()
    for i in range(N):
        j = int(np.flatnonzero(ch[:, i])[0])
        a, b = str(people[j][i]), str(out[j][i])
        pre, _, d = one_edit(a, b)
        assert d == 1
        # the inserted letter repeats its neighbour and removing it restores the name
        assert b[:pre] + b[pre + 1 :] == a or b[: pre - 1] + b[pre:] == a
        assert any(b[k] == b[k + 1] for k in range(len(b) - 1))


def test_missing_letter(people):
    out = apply(people, "missing_letter")
    ch = changed_fields(people, out)
    assert (ch.sum(axis=0) == 1).all()
    for i in range(N):
        j = int(np.flatnonzero(ch[:, i])[0])
        a, b = str(people[j][i]), str(out[j][i])
        assert len(b) == len(a) - 1 and b[0] == a[0]
        assert any(a[:k] + a[k + 1 :] == b for k in range(1, len(a)))


def test_latin_homoglyph(people):
    out = apply(people, "latin_homoglyph")
    ch = changed_fields(people, out)
    assert (ch.sum(axis=0) == 1).all()
    for i in range(N):
        j = int(np.flatnonzero(ch[:, i])[0])
        a, b = str(people[j][i]), str(out[j][i])
        assert len(a) == len(b)
        diff = [k for k in range(len(a)) if a[k] != b[k]]
        assert 1 <= len(diff) <= 2
        for k in diff:
            assert HOMOGLYPHS[a[k]] == b[k] and b[k].isascii()
        # visually still the same word: folding Latin back gives the original
        back = {v: c for c, v in HOMOGLYPHS.items()}
        assert "".join(back.get(c, c) if c.isascii() else c for c in b) == a


def test_missing_patronymic(people):
    out = apply(people, "missing_patronymic")
    ch = changed_fields(people, out)
    assert not ch[:2].any()
    assert (out[2] == "").all()


def test_initials(people):
    s, f, p, *_ = people
    out = apply(people, "initials")
    np.testing.assert_array_equal(out[0], s)
    assert out[1].tolist() == [x[0] + "." for x in f.tolist()]
    assert out[2].tolist() == [x[0] + "." if x else "" for x in p.tolist()]


def test_swapped_order(people):
    s, f, p, *_ = people
    out = apply(people, "swapped_order")
    np.testing.assert_array_equal(out[0], f)
    np.testing.assert_array_equal(out[1], s)
    np.testing.assert_array_equal(out[2], p)


def test_all_caps(people):
    out = apply(people, "all_caps")
    for i in range(3):
        np.testing.assert_array_equal(out[i], np.strings.upper(people[i]))
    assert changed_fields(people, out).all()


def test_extra_spaces(people):
    out = apply(people, "extra_spaces")
    ch = changed_fields(people, out)
    assert ch.any(axis=0).all()
    for i in range(3):
        np.testing.assert_array_equal(np.strings.strip(out[i]), people[i])


def test_married_surname(people):
    s, f, p, _, married = people
    out = apply(people, "married_surname")
    np.testing.assert_array_equal(out[0], married)
    np.testing.assert_array_equal(out[1], f)
    np.testing.assert_array_equal(out[2], p)
    with pytest.raises(ValueError, match="married_surnames"):
        name_variants(np.random.default_rng(0), s, f, p, np.full(N, "married_surname"))


def test_mixed_kinds_touch_only_their_rows(people):
    s, f, p, _, married = people
    kinds = np.asarray(NAME_VARIANT_KINDS)[np.arange(N) % len(NAME_VARIANT_KINDS)]
    out = name_variants(np.random.default_rng(1), s, f, p, kinds, married_surnames=married)
    ch = changed_fields(people, out)
    assert not ch[:, kinds == "none"].any()
    for kind in ("all_caps", "swapped_order", "initials", "typo_adjacent_key"):
        assert ch[:, kinds == kind].any(axis=0).all()


def test_unknown_kind_is_rejected(people):
    s, f, p, *_ = people
    with pytest.raises(ValueError, match="unknown"):
        name_variants(np.random.default_rng(0), s, f, p, np.full(N, "leetspeak"))


def test_deterministic(people):
    s, f, p, _, married = people
    kinds = np.asarray(NAME_VARIANT_KINDS)[np.arange(N) % len(NAME_VARIANT_KINDS)]
    a = name_variants(np.random.default_rng(5), s, f, p, kinds, married_surnames=married)
    b = name_variants(np.random.default_rng(5), s, f, p, kinds, married_surnames=married)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)


def test_sample_variant_kinds_respects_applicability(people):
    s, f, p, is_male, _ = people
    rng = np.random.default_rng(6)
    kinds = sample_variant_kinds(rng, s, f, p, rate=0.5, is_male=is_male)
    assert 0.45 < (kinds != "none").mean() < 0.55
    has_yo = np.array([("ё" in a + b + c) for a, b, c in zip(s, f, p, strict=True)])
    assert not ((kinds == "yo_to_ye") & ~has_yo).any()
    assert (kinds == "yo_to_ye").any()
    assert not ((kinds == "married_surname") & is_male).any()
    assert (kinds == "married_surname").any()
    none_for_men = sample_variant_kinds(rng, s, f, p, rate=0.5)
    assert not (none_for_men == "married_surname").any()
    assert set(kinds.tolist()) <= set(NAME_VARIANT_KINDS)
