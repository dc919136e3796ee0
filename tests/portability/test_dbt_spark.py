"""The staging and core models on Apache Spark: the portability claim of docs/scaling-out.md,
proven on the tiny bank.

The DuckDB warehouse the session built is the reference. Its inputs (the raw and golden-record
sources and the seed) are exported to Parquet and registered as Spark tables under the same
names; then ``dbt build --target spark`` runs the staging and core models, their tests and unit
tests in this process (dbt-spark session mode, local pyspark). Every model Spark built must hold
the same rows as DuckDB's, and a few business figures are compared one by one.

Optional: needs the ``spark`` extra and Java 17, deselected from the default run by the marker;
``make test-spark`` installs the extra and runs it.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from cdp.warehouse import WRITTEN_BY

pytestmark = [pytest.mark.spark, pytest.mark.slow]

PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
SPARK_SOURCES = ("raw", "golden_record", "audit", "identity")
"""Tables written by Python (the raw stage, the identity stage) that the selection reads."""
SELECTION = [
    "--select",
    "path:models/staging",
    "+path:models/marts/core",
    # dbt-spark's session mode inlines seed values into SQL without escaping quotes ("Men's
    # and Women's Clothing Stores"): the seed is registered from the warehouse like a source.
    "--exclude",
    "resource_type:seed",
    # A test runs when all the models it reads were built here (not a relationship test of a
    # client mart that only reads a core model).
    "--indirect-selection",
    "cautious",
]


def _dbt(runner, command: list[str], home: Path):
    """One dbt command on the spark target; artefacts apart from the DuckDB project's
    target/, whose manifest the Dagster definitions load."""
    return runner.invoke(
        [
            *command,
            "--project-dir",
            str(PROJECT_DIR),
            "--profiles-dir",
            str(PROJECT_DIR),
            "--target",
            "spark",
            "--target-path",
            str(home / "target"),
            "--log-path",
            str(home / "logs"),
        ]
    )


def _inputs(manifest: dict) -> list[tuple[str, str]]:
    """[schema, table] of every source of SPARK_SOURCES and every seed."""
    sources = {
        (s["schema"], s["identifier"])
        for s in manifest["sources"].values()
        if s["source_name"] in SPARK_SOURCES
    }
    seeds = {
        (n["schema"], n["alias"])
        for n in manifest["nodes"].values()
        if n["resource_type"] == "seed"
    }
    return sorted(sources | seeds)


def _export(warehouse: Path, relations: list[tuple[str, str]], out: Path) -> None:
    """Each relation to ``out/<schema>/<table>/`` as Parquet, through one read-only handle."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for schema, table in relations:
            folder = out / schema / table
            folder.mkdir(parents=True)
            con.execute(
                f'copy (select * from "{schema}"."{table}") '
                f"to '{folder / 'data.parquet'}' (format parquet)"
            )


@pytest.fixture(scope="module")
def spark_build(warehouse_bank, tmp_path_factory):
    """The inputs loaded into Spark and the selection built there, once; yields the build
    result, the models built and the Spark session dbt used (with DuckDB's copy of each
    model registered as the temporary view ``duckdb_<schema>__<model>``)."""
    pytest.importorskip("pyspark", reason="the spark extra: make test-spark")
    pytest.importorskip("dbt.adapters.spark", reason="the spark extra: make test-spark")
    from dbt.cli.main import dbtRunner
    from pyspark.sql import SparkSession

    settings, _ = warehouse_bank
    home = tmp_path_factory.mktemp("spark")
    runner = dbtRunner()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CDP_SPARK_HOME", str(home))
        parsed = _dbt(runner, ["parse"], home)
        assert parsed.success, parsed.exception
        manifest = json.loads((home / "target" / "manifest.json").read_text())
        inputs = _inputs(manifest)
        _export(settings.warehouse_path, inputs, home / "inputs")
        args = {"parquet_dir": str(home / "inputs"), "tables": [list(t) for t in inputs]}
        registered = _dbt(
            runner, ["run-operation", "register_parquet_tables", "--args", json.dumps(args)], home
        )
        assert registered.success, registered.exception
        build = _dbt(runner, ["build", *SELECTION], home)
        assert build.result is not None, build.exception

        models = sorted(
            (r.node.schema, r.node.name)
            for r in build.result.results
            if r.node.resource_type == "model" and r.status == "success"
        )
        _export(settings.warehouse_path, models, home / "duckdb")
        spark = SparkSession.builder.getOrCreate()
        for schema, model in models:
            spark.read.parquet(str(home / "duckdb" / schema / model)).createOrReplaceTempView(
                f"duckdb_{schema}__{model}"
            )
        yield build, models, manifest, spark


def test_the_staging_and_core_models_build_and_pass_their_tests_on_spark(spark_build):
    build, models, manifest, _ = spark_build
    errors = [
        (r.node.name, r.status, r.message)
        for r in build.result.results
        if r.status in ("error", "fail", "skipped")
    ]
    assert errors == []
    assert build.success
    wanted = {
        (n["schema"], n["name"])
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model"
        and n["original_file_path"].startswith(("models/staging/", "models/marts/core/"))
    }
    assert wanted <= set(models)
    ran = {r.node.resource_type for r in build.result.results}
    assert {"model", "test", "unit_test"} <= ran


def test_every_model_holds_the_same_rows_on_spark_as_on_duckdb(spark_build):
    _, models, _, spark = spark_build
    differing = {}
    for schema, model in models:
        # every column but the run that wrote the row: each build is a run of its own
        on_spark = spark.table(f"{schema}.{model}").drop(WRITTEN_BY)
        on_duckdb = spark.table(f"duckdb_{schema}__{model}").drop(WRITTEN_BY)
        counts = (
            on_spark.count(),
            on_duckdb.count(),
            on_spark.exceptAll(on_duckdb).count(),
            on_duckdb.exceptAll(on_spark).count(),
        )
        if counts[0] != counts[1] or counts[2] or counts[3]:
            differing[model] = tuple(counts)
    assert differing == {}
    assert spark.sql("select count(*) from marts.fct_transactions").collect()[0][0] > 0


@pytest.mark.parametrize(
    "query",
    [
        "select transaction_type, sum(amount_rub) from marts.fct_transactions group by 1",
        "select product_code, count(*) from marts.dim_accounts group by 1",
        "select mcc_category, sum(amount_rub) from marts.fct_card_transactions group by 1",
        "select interaction_type, sum(duration_seconds) from marts.fct_interactions group by 1",
        "select as_of_date, sum(funds_balance_rub) from marts.fct_client_states group by 1",
        "select year_number, count(*) from marts.dim_dates where is_holiday group by 1",
    ],
    ids=["transactions", "accounts", "card_spend", "interactions", "funds", "holidays"],
)
def test_business_figures_agree_between_duckdb_and_spark(spark_build, warehouse_bank, query):
    _, _, _, spark = spark_build
    settings, _ = warehouse_bank
    # The same SQL on both engines: the tables have the same names in both.
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as duck:
        on_duckdb = dict(duck.execute(query).fetchall())
    on_spark = {row[0]: row[1] for row in spark.sql(query).collect()}
    assert on_duckdb
    assert on_spark == on_duckdb
