"""Field-level defects injected into person records, each logged in the ground truth.

Rates follow the bank's own experience of dirty client data (shared/reference/source-systems.md
§1.6): name variants 3–10 % of name fields, invalid phones and e-mails 2–5 %, missing mandatory
fields 1–5 %, wrong check digits 0.5–1 %.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from cdp import identifiers as ids
from simulator import contacts, variants


@dataclass(frozen=True)
class DefectRates:
    name_variant: float = 0.05
    invalid_phone: float = 0.035
    invalid_email: float = 0.03
    missing_mandatory: float = 0.025
    wrong_check_digit: float = 0.008


NAME_KIND_WEIGHTS = {
    kind: weight
    for kind, weight in variants.DEFAULT_KIND_WEIGHTS.items()
    if kind not in ("all_caps", "married_surname")
}
"""Variant kinds injected as defects; capitals (legacy records) and maiden names (records from
before a marriage) are applied by the extract writers where they really arise."""


@dataclass
class DefectLog:
    """Collects ``(system, entity, record_id, field, defect_type, original, injected)`` rows."""

    frames: list[pl.DataFrame] = field(default_factory=list)

    def add(self, system, entity, record_ids, field_name, kinds, original, injected) -> None:
        if len(record_ids) == 0:
            return
        self.frames.append(
            pl.DataFrame(
                {
                    "system": np.full(len(record_ids), system),
                    "entity": np.full(len(record_ids), entity),
                    "record_id": np.asarray(record_ids).astype(str),
                    "field": np.full(len(record_ids), field_name),
                    "defect_type": np.asarray(kinds).astype(str),
                    "original_value": np.asarray(original).astype(str),
                    "injected_value": np.asarray(injected).astype(str),
                }
            )
        )


def pick(rng: np.random.Generator, n: int, rate, eligible=None) -> np.ndarray:
    """Indices of records hit by a defect; ``rate`` may be a scalar or one rate per record."""
    mask = rng.random(n) < rate
    if eligible is not None:
        mask &= eligible
    return np.flatnonzero(mask)


def inject_name_variants(rng, log: DefectLog, system, entity, record_ids, names, rate):
    """Apply one variant kind to ``rate`` (scalar or per record) of the records, where the kind
    can apply; ``names`` is (surname, first name, patronymic)."""
    surname, first, patronymic = (np.asarray(a, dtype=object).copy() for a in names)
    all_kinds = variants.sample_variant_kinds(
        rng, surname, first, patronymic, rate, weights=NAME_KIND_WEIGHTS
    )
    idx = np.flatnonzero(all_kinds != "none")
    kinds = all_kinds[idx]
    new = variants.name_variants(rng, surname[idx], first[idx], patronymic[idx], kinds)
    for j, (field_name, before) in enumerate(
        (("surname", surname), ("first_name", first), ("patronymic", patronymic))
    ):
        changed = new[j].astype(object) != before[idx]
        log.add(
            system,
            entity,
            np.asarray(record_ids)[idx][changed],
            field_name,
            kinds[changed],
            before[idx][changed],
            new[j][changed],
        )
        before[idx] = new[j]
    return surname, first, patronymic


def inject_invalid_phones(rng, log, system, entity, record_ids, e164, rate, styles):
    """Raw phone field: the system's own spellings of the true number, or an invalid value."""
    e164 = np.asarray(e164).astype(str)
    raw = np.full(len(e164), "", dtype=object)
    present = np.flatnonzero(e164 != "")
    raw[present] = contacts.format_phones(rng, e164[present], styles)
    idx = pick(rng, len(e164), rate, e164 != "")
    bad, kinds = contacts.invalid_phones(rng, e164[idx])
    log.add(system, entity, np.asarray(record_ids)[idx], "phone", kinds, e164[idx], bad)
    raw[idx] = bad
    return raw


def inject_invalid_emails(rng, log, system, entity, record_ids, emails, rate):
    emails = np.asarray(emails, dtype=object).copy()
    idx = pick(rng, len(emails), rate, emails != "")
    bad, kinds = contacts.invalid_emails(rng, emails[idx].astype(str))
    log.add(system, entity, np.asarray(record_ids)[idx], "email", kinds, emails[idx], bad)
    emails[idx] = bad
    return emails


def inject_wrong_check_digit(rng, log, system, entity, record_ids, values, field_name, rate):
    values = np.asarray(values, dtype=object).copy()
    idx = pick(rng, len(values), rate, values != "")
    if len(idx):
        bad = ids.corrupt_check_digit(values[idx].astype(str), rng)
        log.add(
            system,
            entity,
            np.asarray(record_ids)[idx],
            field_name,
            np.full(len(idx), "wrong_check_digit"),
            values[idx],
            bad,
        )
        values[idx] = bad
    return values


def inject_missing(rng, log, system, entity, record_ids, values, field_name, idx, placeholder=""):
    values = np.asarray(values, dtype=object).copy()
    log.add(
        system,
        entity,
        np.asarray(record_ids)[idx],
        field_name,
        np.full(len(idx), "missing_mandatory" if placeholder == "" else "placeholder_value"),
        values[idx],
        np.full(len(idx), placeholder),
    )
    values[idx] = placeholder
    return values
