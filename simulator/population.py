"""The people and companies behind every record: latent traits, households and identities.

Look-alikes are made on purpose, because telling different people apart matters as much as
joining one person's records: couples share an address and a landline and sometimes an e-mail,
a wife usually takes her husband's surname, adult children live with their parents and carry
the father's name in their patronymic (some sons have the father's full name), and twins share
a surname, patronymic, birth date and address.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

from cdp import identifiers as ids
from simulator import business, contacts, names, translit
from simulator.config import SimulationParams
from simulator.rng import stream

AGE_BANDS = np.array([18, 25, 35, 45, 55, 65, 86])
AGE_WEIGHTS = np.array([0.09, 0.20, 0.22, 0.18, 0.16, 0.15])
SHARE_MALE = 0.46
SHARE_JOINED_DURING_HISTORY = 0.22
SHARE_COUPLES = 0.36
SHARE_ADULT_CHILDREN = 0.07
SHARE_TWINS = 0.004
SHARE_JUNIOR_SAME_NAME = 0.06
SHARE_SOLE_PROPRIETORS = 0.035
PERSONS_PER_COMPANY = 25
SHARE_SALARY_PROJECT_EMPLOYEES = 0.24
SHARE_INN_KNOWN = 0.78
SHARE_SNILS_KNOWN = 0.55


def days(d: dt.date) -> int:
    return (d - dt.date(1970, 1, 1)).days


@dataclass
class Population:
    persons: pl.DataFrame
    companies: pl.DataFrame


def build_population(params: SimulationParams) -> Population:
    persons = _persons(params)
    companies = _companies(params, persons.height)
    persons = _employment(params, persons, companies)
    return Population(persons=persons, companies=companies)


def _persons(params: SimulationParams) -> pl.DataFrame:
    n = params.persons
    rng = stream(params.seed, "persons")
    today = days(params.business_date)
    band = rng.choice(len(AGE_WEIGHTS), size=n, p=AGE_WEIGHTS / AGE_WEIGHTS.sum())
    age = rng.uniform(AGE_BANDS[band], AGE_BANDS[band + 1])
    birth = (today - age * 365.25).astype(np.int64)
    is_male = rng.random(n) < SHARE_MALE
    region = contacts.sample_regions(rng, n)
    okato = contacts.okato_codes(region)
    city_factor = np.where(region == 77, 1.6, np.where(region == 78, 1.3, 1.0))
    life_curve = np.exp(-(((age - 42) / 22) ** 2))
    income = np.exp(rng.normal(np.log(42_000), 0.55, n)) * city_factor * (0.55 + 0.6 * life_curve)
    income = np.where(age >= 65, income * 0.55, income)
    digital = _sigmoid(2.2 - 0.065 * (age - 30) + rng.normal(0, 1.0, n))
    satisfaction = rng.beta(5, 2, n)
    price_sensitivity = rng.beta(2, 2, n)
    risk = rng.beta(2, 5, n)

    first_year = days(params.history_start)
    joined_during = rng.random(n) < SHARE_JOINED_DURING_HISTORY
    tenure_days = rng.exponential(5.5 * 365, n)
    adult_since = birth + int(18 * 365.25)
    join_before = np.maximum(first_year - 1 - tenure_days, adult_since).astype(np.int64)
    join_during = rng.integers(first_year, today + 1, n)
    join = np.where(joined_during, np.maximum(join_during, adult_since), join_before)

    birth_years = (1970 + birth / 365.25).astype(np.int64)
    sampler = names.default_sampler()
    surname, first, patronymic = sampler.sample(rng, is_male, birth_years, region)
    frame = pl.DataFrame(
        {
            "person_id": np.arange(n, dtype=np.int64),
            "is_male": is_male,
            "birth_day": birth,
            "region_code": region.astype(np.int64),
            "okato": okato.astype(np.int64),
            "income_rub": np.round(income, -2),
            "digital": digital,
            "satisfaction": satisfaction,
            "price_sensitivity": price_sensitivity,
            "risk": risk,
            "join_day": join.astype(np.int64),
            "surname": surname,
            "first_name": first,
            "patronymic": patronymic,
        }
    )
    frame = _households(frame, stream(params.seed, "households"), sampler, today)
    return _identities(frame, params)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _households(frame: pl.DataFrame, rng: np.random.Generator, sampler, today: int) -> pl.DataFrame:
    """Pair people into couples, attach adult children and twins; rewrite names to match."""
    n = frame.height
    is_male = frame["is_male"].to_numpy().copy()
    age = (today - frame["birth_day"].to_numpy()) / 365.25
    region = frame["region_code"].to_numpy().copy()
    surname = frame["surname"].to_numpy().astype(object)
    first = frame["first_name"].to_numpy().astype(object)
    patronymic = frame["patronymic"].to_numpy().astype(object)
    birth = frame["birth_day"].to_numpy().copy()
    maiden = surname.copy()
    household = np.arange(n, dtype=np.int64)
    role = np.full(n, "single", dtype=object)
    spouse = np.full(n, -1, dtype=np.int64)

    free = np.ones(n, dtype=bool)
    adults = (age >= 22) & (age <= 80)
    k = int(n * SHARE_COUPLES / 2)
    men = rng.permutation(np.flatnonzero(adults & is_male))[:k]
    women = rng.permutation(np.flatnonzero(adults & ~is_male))[:k]
    k = min(len(men), len(women))
    men = men[np.lexsort((age[men[:k]], region[men[:k]]))]
    women = women[np.lexsort((age[women[:k]] + 2, region[women[:k]]))]
    household[women] = household[men]
    region[women] = region[men]
    role[men], role[women] = "husband", "wife"
    spouse[men], spouse[women] = women, men
    takes_name = rng.random(k) < 0.85
    surname[women[takes_name]] = names.gendered_surname(
        surname[men[takes_name]], np.zeros(takes_name.sum(), dtype=bool)
    )
    free[men] = free[women] = False

    candidates = np.flatnonzero(free & (age >= 18) & (age <= 34))
    children = rng.permutation(candidates)[: int(n * SHARE_ADULT_CHILDREN)]
    fathers = men[np.argsort(age[men])]
    want = age[children] + 27
    pick = np.clip(np.searchsorted(age[fathers], want), 0, len(fathers) - 1)
    father = fathers[pick]
    ok = (age[father] - age[children] >= 18) & (age[father] - age[children] <= 45)
    children, father = children[ok], father[ok]
    household[children] = household[father]
    region[children] = region[father]
    role[children] = "child"
    surname[children] = names.gendered_surname(surname[father], is_male[children])
    maiden[children] = surname[children]
    junior = is_male[children] & (rng.random(len(children)) < SHARE_JUNIOR_SAME_NAME)
    first[children[junior]] = first[father[junior]]
    patronymic[father[junior]] = names.patronymics_from(
        first[father[junior]], np.ones(junior.sum(), dtype=bool)
    )
    patronymic[children] = names.patronymics_from(first[father], is_male[children])
    free[children] = False

    singles = np.flatnonzero(free & (age >= 18) & (age <= 60))
    twins_a = rng.permutation(singles)[: int(n * SHARE_TWINS / 2) * 2].reshape(-1, 2)
    a, b = twins_a[:, 0], twins_a[:, 1]
    household[b], region[b], birth[b] = household[a], region[a], birth[a]
    is_male[b] = is_male[a]
    surname[b] = maiden[b] = surname[a]
    patronymic[b] = patronymic[a]
    role[a] = role[b] = "twin"
    twin_first, _, _ = sampler.sample(rng, is_male[b], np.full(len(b), 1990), region[b])
    del twin_first
    _, first_b, _ = sampler.sample(
        rng, is_male[b], (1970 + birth[b] / 365.25).astype(int), region[b]
    )
    same = first_b == first[a]
    first_b[same] = np.where(is_male[b][same], "Александр", "Анна")
    first[b] = first_b

    return frame.with_columns(
        pl.Series("is_male", is_male),
        pl.Series("birth_day", birth),
        pl.Series("region_code", region),
        pl.Series("surname", surname.astype(str)),
        pl.Series("maiden_surname", maiden.astype(str)),
        pl.Series("first_name", first.astype(str)),
        pl.Series("patronymic", patronymic.astype(str)),
        pl.Series("household_id", household),
        pl.Series("household_role", role.astype(str)),
        pl.Series("spouse_id", spouse),
    )


def _identities(frame: pl.DataFrame, params: SimulationParams) -> pl.DataFrame:
    """Documents, tax numbers and contacts. Household members share address and landline."""
    rng = stream(params.seed, "identities")
    n = frame.height
    region = frame["region_code"].to_numpy().copy()
    okato = frame["okato"].to_numpy()
    birth = frame["birth_day"].to_numpy()
    today = days(params.business_date)
    serials = rng.permutation(n)
    inn = ids.inn_individual(rng, serials, region)
    snils = ids.snils(rng, rng.permutation(n))

    age_days = today - birth
    replacement_age = np.where(
        age_days >= 45 * 365.25, 45, np.where(age_days >= 20 * 365.25, 20, 14)
    )
    issue_day = birth + (replacement_age * 365.25).astype(np.int64) + rng.integers(10, 120, n)
    issue_day = np.minimum(issue_day, today - 1)
    issue_year = (1970 + issue_day / 365.25).astype(np.int64)
    prev_age = np.where(replacement_age == 45, 20, 14)
    prev_issue_day = birth + (prev_age * 365.25).astype(np.int64) + rng.integers(10, 120, n)
    prev_year = (1970 + prev_issue_day / 365.25).astype(np.int64)

    household = frame["household_id"].to_numpy()
    _, head = np.unique(household, return_index=True)
    head_of = head[np.searchsorted(np.unique(household), household)]
    address = contacts.addresses(rng, region)[head_of]
    landline = contacts.landline_phones(rng, region)[head_of]
    has_landline = rng.random(n) < 0.18
    mobile = contacts.mobile_phones(rng, n)

    first_lat = translit.latin_email_stem(frame["first_name"].to_numpy())
    last_lat = translit.latin_email_stem(frame["surname"].to_numpy())
    email = contacts.emails(rng, last_lat, first_lat, (1970 + birth / 365.25).astype(np.int64))
    has_email = rng.random(n) < np.clip(0.35 + 0.6 * frame["digital"].to_numpy(), 0, 0.97)
    wives = frame["household_role"].to_numpy() == "wife"
    joint = wives & (rng.random(n) < 0.12)
    spouse = frame["spouse_id"].to_numpy()
    email = np.where(joint, email[np.maximum(spouse, 0)], email)

    return frame.with_columns(
        pl.Series("inn", inn.astype(str)),
        pl.Series("snils", snils.astype(str)),
        pl.Series("has_inn_on_file", rng.random(n) < SHARE_INN_KNOWN),
        pl.Series("has_snils_on_file", rng.random(n) < SHARE_SNILS_KNOWN),
        pl.Series("passport_series", contacts.passport_series(okato, issue_year).astype(str)),
        pl.Series("passport_number", contacts.passport_numbers(rng, n).astype(str)),
        pl.Series("passport_issue_day", issue_day),
        pl.Series("prev_passport_issue_day", prev_issue_day),
        pl.Series("prev_passport_series", contacts.passport_series(okato, prev_year).astype(str)),
        pl.Series("prev_passport_number", contacts.passport_numbers(rng, n).astype(str)),
        pl.Series("division_code", contacts.division_codes(region, rng).astype(str)),
        pl.Series("address", address.astype(str)),
        pl.Series("mobile_phone", mobile.astype(str)),
        pl.Series("landline_phone", np.where(has_landline, landline, "").astype(str)),
        pl.Series("email", np.where(has_email | joint, email, "").astype(str)),
        pl.Series("email_is_joint", joint),
    )


def _companies(params: SimulationParams, persons: int) -> pl.DataFrame:
    """Legal entities (ЮЛ): some in holding groups; employers of salary-project clients."""
    rng = stream(params.seed, "companies")
    today = days(params.business_date)
    n = max(20, persons // PERSONS_PER_COMPANY)
    region = contacts.sample_regions(rng, n)
    forms = business.sample_legal_forms(rng, n)
    name = business.company_names(rng, n, forms.short_name)
    join_day = np.minimum(days(dt.date(2005, 1, 1)) + rng.integers(0, 7000, n), today - 1)
    reg_year = np.maximum(1995, 1970 + join_day // 365 - rng.integers(0, 12, n))
    inn = ids.inn_legal(rng, rng.permutation(n), region)
    parent = np.full(n, -1, dtype=np.int64)
    is_sub = rng.random(n) < 0.10
    parents = np.flatnonzero(~is_sub)
    parent[is_sub] = rng.choice(parents, size=is_sub.sum())
    name = name.astype(object)
    name[is_sub] = business.subsidiary_names(rng, name[parent[is_sub]])
    employees = np.maximum(1, rng.lognormal(2.2, 1.3, n)).astype(np.int64)
    return pl.DataFrame(
        {
            "company_id": np.arange(n, dtype=np.int64),
            "name": name.astype(str),
            "okopf": forms.okopf,
            "legal_form": forms.short_name,
            "okved": business.sample_okved(rng, n),
            "region_code": region.astype(np.int64),
            "inn": inn.astype(str),
            "kpp": ids.kpp(inn, rng).astype(str),
            "ogrn": ids.ogrn(rng, rng.permutation(n), reg_year, region).astype(str),
            "registration_year": reg_year,
            "parent_company_id": parent,
            "employees": employees,
            "has_salary_project": (employees >= 8) & (rng.random(n) < 0.45),
            "join_day": join_day,
            "address": contacts.addresses(rng, region).astype(str),
            "phone": contacts.landline_phones(rng, region).astype(str),
        }
    )


def _employment(
    params: SimulationParams, persons: pl.DataFrame, companies: pl.DataFrame
) -> pl.DataFrame:
    """Salary clients work for a company with a salary project; a few persons are also ИП."""
    rng = stream(params.seed, "employment")
    n = persons.height
    age = (days(params.business_date) - persons["birth_day"].to_numpy()) / 365.25
    working = (age >= 18) & (age < 63)
    employers = np.flatnonzero(companies["has_salary_project"].to_numpy())
    weights = companies["employees"].to_numpy()[employers].astype(float)
    salary = working & (rng.random(n) < SHARE_SALARY_PROJECT_EMPLOYEES) & (len(employers) > 0)
    employer = np.full(n, -1, dtype=np.int64)
    if len(employers):
        employer[salary] = rng.choice(employers, size=salary.sum(), p=weights / weights.sum())
    salary_day = rng.choice([5, 10, 15], size=n)
    is_ip = working & (age >= 23) & (rng.random(n) < SHARE_SOLE_PROPRIETORS / 0.8)
    return persons.with_columns(
        pl.Series("employer_company_id", employer),
        pl.Series("salary_day", salary_day),
        pl.Series("is_sole_proprietor", is_ip),
    )
