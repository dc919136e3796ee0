"""Great Expectations suites for the raw tables, derived from the file contracts.

Thresholds are the bank's data standard: at least 95 % of mandatory fields filled and at least
90 % of phones and e-mails valid (ERROR: blocks downstream); identifiers with a check digit
should be valid in 98 % of rows (WARN: recorded). Validity is judged by the same rules the
loader flags with (``ingestion.field_rules``): the sample carries one ``<column>__is_valid``
column per checked field, so "valid" means one thing in quarantine and in the gate.

A gate judges a sample — often a day's delta of a few dozen rows — so a share below the
standard blocks only when it is more than chance (``SHORTFALL_SIGNIFICANCE``); a smaller
shortfall fails the check as a warning.
"""

from __future__ import annotations

from dataclasses import dataclass

from ingestion.contracts.model import FileContract

MANDATORY_FILLED = 0.95
CONTACT_VALID = 0.90
IDENTIFIER_VALID = 0.98
CONTACT_CHECKS = ("mobile_phone", "email")
SHORTFALL_SIGNIFICANCE = 0.05
"""A gate below its share carries its severity only when a source that meets the share would
deliver so few valid rows less often than this (one-sided exact binomial test); otherwise it
warns. At 100 k a day's 52 changed ДБО profiles with 6 invalid phones (88.5 %) — what a
source at 90 % delivers two days in five — stopped the day; 35 valid of 50 (70 %) it would
deliver one day in ten thousand."""
WITHIN_CHANCE = " (a shortfall within chance only warns)"


def shortfall_p_value(judged: int, unexpected: int, share: float) -> float:
    """How often a source whose rows pass with probability ``share`` would show at most this
    many passing rows among ``judged`` (one-sided exact binomial test)."""
    from scipy.stats import binom

    return float(binom.cdf(judged - unexpected, judged, share))


@dataclass(frozen=True)
class Gate:
    """One expectation with the check name Dagster shows and the severity it carries. The GX
    expectation is built only when the suite runs: importing GX costs ≈ 3 s, and every Dagster
    process that loads the definitions (a scoring run, a sensor tick) would pay it."""

    check_name: str
    severity: str
    description: str
    expectation_type: str
    arguments: tuple[tuple[str, object], ...]
    only_where: tuple[str, tuple[str, ...]] | None = None

    @property
    def mostly(self) -> float:
        """The share of rows that must pass."""
        return dict(self.arguments)["mostly"]

    def expectation(self):
        """The GX expectation; ``only_where`` (column, allowed values) becomes its row condition."""
        import great_expectations as gx
        from great_expectations.expectations.row_conditions import Column

        arguments = dict(self.arguments)
        if self.only_where:
            column, allowed = self.only_where
            arguments["row_condition"] = Column(column).is_in(list(allowed))
        return getattr(gx.expectations, self.expectation_type)(**arguments)


def validity_column(column_name: str) -> str:
    return f"{column_name}__is_valid"


def gates_for(contract: FileContract) -> list[Gate]:
    gates = []
    for column in contract.columns:
        if column.role == "mandatory":
            gates.append(
                Gate(
                    f"{column.name}_is_filled_in_95_percent_of_rows",
                    "ERROR",
                    f"{column.source} is mandatory: at least {MANDATORY_FILLED:.0%} filled"
                    f"{WITHIN_CHANCE}",
                    "ExpectColumnValuesToNotBeNull",
                    (("column", column.name), ("mostly", MANDATORY_FILLED)),
                    column.mandatory_when,
                )
            )
        for check in column.checks:
            contact = check in CONTACT_CHECKS
            share = CONTACT_VALID if contact else IDENTIFIER_VALID
            gates.append(
                Gate(
                    f"{column.name}_is_a_valid_{check}_in_{round(share * 100)}_percent_of_rows",
                    "ERROR" if contact else "WARN",
                    f"{column.source} passes the {check} rule in at least {share:.0%} of the "
                    f"rows where it is filled{WITHIN_CHANCE}",
                    "ExpectColumnValuesToBeInSet",
                    (
                        ("column", validity_column(column.name)),
                        ("value_set", [True]),
                        ("mostly", share),
                    ),
                )
            )
    return gates
