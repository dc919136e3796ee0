"""Stage bodies, each run in its own process so its peak memory is its own."""

from __future__ import annotations

import datetime as dt
import shutil
import time
from pathlib import Path

from benchmarks.scenarios import Scenario


def simulate(scenario: Scenario, home: Path) -> dict:
    from simulator import SimulationParams
    from simulator.process import simulate_in_process

    summary = simulate_in_process(
        SimulationParams(
            persons=scenario.persons,
            months=scenario.months,
            seed=scenario.seed,
            business_date=dt.date(2026, 10, 31),
            delta_days=scenario.delta_days,
        ),
        landing_dir=home / "landing",
        truth_dir=home / "truth",
    )
    return {
        "files": summary.files,
        "rows": summary.rows,
        "megabytes": round(summary.bytes / 1e6, 1),
        "rows_by_system": summary.rows_by_system,
    }


def truth_report(scenario: Scenario, home: Path) -> dict:
    """Learnability of the simulated churn, from the truth (evaluation only)."""
    from simulator.evaluation import churn_truth_report

    report = churn_truth_report(home / "truth")
    return {
        "annual_churn_rate": round(report.annual_churn_rate, 4),
        "truth_auc_90d": round(report.truth_auc_90d, 4),
        "auc_without_dissatisfaction": round(report.auc_without_dissatisfaction, 4),
        "client_months": report.client_months,
    }


def ingest(scenario: Scenario, home: Path, *, hold_back_from: dt.date | None = None) -> dict:
    """The whole landing zone into a fresh DuckDB file, the way the Dagster raw assets load it:
    ``load_partitions`` per contract (in load order) over every business date found — but those
    from ``hold_back_from`` on, if given."""
    from ingestion.contracts import CONTRACTS
    from ingestion.landing import find_files
    from ingestion.load import load_partitions

    landing, database = home / "landing", home / "ingest.duckdb"
    database.unlink(missing_ok=True)
    con = _ingest_connection(home)
    totals = dict.fromkeys(("rows_read", "rows_loaded", "rows_quarantined", "rows_flagged"), 0)
    by_system: dict[str, dict] = {}
    by_table: dict[str, dict] = {}
    megabytes = 0.0
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    for contract in CONTRACTS:
        files = [
            f
            for f in find_files(landing, contract)
            if hold_back_from is None or f.business_date < hold_back_from
        ]
        table_started = time.perf_counter()
        loads = load_partitions(con, contract, sorted({f.business_date for f in files}), landing)
        seconds = time.perf_counter() - table_started
        size = sum(f.size for f in files) / 1e6
        rows = sum(load.total("rows_read") for load in loads)
        for key in totals:
            totals[key] += sum(load.total(key) for load in loads)
        system = by_system.setdefault(contract.system, {"mb": 0.0, "rows": 0, "seconds": 0.0})
        system["mb"] += size
        system["rows"] += rows
        system["seconds"] += seconds
        by_table[contract.table] = _rate(size, rows, seconds)
        megabytes += size
    seconds = time.perf_counter() - started
    cpu_seconds = _cpu_seconds() - cpu_started
    statuses = con.execute(
        "select status, count(*) from audit.file_loads group by all order by all"
    ).fetchall()
    con.close()
    return {
        **totals,
        "megabytes": round(megabytes, 1),
        "load_s": round(seconds, 1),
        "cpu_s": round(cpu_seconds, 1),
        "mb_per_s": round(megabytes / seconds, 1),
        "rows_per_s": round(totals["rows_read"] / seconds),
        "statuses": dict(statuses),
        "by_system": {k: _rate(v["mb"], v["rows"], v["seconds"]) for k, v in by_system.items()},
        "by_table": by_table,
    }


def _ingest_connection(home: Path, database: Path | None = None):
    """The bench warehouse (or ``database``) opened as the raw assets open theirs: with the
    ingestion memory limit of the settings (``CDP_INGEST_MEMORY_LIMIT``)."""
    from cdp.settings import load_settings
    from cdp.warehouse import connect

    settings = load_settings(home=home, warehouse_path=database or home / "ingest.duckdb")
    return connect(settings, memory_limit=settings.ingest_memory_limit)


def ingest_before_last(scenario: Scenario, home: Path) -> dict:
    """``ingest`` without the last business date: the warehouse as it stood the evening before,
    so that ``ingest_new_day`` and ``warehouse_new_day`` then take in a day it has never seen —
    the month end 10-31, which completes October for every client (the replayed day of
    ``ingest_daily`` changes only the clients active on it)."""
    return ingest(scenario, home, hold_back_from=_last_business_date(home / "landing"))


def ingest_before_ordinary_day(scenario: Scenario, home: Path) -> dict:
    """``ingest`` without the ordinary day (``_ordinary_day``) and the days after it: the
    warehouse as it stood the evening before, so that ``ingest_ordinary_day`` and
    ``warehouse_ordinary_day`` then take in a day inside a month — as every working day is but
    the month's last, the heaviest."""
    return ingest(scenario, home, hold_back_from=_ordinary_day(home / "landing"))


def _business_dates(landing: Path) -> set[dt.date]:
    from ingestion.contracts import CONTRACTS
    from ingestion.landing import find_files

    return {f.business_date for c in CONTRACTS for f in find_files(landing, c)}


def _last_business_date(landing: Path) -> dt.date:
    return max(_business_dates(landing))


def _ordinary_day(landing: Path) -> dt.date:
    """The Wednesday before the last business date (10-28 before the month end 10-31, a
    Saturday): a working day inside the month, with neither a weekend's nor a month end's
    extracts, among the daily deliveries after the initial snapshot."""
    dates = _business_dates(landing)
    last = max(dates)
    day = last - dt.timedelta(days=(last.weekday() - 2) % 7 or 7)
    if day not in dates:
        raise RuntimeError(f"{landing}: no extract is dated {day}, the ordinary day to replay")
    return day


def ingest_daily(scenario: Scenario, home: Path) -> dict:
    """Load the last business date of every table into the warehouse the ``ingest`` stage
    built — again (what the daily schedule does once the history is in), or for the first time
    after ``ingest_before_last``."""
    return _ingest_day(home, _last_business_date(home / "landing"))


def ingest_ordinary_day(scenario: Scenario, home: Path) -> dict:
    """Load the ordinary day (``_ordinary_day``) of every table, for the first time after
    ``ingest_before_ordinary_day``."""
    return _ingest_day(home, _ordinary_day(home / "landing"))


def _ingest_day(home: Path, day: dt.date) -> dict:
    """Every table's files of one business date loaded into the bench warehouse."""
    from ingestion.contracts import CONTRACTS
    from ingestion.load import load_partitions

    landing = home / "landing"
    rows = 0
    with _ingest_connection(home) as con:
        started = time.perf_counter()
        for contract in CONTRACTS:
            rows += sum(load.total("rows_read") for load in load_partitions(
                con, contract, [day], landing))  # fmt: skip
        seconds = time.perf_counter() - started
    return {"business_date": str(day), "rows_read": rows, "load_s": round(seconds, 1)}


def ingest_baseline(scenario: Scenario, home: Path) -> dict:
    """The machine's own limit for the ``ingest`` stage: DuckDB's own readers load every file of
    the landing zone, then our loader loads the largest CSV again as the ``ingest`` stage does.
    Frees the warehouse of the ``ingest`` stage first (at 1 M persons landing zone and warehouse
    nearly fill the disk)."""
    (home / "ingest.duckdb").unlink(missing_ok=True)
    database = home / "baseline.duckdb"
    landing = home / "landing"
    limit = _duckdb_reads_landing(landing, database)
    largest = limit.pop("largest")
    ours = _ours_on_one_file(home, database, largest["file"], largest["contract"])
    megabytes = largest["file"].size / 1e6
    return {
        **limit,
        "baseline_file": f"{largest['file'].path.relative_to(landing)} ({largest['encoding']}, "
        f"{megabytes:.0f} MB)",
        "baseline_read_csv_s": largest["seconds"],
        "baseline_read_csv_mb_per_s": round(megabytes / largest["seconds"], 1),
        "baseline_rows": largest["rows"],
        "ours_same_file_s": round(ours, 1),
        "ours_same_file_mb_per_s": round(megabytes / ours, 1),
        "ours_vs_read_csv": round(largest["seconds"] / ours, 2),
    }


def _duckdb_reads_landing(landing: Path, database: Path) -> dict:
    """Every landing file through DuckDB's own reader into a table, all VARCHAR where the reader
    allows it, no checks: ``read_csv`` for delimited files, ``read_json`` for JSON lines, and
    for fixed width ``read_csv`` of whole lines (DuckDB has no fixed-width reader; cutting the
    fields is left out, so the limit is a lower one). Legacy encodings are copied to UTF-8 first
    (DuckDB reads only UTF-8 here), timed apart and not counted."""
    import duckdb

    from cdp.transcode import file_to_utf8
    from ingestion.contracts import CONTRACTS
    from ingestion.landing import find_files
    from ingestion.reader import detect_encoding

    copy = database.with_suffix(".utf8.txt")
    seconds = transcode_seconds = 0.0
    rows = 0
    largest: dict = {}
    by_table: dict[str, float] = {}
    database.unlink(missing_ok=True)
    with duckdb.connect(str(database)) as con:
        for contract in CONTRACTS:
            for file in find_files(landing, contract):
                source, encoding = file.path, detect_encoding(file.path, contract)
                if encoding not in ("utf-8", "utf-8-sig", "ascii"):
                    started = time.perf_counter()
                    file_to_utf8(file.path, encoding, copy)
                    transcode_seconds += time.perf_counter() - started
                    source = copy
                started = time.perf_counter()
                con.execute(f"create table baseline as select * from {_reader(contract)}",
                            [str(source)])  # fmt: skip
                took = time.perf_counter() - started
                (count,) = con.execute("select count(*) from baseline").fetchone()
                con.execute("drop table baseline")
                seconds += took
                rows += count
                by_table[contract.table] = by_table.get(contract.table, 0.0) + took
                if contract.format == "delimited" and file.size > largest.get("size", 0):
                    largest = {
                        "size": file.size,
                        "file": file,
                        "contract": contract,
                        "encoding": encoding,
                        "seconds": round(took, 1),
                        "rows": count,
                    }
    copy.unlink(missing_ok=True)
    database.unlink(missing_ok=True)
    return {
        "landing_read_s": round(seconds, 1),
        "landing_read_rows": rows,
        "landing_transcode_s": round(transcode_seconds, 1),
        "landing_read_by_table_s": {table: round(t, 1) for table, t in by_table.items()},
        "largest": largest,
    }


def _reader(contract) -> str:
    """DuckDB's table function for a contract's files, its path the one parameter."""
    if contract.format == "json_lines":
        return "read_json(?, format = 'newline_delimited', ignore_errors = true)"
    if contract.format == "fixed_width":
        return ("read_csv(?, columns = {'line': 'VARCHAR'}, delim = '\x1f', quote = '',"
                " header = false, ignore_errors = true)")  # fmt: skip
    quote = (contract.quote or "").replace("'", "''")
    separator = contract.separator.replace("'", "''")
    return (f"read_csv(?, delim = '{separator}', quote = '{quote}', header = true,"
            " all_varchar = true, ignore_errors = true)")  # fmt: skip


def _ours_on_one_file(home: Path, database: Path, file, contract) -> float:
    """Seconds our loader takes for one file into a fresh warehouse, opened as the ``ingest``
    stage opens its own (the ingestion memory limit of the settings)."""
    from ingestion.load import load_partitions

    database.unlink(missing_ok=True)
    with _ingest_connection(home, database) as con:
        started = time.perf_counter()
        load_partitions(con, contract, [file.business_date], home / "landing")
        seconds = time.perf_counter() - started
    database.unlink(missing_ok=True)
    return seconds


def _cpu_seconds() -> float:
    """User + system CPU time of this process: a figure that a busy machine distorts less
    than wall time."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _rate(megabytes: float, rows: int, seconds: float) -> dict:
    return {
        "mb": round(megabytes, 1),
        "rows": rows,
        "seconds": round(seconds, 1),
        "mb_per_s": round(megabytes / max(seconds, 1e-9), 1),
        "rows_per_s": round(rows / max(seconds, 1e-9)),
    }


def warehouse_resolve(scenario: Scenario, home: Path) -> dict:
    """The golden record over the warehouse the ``ingest`` stage built, through the Dagster job
    the pipeline runs (a full resolution: nothing is stored yet)."""
    return _run_jobs(home, "resolve_clients_job")


def warehouse_build(scenario: Scenario, home: Path) -> dict:
    """``build_warehouse_job``: every dbt model and test over that warehouse, from scratch —
    the incremental facts a previous build left are dropped first, or they would only be
    topped up."""
    _drop_incremental_models(home)
    return _run_jobs(home, "build_warehouse_job")


def _drop_incremental_models(home: Path, warehouse: Path | None = None) -> None:
    """The incremental models' tables dropped from the bench warehouse, or from ``warehouse``."""
    import duckdb

    relations = [f'"{schema}"."{name}"' for schema, name, kind in _built_tables(home)
                 if kind == "incremental"]  # fmt: skip
    with duckdb.connect(str(warehouse or home / "ingest.duckdb")) as con:
        for relation in relations:
            con.execute(f"drop table if exists {relation}")


def _built_tables(home: Path) -> list[tuple[str, str, str]]:
    """(schema, table, materialization) of every model the dbt build stores as a table."""
    import json

    from cdp.settings import load_settings
    from orchestration.defs.warehouse import dbt_project, manifest_is_current, prepare_manifest

    settings = load_settings(home=home, warehouse_path=home / "ingest.duckdb")
    project = dbt_project()
    if not manifest_is_current(project):
        prepare_manifest(settings, project)
    manifest = json.loads(project.manifest_path.read_text(encoding="utf-8"))
    return [
        (node["schema"], node["alias"], node["config"]["materialized"])
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        and node["config"]["materialized"] in ("table", "incremental")
    ]


def warehouse_baseline(scenario: Scenario, home: Path) -> dict:
    """The machine's own limit for ``warehouse_build``: DuckDB copying every table the build
    stores, as it is, into a scratch database under the build's own memory limit — the writing
    alone, none of the computing (a lower bound: the build also reads its sources and joins)."""
    import duckdb

    scratch = home / "baseline.duckdb"
    scratch.unlink(missing_ok=True)
    seconds, rows, largest = 0.0, 0, {}
    with duckdb.connect(str(scratch), config=_dbt_duckdb_settings()) as con:
        con.execute(f"attach '{home / 'ingest.duckdb'}' as warehouse (read_only)")
        for schema, name, _ in _built_tables(home):
            started = time.perf_counter()
            con.execute(f'create table copied as select * from warehouse."{schema}"."{name}"')
            took = time.perf_counter() - started
            (count,) = con.execute("select count(*) from copied").fetchone()
            con.execute("drop table copied")
            seconds += took
            rows += count
            largest[name] = round(took, 1)
    scratch.unlink(missing_ok=True)
    top = dict(sorted(largest.items(), key=lambda kv: -kv[1])[:5])
    return {"tables_copy_s": round(seconds, 1), "tables": len(largest), "rows": rows,
            "slowest_copies_s": top}  # fmt: skip


def warehouse_equivalence(scenario: Scenario, home: Path) -> dict:
    """The warehouse the daily stages left (run after ``warehouse_new_day`` or
    ``warehouse_daily``) against a full build of the same data on a copy, scored there from
    scratch with the same models: every table dbt stores and the three score tables compared
    row for row (``benchmarks/equivalence.py``); ``differing`` names each table that does not
    agree, with its rows found on one side only. Then the copy is published afresh and every
    table it serves compared with the daily publication, whose unchanged months were linked
    from the publications before (``served_differing``)."""
    from benchmarks.equivalence import compare, compare_publications, full_build, warehouse_copy
    from models_ml.cross_sell_pipeline import SCORES_TABLE as CROSS_SELL_SCORES
    from models_ml.lead_priority import SCORES_TABLE as LEAD_SCORES
    from models_ml.pipeline import SCORES_TABLE as CHURN_SCORES
    from serving.publish import current_publication_dir

    built = _built_tables(home)
    scratch = home / "equivalence"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    copy = warehouse_copy(home / "ingest.duckdb", scratch)
    _drop_incremental_models(home, copy)
    seconds = full_build(copy, scratch)
    _drop_stored_scores(copy)
    scoring = _run_jobs(home, "score_clients_job", warehouse_path=copy)["job_seconds"]
    tables = [f"{s}.{n}" for s, n, _ in built] + [CHURN_SCORES, CROSS_SELL_SCORES, LEAD_SCORES]
    started = time.perf_counter()
    differing = compare(home / "ingest.duckdb", copy, tables, scratch / "spill")
    compared = time.perf_counter() - started
    publishing = _run_jobs(
        home, "publish_serving_job", warehouse_path=copy, serving_dir=scratch / "serving"
    )["job_seconds"]
    started = time.perf_counter()
    served_differing = compare_publications(
        current_publication_dir(home / "serving"),
        current_publication_dir(scratch / "serving"),
        scratch / "spill",
    )
    served_compared = time.perf_counter() - started
    shutil.rmtree(scratch)
    return {
        "full_build_s": round(seconds, 1),
        "scoring_s": scoring["score_clients_job"],
        "compare_s": round(compared, 1),
        "publication_s": publishing["publish_serving_job"],
        "served_compare_s": round(served_compared, 1),
        "tables_compared": len(tables),
        "equal": not differing and not served_differing,
        "differing": differing,
        "served_differing": served_differing,
    }


def _dbt_duckdb_settings() -> dict:
    """The DuckDB settings dbt builds with (``dbt_project/profiles.yml``, its local target)."""
    import yaml

    from orchestration.defs.warehouse import DBT_PROJECT_DIR

    profiles = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text(encoding="utf-8"))
    return profiles["bank_cdp"]["outputs"]["local"]["settings"]


def warehouse_publish(scenario: Scenario, home: Path) -> dict:
    """``publish_serving_job``: the marts written, masked, to Parquet, the serving file's views
    over them, the checks and the dbt docs."""
    return _run_jobs(home, "publish_serving_job")


def publish_baseline(scenario: Scenario, home: Path) -> dict:
    """The machine's own limit for ``warehouse_publish``: DuckDB copying every table of the
    published schemas, unmasked, to Parquet with the publication's own options and memory
    limit, into a scratch folder — the writing alone (no masking, views, checks or docs)."""
    import shutil

    from cdp.settings import load_settings
    from cdp.warehouse import connect
    from serving.publish import PARQUET_OPTIONS, published_schema_tables, qualified_name, sql_string

    settings = load_settings(home=home, warehouse_path=home / "ingest.duckdb")
    scratch = home / "publish_baseline"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    seconds, largest = 0.0, {}
    try:
        with connect(settings, read_only=True) as con:
            con.execute("set preserve_insertion_order = false")
            con.execute(f"set memory_limit = {sql_string(settings.serving_memory_limit)}")
            for schema, name in published_schema_tables(con, settings.serving_schemas):
                target = sql_string(scratch / f"{schema}.{name}.parquet")
                started = time.perf_counter()
                con.execute(
                    f"copy (select * from {qualified_name(schema, name)}) "
                    f"to {target} ({PARQUET_OPTIONS})"
                )
                took = time.perf_counter() - started
                seconds += took
                largest[name] = round(took, 1)
        written = sum(f.stat().st_size for f in scratch.iterdir())
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    top = dict(sorted(largest.items(), key=lambda kv: -kv[1])[:5])
    return {"parquet_copy_s": round(seconds, 1), "tables": len(largest),
            "parquet_mb": round(written / 1e6), "slowest_copies_s": top}  # fmt: skip


def ml_train(scenario: Scenario, home: Path) -> dict:
    """``train_models_job``: every model (churn, cross-sell, lead priority) trained, judged,
    registered and promoted, then its scores written — the [ml] issue's "features, training and
    evaluation" (the feature tables are dbt models of ``warehouse_build``)."""
    return _run_jobs(home, "train_models_job")


def ml_quality(scenario: Scenario, home: Path) -> dict:
    """ROC AUC of the churn and cross-sell models against the simulator's truth on this bank
    (evaluation only: the figures of ``tests/evaluation`` at scale). The [ml] bars — churn
    within 0.03 of the truth's own AUC, cross-sell within 0.05 per product — are judged on the
    default bank in the tests, where a few hundred leavers make every AUC noisy; here they show
    how the gap moves with the amount of data."""
    import duckdb

    from models_ml.config import ChurnConfig, CrossSellConfig
    from tests.evaluation.churn_truth import churn_figures
    from tests.evaluation.cross_sell_truth import cross_sell_figures

    with duckdb.connect(str(home / "ingest.duckdb"), read_only=True) as con:
        churn = churn_figures(con, home / "truth", ChurnConfig())["truth_labels"]
        cross_sell = cross_sell_figures(con, home / "truth", CrossSellConfig())["products"]
    auc = {
        "churn": {
            who: round(churn[who]["roc_auc"], 3)
            for who in (
                "model",
                "baseline",
                "truth",
                "truth_without_dissatisfaction",
                "truth_seen_by_features",
            )
        }
    }
    auc["churn"]["top_decile_lift"] = round(churn["model"]["top_decile_lift"], 2)
    auc["churn"]["baseline_top_decile_lift"] = round(churn["baseline"]["top_decile_lift"], 2)
    auc["churn"]["ece"] = round(churn["model"]["ece"], 4)
    auc["churn"]["positives"] = churn["model"]["positives"]
    for product, figures in cross_sell.items():
        if "model" in figures:
            auc[product] = {
                w: round(figures[w]["roc_auc"], 3)
                for w in ("model", "truth", "truth_seen_by_features")
            }
            auc[product]["positives"] = figures["model"]["positives"]
    return {"roc_auc": auc}


def ml_score(scenario: Scenario, home: Path) -> dict:
    """``score_clients_job``: every client, offer and open lead scored with the promoted
    versions, every row through the trees — the stored scores are dropped first, or the rows
    unchanged since ``ml_train`` scored them would keep their scores (``ml_rescore``)."""
    _drop_stored_scores(home / "ingest.duckdb")
    return _run_jobs(home, "score_clients_job")


def _drop_stored_scores(warehouse: Path) -> None:
    """The stored churn and cross-sell scores dropped, so that a scoring computes every row."""
    import duckdb

    from models_ml.cross_sell_pipeline import SCORES_TABLE as CROSS_SELL_SCORES
    from models_ml.pipeline import SCORES_TABLE as CHURN_SCORES

    with duckdb.connect(str(warehouse)) as con:
        for table in (CHURN_SCORES, CROSS_SELL_SCORES):
            con.execute(f"drop table if exists {table}")


def ml_rescore(scenario: Scenario, home: Path) -> dict:
    """``score_clients_job`` again with no feature row changed since the last scoring — a day
    between two month ends, on which every churn and cross-sell row keeps its stored score and
    only the open leads go through the trees (docs/ml.md, "Unchanged rows keep their score")."""
    return _run_jobs(home, "score_clients_job")


def warehouse_daily(scenario: Scenario, home: Path) -> dict:
    """The day after ``ingest_daily`` reloaded the last business date, what the load starts
    (``daily_cycle_job``): the golden record as an increment, the dbt build (incremental facts,
    a weekday's tests of the recent rows), scoring with the models ``ml_train`` promoted, and
    the publication, with each stage's seconds (``stage_seconds``). Before them, outside the
    jobs' seconds, the deploy's parse (``_deploy_parse``)."""
    from orchestration.defs.daily_cycle import run_config_of, stages_after
    from orchestration.defs.warehouse import DAILY_BUILD

    deploy_parse_s = _deploy_parse(home, DAILY_BUILD.dbt_vars())
    jobs = stages_after("ingest_raw_job")
    measured = _run_jobs(
        home, *jobs, run_configs={job: run_config_of(job, DAILY_BUILD) for job in jobs}
    )
    return {**measured, "deploy_parse_s": deploy_parse_s}


def daily_cycle_daemon(scenario: Scenario, home: Path) -> dict:
    """The ordinary day (``_ordinary_day``) as a deployment runs it, under the Dagster daemon
    (``benchmarks/daemon.py``): its load queued, then the run the daily cycle's sensor starts —
    in place of ``ingest_ordinary_day`` and ``warehouse_ordinary_day``, whose in-process jobs
    leave out the waits between runs. The load runs the raw layer's gates, which the in-process
    ingest stages skip: a day they stop fails the stage, as it would stop the deployment's day.
    Before it, the deploy's parse (``_deploy_parse``)."""
    from benchmarks.daemon import daily_cycle_under_daemon
    from orchestration.defs.warehouse import DAILY_BUILD

    deploy_parse_s = _deploy_parse(home, DAILY_BUILD.dbt_vars())
    measured = daily_cycle_under_daemon(home, _ordinary_day(home / "landing"))
    return measured | {
        "dbt_build": dbt_build_breakdown(home / "dbt"),
        "deploy_parse_s": deploy_parse_s,
    }


def _deploy_parse(home: Path, dbt_vars: list[str]) -> float:
    """``dbt parse`` with the daily build's vars, kept as the daily build's parse state; its
    seconds. A day's build starts from the parse the day before left (``parse_state_kept``) and
    parses again only what changed, but dbt parses everything once after ``dbt_project.yml``
    changes — at a deploy, not on a day of data. A bench home keeps the parse of the code that
    last ran there, usually older, so without this its daily figure would carry that deploy's
    parse (≈ 10 s on this machine, reported here instead)."""
    import uuid

    from cdp.settings import load_settings
    from orchestration.defs.warehouse import dbt_command, dbt_project, dbt_resource

    settings = load_settings(home=home, warehouse_path=home / "ingest.duckdb")
    args, target = ["parse", *dbt_vars], home / "dbt" / f"deploy-parse-{uuid.uuid4().hex[:7]}"
    started = time.perf_counter()
    with dbt_command(settings, args, target):
        dbt_resource(dbt_project()).cli(args, target_path=target).wait()
    return round(time.perf_counter() - started, 1)


def _run_jobs(home: Path, *jobs: str, run_configs: dict | None = None, **settings_of) -> dict:
    """Run the pipeline's own jobs in process on the bench warehouse (each with its run config
    in ``run_configs``, if any; ``settings_of`` overrides settings, e.g. another warehouse);
    seconds per job."""
    from cdp.settings import load_settings
    from orchestration.definitions import build_definitions
    from orchestration.defs.daily_cycle import DAILY_CYCLE_JOB

    settings = load_settings(
        **{"home": home, "warehouse_path": home / "ingest.duckdb"} | settings_of
    )
    if not settings.warehouse_path.exists():
        raise RuntimeError("the warehouse stages need the ingest stage first")
    definitions = build_definitions(settings)
    seconds, steps = {}, {}
    for job in jobs:
        started = time.perf_counter()
        result = definitions.resolve_job_def(job).execute_in_process(
            run_config=(run_configs or {}).get(job), raise_on_error=False
        )
        seconds[job] = round(time.perf_counter() - started, 1)
        if not result.success:
            raise RuntimeError(f"{job} failed")
        for event in result.all_events:
            if event.event_type_value == "STEP_SUCCESS":
                steps[event.step_key] = round(event.event_specific_data.duration_ms / 1000, 1)
    slowest = dict(sorted(steps.items(), key=lambda kv: -kv[1])[:8])
    measured = {"job_seconds": seconds, "slowest_steps_s": slowest}
    if DAILY_CYCLE_JOB in jobs:
        measured["stage_seconds"] = _stage_seconds(definitions, steps)
    if "dbt_warehouse" in steps:
        measured["dbt_build"] = dbt_build_breakdown(home / "dbt")
    return measured


def _stage_seconds(definitions, steps: dict[str, float]) -> dict[str, float]:
    """The seconds of ``daily_cycle_job``'s steps by the stage job that runs them alone."""
    from orchestration.defs.daily_cycle import CYCLE_STAGES

    stage_seconds = {}
    for stage in CYCLE_STAGES:
        nodes = {node.name for node in definitions.resolve_job_def(stage).graph.nodes}
        stage_seconds[stage] = round(sum(s for key, s in steps.items() if key in nodes), 1)
    return stage_seconds


def dbt_build_breakdown(dbt_dir: Path) -> dict:
    """What the newest ``dbt build`` under ``dbt_dir`` spent its time on, from its run results:
    its nodes' elapsed time, the seconds of models, data tests and unit tests, and the slowest
    models — the split each performance finding starts from."""
    from activation.safety import latest_build

    found = latest_build(dbt_dir)
    if found is None:
        return {}
    path, results = found
    seconds: dict[str, float] = {}
    models = {}
    for result in results["results"]:
        kind, *_, name = result["unique_id"].split(".")
        seconds[kind] = seconds.get(kind, 0.0) + result["execution_time"]
        if kind == "model":
            models[name] = result["execution_time"]
    slowest = sorted(models.items(), key=lambda kv: -kv[1])[:10]
    return {
        **_dbt_start(path.parent / "dbt.log"),
        "elapsed_s": round(results["elapsed_time"], 1),
        "seconds_by_node_type": {kind: round(s, 1) for kind, s in sorted(seconds.items())},
        "slowest_models_s": {name: round(s, 1) for name, s in slowest},
    }


def _dbt_start(log: Path) -> dict:
    """From a dbt command's JSON log: seconds from its start to its first node (``start_s``:
    the process, the adapter, the parse) and why it parsed the whole project, if it did
    (``full_parse``; ``None`` when it parsed only what changed)."""
    import json

    if not log.exists():
        return {}
    started = first_node = reason = None
    with log.open(encoding="utf-8") as lines:
        for line in lines:
            if not line.startswith("{"):
                continue
            info = json.loads(line)["info"]
            moment = dt.datetime.fromisoformat(info["ts"].rstrip("Z"))
            if started is None:
                started = moment
            if info["code"] == "I024":  # UnableToPartialParse
                reason = info["msg"].removeprefix("Unable to do partial parsing because ")
            if info["code"] == "Q027":  # Concurrency: the nodes start next
                first_node = moment
                break
    if first_node is None:
        return {}
    return {"start_s": round((first_node - started).total_seconds(), 1), "full_parse": reason}


def _activation_settings(home: Path):
    from cdp.settings import load_settings

    settings = load_settings(home=home, warehouse_path=home / "ingest.duckdb")
    if not settings.warehouse_path.exists():
        raise RuntimeError("the activation stages need the warehouse stages first")
    return settings


def segment_preview(scenario: Scenario, home: Path) -> dict:
    """``cdp segments preview`` of every shipped segment on the built warehouse (marts and
    scores): size and breakdowns, seconds each (bar at bank-1m: ≤ 2 s)."""
    import duckdb

    from activation.catalog import CatalogError, load_catalog
    from activation.fields import DBT_MANIFEST, discover
    from activation.preview import preview

    settings = _activation_settings(home)
    figures, skipped = {}, {}
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        fields = discover(con, DBT_MANIFEST)
        for name, segment in load_catalog(settings.activation_segments_dir).items():
            try:
                result = preview(con, segment, fields)
            except CatalogError as error:  # e.g. a score table not written on this warehouse
                skipped[name] = str(error).split(": ", 2)[-1]
                continue
            figures[name] = {"clients": result.size, "seconds": round(result.seconds, 3)}
    return {"segments": figures, "skipped": skipped}


def segment_export(scenario: Scenario, home: Path) -> dict:
    """An export of the broadest shipped segment (every retail client with an open account)
    through the whole SMS contact policy: file, manifest and ledger (bar at bank-1m: a 1 M-client
    segment ≤ 60 s). A new campaign id per run, so every run does the whole export."""
    from activation.export import ExportRequest, run_export

    settings = _activation_settings(home)
    started = time.perf_counter()
    result = run_export(
        settings,
        ExportRequest("all_retail_clients", "sms", f"BENCH-{int(time.time())}", "csv"),
    )
    return {
        "segment_clients": result.manifest["waterfall"][0]["clients_after"],
        "eligible": result.manifest["eligible_rows"],
        "rows": result.rows,
        "holdout": result.holdout_rows,
        "megabytes": round(result.manifest["file"]["bytes"] / 1e6, 1),
        "export_seconds": round(time.perf_counter() - started, 1),
        "waterfall": {s["rule"]: s["clients_after"] for s in result.manifest["waterfall"]},
    }


def identity_load(scenario: Scenario, home: Path) -> dict:
    """The person-bearing raw tables alone into ``person_records.duckdb``: the input of the
    identity stages, small enough to exist beside a 1 M-person landing zone. (Not
    ``identity.duckdb``: a file named like a schema in it makes DuckDB references ambiguous.)"""
    import duckdb

    from identity.records import PERSON_TABLES
    from ingestion.contracts import CONTRACTS
    from ingestion.landing import find_files
    from ingestion.load import load_partitions

    database = home / "person_records.duckdb"
    database.unlink(missing_ok=True)
    rows = {}
    with duckdb.connect(str(database)) as con:
        for contract in (c for c in CONTRACTS if c.table in PERSON_TABLES):
            files = find_files(home / "landing", contract)
            dates = sorted({f.business_date for f in files})
            loads = load_partitions(con, contract, dates, home / "landing")
            rows[contract.table] = sum(load.total("rows_read") for load in loads)
    return {"rows_read": rows}


def identity(scenario: Scenario, home: Path) -> dict:
    """The golden record from scratch: records, model training, Splink, clusters, stable ids,
    survivorship and writes; then its accuracy against the truth (evaluation only)."""
    import duckdb

    database = str(home / "person_records.duckdb")
    with duckdb.connect(database) as con:
        for schema in ("identity", "marts", "intermediate"):
            con.execute(f"drop schema if exists {schema} cascade")
        con.execute("checkpoint")
    # A fresh connection: recreating the dropped tables in the connection that dropped them
    # fails DuckDB's commit ("could not commit creation of dependency").
    with duckdb.connect(database) as con:
        figures = _resolve(con)
        figures.update(_identity_accuracy(con, home / "truth"))
    return figures


def identity_rerun(scenario: Scenario, home: Path) -> dict:
    """A full run once a model is stored: every record re-resolved, ids carried forward."""
    import duckdb

    with duckdb.connect(str(home / "person_records.duckdb")) as con:
        return _resolve(con)


DAILY_DATABASE = "person_records_daily.duckdb"


def identity_withheld(scenario: Scenario, home: Path) -> dict:
    """Set-up of ``identity_increment`` (its figures are not a target): a copy of the person
    records resolved in full without their last business date, which is then put back as the
    next day's loads."""
    import shutil

    import duckdb

    from identity.records import PERSON_TABLES

    database = home / DAILY_DATABASE
    shutil.copyfile(home / "person_records.duckdb", database)
    with duckdb.connect(str(database)) as con:
        for schema in ("identity", "marts", "intermediate"):
            con.execute(f"drop schema if exists {schema} cascade")
        con.execute("checkpoint")
    with duckdb.connect(str(database)) as con:
        [last] = con.sql("select max(_business_date) from raw.abs__clients").fetchone()
        con.execute("create schema withheld")
        for table in PERSON_TABLES:
            con.execute(
                f"create table withheld.{table} as "
                f"select * from raw.{table} where _business_date = ?", [last],
            )  # fmt: skip
            con.execute(f"delete from raw.{table} where _business_date = ?", [last])
        figures = _resolve(con)
        withheld = 0
        for table in PERSON_TABLES:
            withheld += con.sql(f"select count(*) from withheld.{table}").fetchone()[0]
            con.execute(f"insert into raw.{table} select * from withheld.{table}")
        con.execute("drop schema withheld cascade")
    return {"withheld_date": str(last), "withheld_rows": withheld, **figures}


def identity_increment(scenario: Scenario, home: Path) -> dict:
    """The daily increment: the last business date's loads resolved against the golden record
    of the day before (``identity_withheld``); then accuracy against the truth."""
    import duckdb

    with duckdb.connect(str(home / DAILY_DATABASE)) as con:
        figures = _resolve(con, daily=True)
        figures.update(_identity_accuracy(con, home / "truth"))
    return figures


def _resolve(con, daily: bool = False) -> dict:
    from identity.increment import resolve
    from identity.overrides import load_overrides

    started = time.perf_counter()
    summary = resolve(con, load_overrides(None), full=not daily)
    seconds = time.perf_counter() - started
    if daily and summary.mode != "increment":
        raise RuntimeError("identity_increment needs identity_withheld first")
    return {
        "mode": summary.mode,
        "resolve_seconds": round(seconds, 1),
        "records": summary.records,
        "golden_clients": summary.golden_clients,
        "probabilistic_edges": summary.probabilistic_edges,
        "conflicts": summary.conflicts,
        "history_events": summary.history_events,
        "model_trained": summary.model_trained,
        "phase_seconds": summary.seconds,
    }


def _identity_accuracy(con, truth_dir: Path) -> dict:
    import polars as pl

    from simulator.evaluation import linkage_report, person_truth

    crosswalk = con.sql(
        "select record_key, source, lineage_record_id, golden_client_id "
        "from marts.dim_client_crosswalk where role <> 'legal_entity'"
    ).pl()
    report = linkage_report(
        person_truth(truth_dir, crosswalk),
        crosswalk.select("record_key", pl.col("golden_client_id").alias("cluster_key")),
    )
    abs_pair = next(r for r in report.by_source_pair if r["sources"] == "abs–abs")
    return {
        "pairwise_precision": round(report.pairwise_precision, 5),
        "pairwise_recall": round(report.pairwise_recall, 5),
        "bcubed_f1": round(report.bcubed_f1, 5),
        "abs_abs_precision": round(abs_pair["precision"], 5),
        "abs_abs_recall": round(abs_pair["recall"], 5),
        "true_pairs": report.true_pairs,
    }


STAGES = {
    "simulate": simulate,
    "truth_report": truth_report,
    "ingest": ingest,
    "ingest_daily": ingest_daily,
    "ingest_before_last": ingest_before_last,
    # The same bodies after ``ingest_before_last``, under their own names so that the new day's
    # figures are kept beside the replayed day's.
    "ingest_new_day": ingest_daily,
    "warehouse_new_day": warehouse_daily,
    # A day inside the month taken in for the first time, likewise.
    "ingest_before_ordinary_day": ingest_before_ordinary_day,
    "ingest_ordinary_day": ingest_ordinary_day,
    "warehouse_ordinary_day": warehouse_daily,
    # or both as a deployment runs them
    "daily_cycle_daemon": daily_cycle_daemon,
    "ingest_baseline": ingest_baseline,
    "identity_load": identity_load,
    "identity": identity,
    "identity_rerun": identity_rerun,
    "identity_withheld": identity_withheld,
    "warehouse_resolve": warehouse_resolve,
    "warehouse_build": warehouse_build,
    "warehouse_baseline": warehouse_baseline,
    "warehouse_publish": warehouse_publish,
    "publish_baseline": publish_baseline,
    "warehouse_daily": warehouse_daily,
    "warehouse_equivalence": warehouse_equivalence,
    "ml_train": ml_train,
    "ml_score": ml_score,
    "ml_rescore": ml_rescore,
    "ml_quality": ml_quality,
    "identity_increment": identity_increment,
    "segment_preview": segment_preview,
    "segment_export": segment_export,
}
