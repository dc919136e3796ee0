"""``cdp``: the product's one command line. Subcommands grow with the product."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from cdp.settings import Settings, load_settings


def _cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from orchestration.runner import run_pipeline

    ok = run_pipeline(settings)
    print("pipeline", "succeeded" if ok else "FAILED")
    for label, path in (
        ("landing zone", settings.landing_dir),
        ("warehouse", settings.warehouse_path),
        ("serving copy", settings.serving_dir),
        ("reports", settings.reports_dir),
        ("exports", settings.exports_dir),
        ("dagster runs", settings.dagster_home),
    ):
        print(f"{label:<13}: {path}{'' if path.exists() else '  (not produced yet)'}")
    return 0 if ok else 1


def _cmd_simulate(args: argparse.Namespace, settings: Settings) -> int:
    from simulator.config import params_from_settings
    from simulator.process import simulate_in_process

    home = Path(args.out).resolve() if args.out else settings.home
    summary = simulate_in_process(
        params_from_settings(
            settings,
            persons=args.persons,
            months=args.months,
            seed=args.seed,
            business_date=args.business_date,
            delta_days=args.delta_days,
        ),
        landing_dir=home / "landing" if args.out else settings.landing_dir,
        truth_dir=home / "truth" if args.out else settings.truth_dir,
    )
    print(summary.describe())
    return 0


def _cmd_resolve(args: argparse.Namespace, settings: Settings) -> int:
    import duckdb

    from identity.resolution import stored_model
    from identity.resolver import ResolverInputError, dedupe_file, match_file, read_input

    try:
        source = read_input(Path(args.input))
        if args.dedupe:
            model = None
            if settings.warehouse_path.exists():
                with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
                    model = stored_model(con)
            result = dedupe_file(source, model)
        else:
            with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
                result = match_file(con, source)
    except (ResolverInputError, duckdb.IOException, duckdb.CatalogException) as error:
        print(f"cdp resolve: {error}", file=sys.stderr)
        return 2
    result.write_csv(args.output)
    counts = result.group_by("status").len().sort("status").rows()
    print(f"{result.height} rows → {args.output}: " + ", ".join(f"{s} {n}" for s, n in counts))
    return 0


def _cmd_models(args: argparse.Namespace, settings: Settings) -> int:
    from models_ml import registry

    root = settings.models_dir
    if args.action == "promote":
        if not args.version:
            print("cdp models promote: --version is required", file=sys.stderr)
            return 2
        try:
            registry.promote(root, args.model, args.version)
        except (FileNotFoundError, ValueError) as error:
            print(f"cdp models promote: {error}", file=sys.stderr)
            return 2
        print(f"{args.model}: promoted {args.version}")
        return 0
    promoted = registry.promoted_version(root, args.model)
    for version in registry.versions(root, args.model):
        meta = registry.metadata(root, args.model, version)
        auc = meta["metrics"]["validation"]["roc_auc"]
        mark = "*" if version == promoted else " "
        print(f"{mark} {version}  roc_auc {auc:.4f}  promotable {meta['is_promotable']}")
    return 0


def _cmd_settings(args: argparse.Namespace, settings: Settings) -> int:
    for name, value in settings.model_dump().items():
        print(f"CDP_{name.upper():<18} {value}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cdp",
        description="Bank customer data platform. Settings come from CDP_* variables.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser("run", help="materialize the whole pipeline end to end, in-process")

    sim = sub.add_parser(
        "simulate", help="write a simulated bank's extracts (landing/) and ground truth (truth/)"
    )
    sim.add_argument("--persons", type=int, help="natural persons (default CDP_SIM_PERSONS)")
    sim.add_argument("--months", type=int, help="months of history (default CDP_SIM_MONTHS)")
    sim.add_argument("--seed", type=int, help="random seed (default CDP_SIM_SEED)")
    sim.add_argument("--delta-days", type=int, help="daily delta folders after the snapshot")
    sim.add_argument(
        "--business-date", type=dt.date.fromisoformat, help="last business date, YYYY-MM-DD"
    )
    sim.add_argument("--out", help="data home to write into (default CDP_HOME)")

    res = sub.add_parser(
        "resolve",
        help="match a CSV of people (standard person shape, docs/identity.md) to golden clients",
    )
    res.add_argument("--input", required=True, help="CSV in the standard person shape")
    res.add_argument("--output", required=True, help="CSV to write: one row per input row")
    res.add_argument(
        "--dedupe",
        action="store_true",
        help="cluster the file's own rows instead (no warehouse records are used)",
    )

    models = sub.add_parser("models", help="list registered models or promote a version")
    models.add_argument("action", choices=["list", "promote"])
    models.add_argument(
        "--model", default="churn", help="model name: churn (default) or cross_sell"
    )
    models.add_argument("--version", help="version to promote (see `cdp models list`)")

    sub.add_parser("settings", help="print the effective settings")
    return parser


COMMANDS = {
    "run": _cmd_run,
    "simulate": _cmd_simulate,
    "resolve": _cmd_resolve,
    "models": _cmd_models,
    "settings": _cmd_settings,
}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return COMMANDS[args.command](args, load_settings())


if __name__ == "__main__":
    sys.exit(main())
