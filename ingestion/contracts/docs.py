"""Render ``docs/contracts.md`` from the contracts: ``python -m ingestion.contracts.docs``.

A test fails when the committed page differs from what the contracts say, so the page can
never drift from what the parser enforces.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ingestion.contracts import CONTRACTS
from ingestion.contracts.model import FileContract

PAGE = Path(__file__).resolve().parents[2] / "docs" / "contracts.md"
INTRO = """# File contracts

Generated from `ingestion/contracts/` by `python -m ingestion.contracts.docs`; do not edit by
hand. Each contract is what one source system promises for one file type; the parser enforces
exactly this (see [ingestion.md](ingestion.md) for what happens to rows and files that break
it). Roles: **key** — a row without it is rejected; **mandatory** — required by the bank's
standard, a gap is flagged and counted by the data-quality gate (the row loads); **optional**.
"""


def _layout(contract: FileContract) -> list[str]:
    encodings = ", ".join(f"`{e}`" for e in contract.encodings)
    rows = [
        ("file", f"`<landing>/{contract.system}/<delivery date>/{contract.file_pattern}`"),
        ("format", contract.format.replace("_", " ")),
        ("encodings", f"{encodings} (the first is expected; a BOM is accepted for UTF-8)"),
    ]
    if contract.separator:
        rows.append(("separator", f"`{contract.separator}`"))
        rows.append(("quoting", f"`{contract.quote}`" if contract.quote else "none"))
    grain = ", ".join(f"`{c}`" for c in contract.grain_columns)
    if contract.versioned:
        records = (
            f"one row per {grain} and business date: the record is delivered again whenever "
            "it changes, the latest row is its current state"
        )
    else:
        records = f"one row per {grain}, delivered once"
    rows.append(("records", records))
    rows.append(("header", "first line, names as below" if contract.header else "none"))
    rows.append(("decimal mark", f"`{contract.decimal_mark}`"))
    if contract.thousands_separators:
        shown = ", ".join(repr(s) for s in contract.thousands_separators)
        rows.append(("thousands separators", shown))
    rows.append(("dates", f"`{contract.date_format}`"))
    if any(c.type == "timestamp" for c in contract.columns):
        rows.append(("timestamps", f"`{contract.timestamp_format}`, {contract.timezone}"))
    if contract.trailer:
        total = (
            f"sum of `{contract.trailer.sum_column}`"
            if contract.trailer.sum_column
            else ("a sum that is always zero")
        )
        rows.append(("trailer", f"last line `{contract.trailer.marker}`: row count, {total}"))
    if contract.depends_on:
        rows.append(("loaded after", ", ".join(f"`raw.{t}`" for t in contract.depends_on)))
    return ["| aspect | value |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows)]


def _columns(contract: FileContract) -> list[str]:
    fixed = contract.format == "fixed_width"
    head = "| source | column | type | role | rules | description |"
    lines = [head.replace(" rules |", " width | rules |") if fixed else head]
    lines.append("|---" * (7 if fixed else 6) + "|")
    for c in contract.columns:
        rules = list(c.checks)
        if c.mandatory_when:
            rules.append(
                f"mandatory when {c.mandatory_when[0]} in {', '.join(c.mandatory_when[1])}"
            )
        if c.placeholders:
            rules.append("placeholder " + ", ".join(f"`{p}`" for p in c.placeholders))
        if c.true_values:
            rules.append(f"true `{'/'.join(c.true_values)}`, false `{'/'.join(c.false_values)}`")
        if c.references:
            rules.append(f"exists in raw.{c.references[0]}.{c.references[1]}")
        if not c.in_every_file:
            rules.append("absent from older files")
        if c.pii:
            rules.append(f"PII: {c.pii}")
        width = f" {c.width} |" if fixed else ""
        lines.append(
            f"| {c.source} | `{c.name}` | {c.type} | {c.role} |{width} {'; '.join(rules)} "
            f"| {c.description} |"
        )
    return lines


def render() -> str:
    parts = [INTRO]
    for contract in CONTRACTS:
        parts.append(f"## raw.{contract.table}\n\n{contract.description}\n")
        parts.append("\n".join(_layout(contract)) + "\n")
        parts.append("\n".join(_columns(contract)) + "\n")
    return "\n".join(parts)


if __name__ == "__main__":
    PAGE.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {PAGE}\n")
