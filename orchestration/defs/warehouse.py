"""Warehouse stage: the dbt project (staging → intermediate → marts) as Dagster assets.

Every dbt model is an asset keyed ``[schema, model]`` — the same name as its DuckDB relation —
in the group its folder sets in ``dbt_project.yml``; every dbt test is an asset check, source
tests included (they check the raw assets the sources map to). One ``dbt build`` runs the
selection in one step, so dbt itself skips the models downstream of a failed test.

dbt reads the warehouse path from ``CDP_WAREHOUSE_PATH`` (``profiles.yml``); the path comes
from the injected settings and is put in the process environment, which the dbt subprocess
inherits, for the duration of a dbt command only, so dbt and the Python stages always open the
same absolute file.
"""

import contextlib
import hashlib
import json
import os
import shutil
import sys
import uuid
from collections.abc import Iterator, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)
from dagster_dbt.compat import DBT_PYTHON_VERSION

from cdp.settings import Settings, load_settings
from cdp.warehouse import WarehouseHold

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
WAREHOUSE_PATH_VARIABLE = "CDP_WAREHOUSE_PATH"


def dbt_project() -> DbtProject:
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def dbt_executable() -> str:
    """The ``dbt`` installed beside this interpreter, so it runs without the venv on PATH."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else "dbt"


class WarehouseDbtResource(DbtCliResource):
    """``DbtCliResource`` without two steps it takes before every dbt command that this project
    does not use — 8.5 s of each command on this machine (profile of the daily build at
    bank-100k), whatever the bank's size:

    - it runs ``dbt --version`` (a second start of dbt, 4 s, which also asks PyPI for the latest
      release) to tell dbt Core from the Fusion engine: the version is dagster-dbt's own reading
      of the dbt-core installed beside this interpreter instead, the one ``dbt_executable``
      runs;
    - it builds a dbt adapter inside the Dagster process (4 s of imports and macro loading),
      used only to fetch column metadata of built models, which this project does not ask for.

    Both override private members of dagster-dbt 0.29; a test runs a dbt command and fails if
    either step comes back after an upgrade."""

    @cached_property
    def _cli_version(self):
        return DBT_PYTHON_VERSION

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:
        return None


def dbt_resource(project: DbtProject) -> DbtCliResource:
    return WarehouseDbtResource(project_dir=project, dbt_executable=dbt_executable())


@contextlib.contextmanager
def dbt_environment(settings: Settings) -> Iterator[None]:
    """Expose the settings' warehouse path to dbt; ``DbtCliResource`` hands its subprocess a
    copy of ``os.environ`` taken when the command starts, and offers no other way in."""
    previous = os.environ.get(WAREHOUSE_PATH_VARIABLE)
    os.environ[WAREHOUSE_PATH_VARIABLE] = str(settings.warehouse_path)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(WAREHOUSE_PATH_VARIABLE, None)
        else:
            os.environ[WAREHOUSE_PATH_VARIABLE] = previous


PARSE_STATE_FILE = "partial_parse.msgpack"


def parse_states(settings: Settings) -> Path:
    """Where the data home keeps the last parse of its dbt commands, one per set of ``--vars``."""
    return settings.home / "dbt" / "parse_state"


def kept_parse_state(store: Path, args: Sequence[str]) -> Path:
    """The last parse of dbt commands given these ``--vars``, kept in ``store``."""
    vars_given = next((args[i + 1] for i, a in enumerate(args[:-1]) if a == "--vars"), "")
    key = hashlib.sha256(vars_given.encode()).hexdigest()[:16]
    return store / f"{key}.msgpack"


@contextlib.contextmanager
def parse_state_kept(store: Path, args: Sequence[str], target_path: Path) -> Iterator[None]:
    """Start a dbt command in ``target_path`` from the last parse made with the same ``--vars``
    and kept in ``store`` (the data home's: ``parse_states``), and keep the command's own parse
    for the next one.

    dbt parses the whole project again (4–9 s more per command on this machine) when its vars or
    profile differ from the parse state it finds in the target folder; dagster-dbt seeds each
    command's fresh folder with the state of ``make setup``'s ``dbt parse``, which has no vars
    and the default warehouse, so every build parsed from scratch. dbt still checks the state
    it is given (files, vars, profile, version) and parses again whatever changed."""
    kept, state = kept_parse_state(store, args), target_path / PARSE_STATE_FILE
    if kept.exists():
        target_path.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(kept, state)
    try:
        yield
    finally:
        if state.exists():
            kept.parent.mkdir(parents=True, exist_ok=True)
            written = kept.with_name(f"{kept.name}.{uuid.uuid4().hex[:7]}")
            shutil.copyfile(state, written)
            written.replace(kept)


@contextlib.contextmanager
def dbt_command(settings: Settings, args: Sequence[str], target_path: Path) -> Iterator[None]:
    """What a dbt command of the pipeline (a build, the docs) runs inside: the warehouse path
    in its environment and the parse state kept for its vars. dbt opens the warehouse in a
    process of its own, so a hold of it by this run's earlier steps is released first."""
    WarehouseHold(settings).release()
    with dbt_environment(settings), parse_state_kept(parse_states(settings), args, target_path):
        yield


def manifest_is_current(project: DbtProject) -> bool:
    """True when ``dbt parse`` ran after the last change in the dbt project; folders count too,
    as deleting a model changes only its folder."""
    if not project.manifest_path.exists():
        return False
    parsed = project.manifest_path.stat().st_mtime
    skipped = {project.project_dir / d for d in ("target", "logs", "dbt_packages")}
    return all(
        path.stat().st_mtime <= parsed
        for path in project.project_dir.rglob("*")
        if path not in skipped and not skipped.intersection(path.parents)
    )


def prepare_manifest(settings: Settings, project: DbtProject | None = None) -> Path:
    """``dbt parse``: the manifest the asset definitions are built from (setup, tests, dev)."""
    project = project or dbt_project()
    with dbt_environment(settings):
        dbt_resource(project).cli(["parse", "--quiet"], target_path=project.target_path).wait()
    return project.manifest_path


def run_artifacts_dir(settings: Settings, context: dg.AssetExecutionContext) -> Path:
    """Where one dbt invocation writes compiled SQL, ``run_results.json`` and its log: beside the
    data it built (``$CDP_HOME/dbt``), not in the repository."""
    return settings.home / "dbt" / f"{context.run.run_id[:8]}-{uuid.uuid4().hex[:7]}"


COLUMN_SCHEMA = "dagster/column_schema"
"""The metadata key of an asset's column schema in Dagster's catalog."""


def _declared_constraints(column: Mapping[str, Any]) -> dg.TableColumnConstraints | None:
    """A column's contract constraints as the catalog shows them: not null, and each check as
    its SQL (``None`` when it declares none)."""
    declared = column.get("constraints", [])
    checks = [f"check ({c['expression']})" for c in declared if c.get("type") == "check"]
    not_null = any(c.get("type") == "not_null" for c in declared)
    if not (checks or not_null):
        return None
    return dg.TableColumnConstraints(nullable=not not_null, other=checks)


class WarehouseTranslator(DagsterDbtTranslator):
    """A model's asset key is its relation ``[schema, model]``; its group comes from the
    ``meta.dagster.group`` its folder sets in ``dbt_project.yml``; a source keeps the asset key
    its YAML maps it to (``meta.dagster.asset_key``: the raw asset that writes the table); the
    constraints a column's contract declares (not null, checks) are shown in the asset's column
    schema."""

    def get_metadata(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, Any]:
        """dagster-dbt's metadata, the contract's constraints added to the column schema: the
        guarantees DuckDB enforces as rows are written (docs/warehouse.md, "Contracts and
        constraints") stay visible in the catalog, as the tests they replaced were as checks."""
        metadata = super().get_metadata(dbt_resource_props)
        schema = metadata.get(COLUMN_SCHEMA)
        if schema is None:
            return metadata
        columns = dbt_resource_props.get("columns", {})
        constrained = {
            column.name: _declared_constraints(columns.get(column.name, {}))
            for column in schema.columns
        }
        return {
            **metadata,
            COLUMN_SCHEMA: dg.TableSchema(
                columns=[
                    dg.TableColumn(
                        name=column.name,
                        type=column.type,
                        description=column.description,
                        tags=column.tags,
                        constraints=constrained[column.name],
                    )
                    if constrained[column.name]
                    else column
                    for column in schema.columns
                ]
            ),
        }

    def get_asset_check_spec(
        self,
        asset_spec: dg.AssetSpec,
        manifest: Mapping[str, Any],
        unique_id: str,
        project: DbtProject | None,
    ) -> dg.AssetCheckSpec | None:
        """dagster-dbt's check of a test; a source test of a raw table holds back nothing beyond
        dbt's own step. Blocking, it would hold back the golden record's resolution, which reads
        raw, so the daily cycle's run would build the warehouse in two dbt commands, one before
        the resolution. The raw layer's own gates already hold back what reads raw, and a failing
        test still fails the dbt command and every step after it."""
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is not None and spec.asset_key.path[0] == "raw":
            return spec._replace(blocking=False)
        return spec

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_asset_key(dbt_resource_props)
        return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        meta = dbt_resource_props.get("config", {}).get("meta") or dbt_resource_props.get("meta")
        return (meta or {}).get("dagster", {}).get("group") or dbt_resource_props.get("schema")


def translator() -> WarehouseTranslator:
    return WarehouseTranslator(
        settings=DagsterDbtTranslatorSettings(enable_source_tests_as_checks=True)
    )


class WarehouseBuildConfig(dg.Config):
    """What the build tests. Its data tests read every row, or in the daily build the recent
    business dates of the large tables (``macros/data_tests_scope.sql``) — a day's rows are
    tested the day they arrive, and the weekly build tests every row again. dbt's unit tests
    check the models' logic on fixed inputs, so they tell nothing new about a day's data: the
    daily build leaves them to CI and the weekly build, as dbt's documentation advises for
    production (2 s of every build)."""

    data_tests_scope: Literal["all", "recent"] = "all"
    unit_tests: bool = True

    def dbt_vars(self) -> list[str]:
        """``--vars`` of the build; its parse state is kept under them (``parse_state_kept``)."""
        return ["--vars", json.dumps({"data_tests_scope": self.data_tests_scope})]

    def dbt_args(self) -> list[str]:
        args = self.dbt_vars()
        return args if self.unit_tests else [*args, "--exclude-resource-type", "unit_test"]


DAILY_BUILD = WarehouseBuildConfig(data_tests_scope="recent", unit_tests=False)


def build_run_config(config: WarehouseBuildConfig) -> dg.RunConfig:
    """Run config of ``build_warehouse_job`` with this build config (daily cycle, benchmark)."""
    return dg.RunConfig({"dbt_warehouse": config})


def build_defs(settings: Settings) -> dg.Definitions:
    """The dbt assets, their checks, the ``dbt`` resource and ``build_warehouse_job`` (started
    by the daily cycle after each resolution: ``daily_cycle.py``)."""
    project = dbt_project()
    if project.preparer.using_dagster_dev():
        prepare_manifest(settings, project)

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=translator(),
        name="dbt_warehouse",
    )
    def dbt_warehouse(
        context: dg.AssetExecutionContext,
        dbt: DbtCliResource,
        settings: dg.ResourceParam[Settings],
        config: WarehouseBuildConfig,
    ):
        """``dbt build`` of the selected models and their tests, streamed as they finish."""
        args, target = ["build", *config.dbt_args()], run_artifacts_dir(settings, context)
        with dbt_command(settings, args, target):
            yield from dbt.cli(args, context=context, target_path=target).stream()

    build_job = dg.define_asset_job(
        "build_warehouse_job",
        # The models, their tests and the source tests, which check the raw assets.
        selection=dg.AssetSelection.assets(dbt_warehouse)
        | dg.AssetSelection.checks(*dbt_warehouse.check_keys),
        description="dbt build: every warehouse model and test, after the raw layer is loaded.",
    )
    return dg.Definitions(
        assets=[dbt_warehouse],
        jobs=[build_job],
        resources={"dbt": dbt_resource(project)},
    )


if __name__ == "__main__":
    sys.stdout.write(f"wrote {prepare_manifest(load_settings())}\n")
