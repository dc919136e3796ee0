"""The dbt sources and staging layer, rendered from the contracts.

Regenerate with ``python -m ingestion.contracts.dbt_staging``.

One staging model per raw table (``stg_<system>__<entity>s``), its YAML (grain, every column,
PII kinds, tests) and the ``raw`` source declarations with their Dagster asset keys are all
boilerplate the contracts already hold. Writing them from the contracts keeps 22 models from
drifting apart; a test fails when the committed files differ from what this module renders, as
for ``docs/contracts.md``. Logic beyond these rules belongs in ``intermediate`` models.

Rules, the same for every table:

- an entity file (``versioned``) keeps the latest row per grain: the latest business date,
  then the latest line;
- naive timestamps delivered in a zone other than UTC are converted to UTC;
- a placeholder meaning "unknown" (``01.01.1900``) becomes null;
- lineage stays: ``_business_date``, ``_load_id``, ``_line_number``.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import yaml

from ingestion.contracts import CONTRACTS
from ingestion.contracts.model import Column, FileContract

STAGING_DIR = Path(__file__).resolve().parents[2] / "dbt_project" / "models" / "staging"
SOURCES_FILE = "_raw__sources.yml"
MODELS_FILE = "_staging__models.yml"
GENERATOR = "python -m ingestion.contracts.dbt_staging"

SYSTEMS = {
    "abs": "the core banking system (АБС)",
    "cards": "card processing",
    "dbo": "digital banking (ДБО)",
    "contact_center": "the contact centre",
}
LINEAGE = {
    "_business_date": (
        "date",
        "Business date of the file the row came from: the raw partition (for an entity, the "
        "date this version was delivered).",
    ),
    "_load_id": (
        "varchar",
        "Load that wrote the row: `audit.file_loads.load_id` (file, delivery, checksum).",
    ),
    "_line_number": ("bigint", "Line of the row in its landing file."),
}
UNIQUE_TOGETHER = "unique_combination_of_columns"
"""Our generic test (``dbt_project/tests/generic``): dbt hub packages cannot be fetched here."""


def model_name(contract: FileContract) -> str:
    return f"stg_{contract.table}"


def _in_utc(contract: FileContract, column: Column) -> bool:
    return column.type == "timestamp" and contract.timezone != "UTC"


def _placeholder_literals(contract: FileContract, column: Column) -> list[str]:
    if column.type != "date":
        return [f"'{p}'" for p in column.placeholders]
    return [
        f"date '{dt.datetime.strptime(p, contract.date_format).date().isoformat()}'"
        for p in column.placeholders
    ]


def _select_item(contract: FileContract, column: Column) -> str:
    """The column as staging selects it: converted, or as loaded. Only SQL every engine of
    docs/scaling-out.md reads, engine-specific parts through the cross-database macros of
    ``dbt_project/macros/cross_db``."""
    name = column.name
    if _in_utc(contract, column):
        return f"{{{{ local_to_utc('{name}', '{contract.timezone}') }}}} as {name}"
    if column.placeholders:
        literals = _placeholder_literals(contract, column)
        if len(literals) == 1:
            return f"nullif({name}, {literals[0]}) as {name}"
        return f"case when {name} in ({', '.join(literals)}) then null else {name} end as {name}"
    return name


def model_sql(contract: FileContract) -> str:
    """The staging model: source, latest version (entities), explicit columns converted."""
    ctes = [
        f"source as (\n\n    select * from {{{{ source('raw', '{contract.table}') }}}}\n\n)",
    ]
    upstream = "source"
    if contract.versioned:
        grain = ", ".join(contract.grain_columns)
        ctes.append(
            "latest as (\n\n"
            "    -- A record is delivered again whenever it changes: the latest row is current.\n"
            "    select * from source\n"
            "    qualify row_number() over (\n"
            f"        partition by {grain}\n"
            "        order by _business_date desc, _line_number desc\n"
            "    ) = 1\n\n)"
        )
        upstream = "latest"
    items = [_select_item(contract, c) for c in contract.columns] + list(LINEAGE)
    columns = ",\n        ".join(items)
    # Columns keep the file contract's order, converted ones in place (ST06 would move them last).
    select = (
        "select"
        if items == [c.name for c in contract.columns] + list(LINEAGE)
        else ("select  -- noqa: ST06")
    )
    ctes.append(f"cleaned as (\n\n    {select}\n        {columns}\n    from {upstream}\n\n)")
    return (
        f"-- Generated from ingestion/contracts by `{GENERATOR}`; do not edit.\n"
        "with\n\n" + ",\n\n".join(ctes) + "\n\nselect * from cleaned\n"
    )


def _grain_phrase(contract: FileContract) -> str:
    return " and ".join(f"`{c}`" for c in contract.grain_columns)


def _model_description(contract: FileContract) -> str:
    source = f"From {SYSTEMS[contract.system]}, file `{contract.file_pattern}`."
    text = f"{contract.description} {source}"
    if contract.versioned:
        text += (
            f" Grain: one row per {_grain_phrase(contract)}, its latest version (the record is "
            f"delivered again whenever it changes; `raw.{contract.table}` keeps every version)."
        )
    else:
        text += f" Grain: one row per {_grain_phrase(contract)}, as delivered."
    if any(_in_utc(contract, c) for c in contract.columns):
        text += f" Timestamps converted from {contract.timezone} local time to UTC."
    return text


def _column_description(contract: FileContract, column: Column) -> str:
    parts = [f"{column.description}." if column.description else ""]
    parts.append(f"Source field {column.source}.")
    if _in_utc(contract, column):
        parts.append(f"UTC (delivered as {contract.timezone} local time).")
    if column.placeholders:
        shown = ", ".join(column.placeholders)
        parts.append(f"Null where the source wrote the placeholder {shown} (unknown).")
    if column.references:
        table, field = column.references
        parts.append(f"Refers to `stg_{table}.{field}`; orphans are flagged at load.")
    return " ".join(p for p in parts if p)


def _test(kind: str, name: str, **config) -> dict:
    """A test named as a sentence (its Dagster check name); dbt needs names unique in the
    project, so the name starts with the model or source table it checks."""
    return {kind: {"name": name, **config}}


def _one_row_per(node: str, columns: tuple[str, ...], **config) -> dict:
    name = f"{node}__one_row_per_{'_and_'.join(c.strip('_') for c in columns)}"
    return _test(
        UNIQUE_TOGETHER, name, arguments={"combination_of_columns": list(columns)}, **config
    )


WARN = {"config": {"severity": "warn"}}
"""Raw holds what was delivered: a record sent twice in one file (an АБС contract at bank-100k)
is a finding about the source, not a reason to stop the build; staging keeps one row per grain
and its own grain tests stop it."""


def _model_properties(contract: FileContract) -> dict:
    grain = contract.grain_columns
    columns = []
    for column in contract.columns:
        entry: dict = {
            "name": column.name,
            "data_type": column.duckdb_type.lower(),
            "description": _column_description(contract, column),
        }
        if column.pii:
            entry["config"] = {"meta": {"pii": column.pii}}
        tests: list = []
        node = f"{model_name(contract)}__{column.name}"
        if column.name in grain:
            if len(grain) == 1:
                tests.append(_test("unique", f"{node}_is_unique"))
            tests.append(_test("not_null", f"{node}_is_not_null"))
        if column.references:
            table, field = column.references
            tests.append(
                _test(
                    "relationships",
                    f"{node}_exists_in_stg_{table}",
                    arguments={"to": f"ref('stg_{table}')", "field": field},
                    config={"severity": "warn"},
                )
            )
        if tests:
            entry["data_tests"] = tests
        columns.append(entry)
    columns += [
        {"name": name, "data_type": kind, "description": text}
        for name, (kind, text) in LINEAGE.items()
    ]
    model: dict = {"name": model_name(contract), "description": _model_description(contract)}
    if len(grain) > 1:
        model["data_tests"] = [_one_row_per(model_name(contract), grain)]
    model["columns"] = columns
    return model


def _source_table(contract: FileContract) -> dict:
    """A raw table as a dbt source: mapped to the raw asset, with what the loader guarantees."""
    grain = contract.grain_columns
    table: dict = {
        "name": contract.table,
        "description": f"{contract.description} Loaded from `{contract.file_pattern}` by the "
        f"raw stage; rejected rows are in `quarantine.{contract.table}`.",
        "config": {"meta": {"dagster": {"asset_key": ["raw", contract.table]}}},
    }
    node = f"raw_{contract.table}"
    # An event file's staging model is every raw row, whose grain test stops the build: the same
    # test on raw would scan the same rows again (bank-1m: ≈ 55 s of every build) to warn.
    if contract.versioned:
        table["data_tests"] = [_one_row_per(node, (*grain, "_business_date"), **WARN)]
    columns = []
    for column in contract.columns:
        if column.role != "key" and column.name not in grain:
            continue
        tests = []
        if column.role == "key":
            tests.append(_test("not_null", f"{node}__{column.name}_is_not_null"))
        entry = {"name": column.name, "description": _column_description(contract, column)}
        if tests:
            entry["data_tests"] = tests
        columns.append(entry)
    table["columns"] = columns
    return table


def _yaml(document: dict) -> str:
    head = f"# Generated from ingestion/contracts by `{GENERATOR}`; do not edit.\n"
    body = yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100)
    return head + body


def sources_yaml() -> str:
    return _yaml(
        {
            "version": 2,
            "sources": [
                {
                    "name": "raw",
                    "schema": "raw",
                    "description": "Source extracts as loaded by the raw stage (Python, "
                    "`orchestration/defs/raw.py`): typed columns of the file contracts plus "
                    "lineage, partitioned by business date. Each table is the Dagster asset "
                    "`raw/<table>`; the tests below run as checks on those assets.",
                    "tables": [_source_table(c) for c in CONTRACTS],
                }
            ],
        }
    )


def models_yaml() -> str:
    return _yaml({"version": 2, "models": [_model_properties(c) for c in CONTRACTS]})


def render() -> dict[Path, str]:
    """Every generated file of the staging folder, by path."""
    files = {STAGING_DIR / SOURCES_FILE: sources_yaml(), STAGING_DIR / MODELS_FILE: models_yaml()}
    files |= {STAGING_DIR / f"{model_name(c)}.sql": model_sql(c) for c in CONTRACTS}
    return files


def stale_files(files: dict[Path, str]) -> list[Path]:
    """Staging models on disk that no contract renders any more."""
    return sorted(p for p in STAGING_DIR.glob("stg_*.sql") if p not in files)


if __name__ == "__main__":
    rendered = render()
    STAGING_DIR.mkdir(parents=True, exist_ok=True)
    for path, text in rendered.items():
        path.write_text(text, encoding="utf-8")
    for path in stale_files(rendered):
        path.unlink()
        sys.stdout.write(f"removed {path}\n")
    sys.stdout.write(f"wrote {len(rendered)} files to {STAGING_DIR}\n")
