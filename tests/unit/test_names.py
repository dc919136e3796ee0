"""Names: realistic frequencies, gendered surnames, patronymics, diminutives, card names."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pytest

from simulator.contacts import sample_regions
from simulator.names import (
    GROUPS,
    NameSampler,
    default_sampler,
    diminutives,
    gendered_surname,
    patronymic_pair,
    patronymics_from,
)
from simulator.translit import (
    EMBOSS_ALLOWED,
    EMBOSS_MAX_LEN,
    EMBOSS_SCHEMES,
    emboss_word,
    embossed_names,
    latin_email_stem,
)

pytestmark = pytest.mark.unit

N = 100_000


@pytest.fixture(scope="module")
def sampler() -> NameSampler:
    return default_sampler()


@pytest.fixture(scope="module")
def population(sampler):
    rng = np.random.default_rng(20240601)
    regions = sample_regions(rng, N)
    is_male = rng.random(N) < 0.46
    years = rng.integers(1935, 2011, N)
    names = sampler.sample_detailed(rng, is_male, years, regions)
    return is_male, years, regions, names


# -- surnames ---------------------------------------------------------------------------------


def test_top_surname_share_is_plausible(population):
    _, _, _, names = population
    share = np.isin(names.surnames, ["Иванов", "Иванова"]).mean()
    assert 0.01 <= share <= 0.02


def test_surname_head_is_zipf_like_not_uniform(population):
    _, _, _, names = population
    counts = Counter(names.surname_base.tolist())
    top10 = sum(c for _, c in counts.most_common(10)) / N
    uniform_top10 = 10 / len(counts)
    assert top10 > 0.05
    assert top10 > 20 * uniform_top10
    ranked = [s for s, _ in counts.most_common(12)]
    for common in ("Иванов", "Смирнов", "Кузнецов", "Попов"):
        assert common in ranked
    # a long tail: tens of thousands of distinct surnames, most of them rare
    assert len(counts) > 20_000
    assert sum(1 for c in counts.values() if c <= 2) > 0.5 * len(counts)


def test_women_carry_female_surname_forms(population):
    is_male, _, _, names = population
    women = names.surnames[~is_male]
    assert "Иванова" in set(women.tolist())
    assert not np.isin(women, ["Иванов", "Смирнов", "Кузнецов"]).any()
    np.testing.assert_array_equal(names.surnames, gendered_surname(names.surname_base, is_male))


@pytest.mark.parametrize(
    ("male", "female"),
    [
        ("Иванов", "Иванова"),
        ("Королёв", "Королёва"),
        ("Пушкин", "Пушкина"),
        ("Солженицын", "Солженицына"),
        ("Достоевский", "Достоевская"),
        ("Высоцкий", "Высоцкая"),
        ("Донской", "Донская"),
        ("Толстой", "Толстая"),
        ("Заболотный", "Заболотная"),
        ("Шевченко", "Шевченко"),
        ("Черных", "Черных"),
        ("Долгих", "Долгих"),
        ("Ковальчук", "Ковальчук"),
        ("Гаврилюк", "Гаврилюк"),
        ("Макаревич", "Макаревич"),
        ("Гелашвили", "Гелашвили"),
        ("Беридзе", "Беридзе"),
        ("Григорян", "Григорян"),
        ("Ким", "Ким"),
        ("Цой", "Цой"),
        ("Дурново", "Дурново"),
        ("Хабибуллин", "Хабибуллина"),
        ("Римский-Корсаков", "Римская-Корсакова"),
        ("ИВАНОВ", "ИВАНОВА"),
    ],
)
def test_gendered_surname_rules(male, female):
    out = gendered_surname(np.array([male, male]), np.array([True, False]))
    assert out.tolist() == [male, female]


def test_gendered_surname_keeps_female_forms():
    out = gendered_surname(np.array(["Иванова", "Толстая"]), np.array([False, False]))
    assert out.tolist() == ["Иванова", "Толстая"]


# -- first names ------------------------------------------------------------------------------


def _top(names, mask, k=10):
    return [n for n, _ in Counter(names[mask].tolist()).most_common(k)]


def test_first_names_follow_birth_decade(population):
    is_male, years, _, names = population
    first = names.first_names
    old_f = ~is_male & (years < 1950)
    young_f = ~is_male & (years >= 2000)
    old_top = _top(first, old_f)
    young_top = _top(first, young_f)
    for name in ("Галина", "Валентина", "Людмила", "Нина"):
        assert name in old_top
    for name in ("Анастасия", "Мария", "Дарья"):
        assert name in young_top
    assert "Софья" in _top(first, young_f, 15) or "София" in _top(first, young_f, 15)
    assert (first[old_f] == "Галина").mean() > 0.04
    assert (first[young_f] == "Галина").mean() < 0.005
    men_top = _top(first, is_male & (years >= 1950) & (years < 1990), 8)
    for name in ("Александр", "Сергей", "Дмитрий", "Андрей", "Алексей", "Владимир"):
        assert name in men_top
    # realistic, not uniform: the 10 most common names cover a large share
    assert np.isin(first[is_male], _top(first, is_male)).mean() > 0.35


def test_name_groups_follow_regions(population, sampler):
    *_, names = population
    non_slavic = (names.groups != 0).mean()
    assert 0.08 <= non_slavic <= 0.13
    rng = np.random.default_rng(3)
    tatarstan = sampler.sample_groups(rng, np.full(20_000, 16))
    moscow = sampler.sample_groups(rng, np.full(20_000, 77))
    assert (tatarstan == GROUPS.index("tatar_bashkir")).mean() > 0.35
    assert (moscow != 0).mean() < 0.1
    tat_names = Counter(names.first_names[names.groups == GROUPS.index("tatar_bashkir")].tolist())
    assert {"Рустам", "Ринат", "Гульнара"} & set(tat_names)


def test_sample_is_deterministic(sampler):
    args = (np.array([True, False] * 500), np.full(1000, 1980), np.full(1000, 16))
    a = sampler.sample(np.random.default_rng(7), *args)
    b = sampler.sample(np.random.default_rng(7), *args)
    c = sampler.sample(np.random.default_rng(8), *args)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a[0], c[0])


# -- patronymics ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("father", "male", "female"),
    [
        ("Иван", "Иванович", "Ивановна"),
        ("Никита", "Никитич", "Никитична"),
        ("Илья", "Ильич", "Ильинична"),
        ("Лев", "Львович", "Львовна"),
        ("Павел", "Павлович", "Павловна"),
        ("Пётр", "Петрович", "Петровна"),
        ("Петр", "Петрович", "Петровна"),
        ("Михаил", "Михайлович", "Михайловна"),
        ("Сергей", "Сергеевич", "Сергеевна"),
        ("Алексей", "Алексеевич", "Алексеевна"),
        ("Николай", "Николаевич", "Николаевна"),
        ("Юрий", "Юрьевич", "Юрьевна"),
        ("Анатолий", "Анатольевич", "Анатольевна"),
        ("Дмитрий", "Дмитриевич", "Дмитриевна"),
        ("Георгий", "Георгиевич", "Георгиевна"),
        ("Леонтий", "Леонтьевич", "Леонтьевна"),
        ("Игорь", "Игоревич", "Игоревна"),
        ("Кузьма", "Кузьмич", "Кузьминична"),
        ("Фома", "Фомич", "Фоминична"),
        ("Яков", "Яковлевич", "Яковлевна"),
        ("Савва", "Саввич", "Саввична"),
        ("Артём", "Артёмович", "Артёмовна"),
        ("Рамиль", "Рамилевич", "Рамилевна"),
        ("Али", "Алиевич", "Алиевна"),
        ("Абдулла", "Абдуллаевич", "Абдуллаевна"),
        ("Ринат", "Ринатович", "Ринатовна"),
    ],
)
def test_patronymic_rules(father, male, female):
    assert patronymic_pair(father) == (male, female)
    out = patronymics_from(np.array([father, father]), np.array([True, False]))
    assert out.tolist() == [male, female]


def test_sampled_patronymics_come_from_fathers(population):
    is_male, _, _, names = population
    np.testing.assert_array_equal(
        names.patronymics, patronymics_from(names.father_first_names, is_male)
    )
    assert np.char.endswith(names.patronymics[is_male], "ич").all()
    assert np.char.endswith(names.patronymics[~is_male], "на").all()


# -- diminutives ------------------------------------------------------------------------------


def test_diminutives():
    rng = np.random.default_rng(1)
    names = np.array(["Александр"] * 2000 + ["Евгений", "Наталья", "Олег", "Гульнара"])
    out = diminutives(names, rng)
    assert set(out[:2000].tolist()) == {"Саша", "Шура", "Саня"}
    assert (out[:2000] == "Саша").mean() > 0.6
    assert out[2000:].tolist() == ["Женя", "Наташа", "Олег", "Гуля"]
    np.testing.assert_array_equal(out, diminutives(names, np.random.default_rng(1)))


# -- card names -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scheme", "expected"),
    [
        ("icao_doc_9303", ["IURII PODIEIACHEV", "NATALIA TSVETKOVA"]),
        ("gost_52535", ["IURII PODIACHEV", "NATALIA TCVETKOVA"]),
        ("mvd_310", ["YURIY PODYACHEV", "NATAL'YA TSVETKOVA"]),
    ],
)
def test_embossed_reference_names(scheme, expected):
    out = embossed_names(np.array(["Юрий", "Наталья"]), np.array(["Подъячев", "Цветкова"]), scheme)
    assert out.tolist() == expected


def test_embossed_names_charset_and_length(population):
    _, _, _, names = population
    rng = np.random.default_rng(5)
    schemes = np.asarray(list(EMBOSS_SCHEMES))[rng.integers(0, 3, N)]
    out = embossed_names(names.first_names, names.surnames, schemes)
    assert (np.strings.str_len(out) <= EMBOSS_MAX_LEN).all()
    assert (np.strings.str_len(out) > 0).all()
    assert all(EMBOSS_ALLOWED.match(x) for x in set(out.tolist()))
    # given name first, then the surname, no patronymic (rows that needed no shortening)
    for i in range(300):
        first = emboss_word(str(names.first_names[i]), str(schemes[i]))
        last = emboss_word(str(names.surnames[i]), str(schemes[i]))
        if len(first) + 1 + len(last) <= EMBOSS_MAX_LEN:
            assert out[i] == f"{first} {last}"


def test_embossed_long_names_are_shortened():
    out = embossed_names(
        np.array(["Александра", "Константин"]),
        np.array(["Преображенская-Вознесенская", "Иванов"]),
        np.array(["icao_doc_9303", "icao_doc_9303"]),
    )
    assert out[0] == "A. PREOBRAZHENSKAIA-VOZNES"
    assert len(out[0]) == EMBOSS_MAX_LEN
    assert out[1] == "KONSTANTIN IVANOV"


def test_embossed_rejects_unknown_scheme():
    with pytest.raises(ValueError, match="unknown"):
        embossed_names(np.array(["Иван"]), np.array(["Петров"]), "wikipedia")


def test_latin_email_stem_is_plain_ascii():
    out = latin_email_stem(np.array(["Наталья", "Подъячев", "Артём", "Щукин"]))
    assert out.tolist() == ["natalya", "podyachev", "artyom", "shchukin"]
    assert all(re.fullmatch("[a-z]+", x) for x in out.tolist())
