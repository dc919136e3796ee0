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
        ("models", settings.models_dir),
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


def _warehouse_error(command: str, error: Exception) -> int:
    print(f"cdp {command}: {error}", file=sys.stderr)
    return 2


def _cmd_segments(args: argparse.Namespace, settings: Settings) -> int:
    import duckdb

    from activation.catalog import CatalogError, load_catalog
    from activation.compiler import compile_segment
    from activation.fields import DBT_MANIFEST, discover
    from activation.preview import preview

    try:
        catalog = load_catalog(settings.activation_segments_dir)
        with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
            fields = discover(con, DBT_MANIFEST)
            if args.action == "fields":
                print("\n".join(fields.describe()))
            elif args.action == "list":
                for segment in catalog.values():
                    compile_segment(segment, fields)
                    print(f"{segment.name:<32} v{segment.version}  {segment.owner:<12} "
                          f"{segment.purpose}")  # fmt: skip
            else:
                if args.name not in catalog:
                    print(f"cdp segments preview: unknown segment {args.name!r} "
                          f"(known: {sorted(catalog)})", file=sys.stderr)  # fmt: skip
                    return 2
                result = preview(con, catalog[args.name], fields)
                print(f"{result.segment}: {result.size:,} clients ({result.seconds:.2f} s)")
                for name, counts in result.breakdowns.items():
                    print(f"  by {name}:")
                    for value, count in counts:
                        print(f"    {value!s:<24} {count:>10,}")
    except (CatalogError, duckdb.IOException, duckdb.CatalogException) as error:
        return _warehouse_error("segments", error)
    return 0


def _cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    import duckdb

    from activation.export import ExportRequest, run_export
    from activation.safety import ExportRefused

    request = ExportRequest(
        segment=args.segment,
        channel=args.channel,
        campaign_id=args.campaign,
        file_format=args.format,
        recipient=args.recipient,
        purpose=args.purpose,
        requested_by=args.requested_by,
        holdout_share=args.holdout_share,
    )
    try:
        result = run_export(settings, request)
    except (ExportRefused, ValueError, duckdb.IOException) as error:  # CatalogError too
        print(f"cdp export: refused: {error}", file=sys.stderr)
        return 3 if isinstance(error, ExportRefused) else 2
    for step in result.manifest["waterfall"]:
        print(f"  {step['rule']:<24} {step['clients_after']:>10,}")
    print(
        f"{result.status}: {result.rows:,} rows → {result.file_path} "
        f"(holdout {result.holdout_rows:,}; sha256 {result.file_sha256[:12]}…; "
        f"manifest {result.manifest_path})"
    )
    return 0


def _cmd_ledger(args: argparse.Namespace, settings: Settings) -> int:
    from activation import ledger

    with ledger.open_ledger(settings.activation_ledger_path, read_only=True) as con:
        if args.client:
            rows = ledger.who_received(con, args.client)
        else:
            cursor = con.execute(
                "select exported_at, export_id, campaign_id, segment_name, channel, "
                "recipient_system, rows, holdout_rows, exported_by from audit.export_ledger "
                "order by exported_at"
            )
            names = [d[0] for d in cursor.description]
            rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    for row in rows:
        print("  ".join(f"{v:%Y-%m-%d %H:%M:%S}" if hasattr(v, "hour") else str(v)
                        for v in row.values()))  # fmt: skip
    if not rows:
        print("no exports" + (f" carried {args.client}" if args.client else ""))
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

    segments = sub.add_parser(
        "segments", help="the segment catalog: list, preview a segment, list usable fields"
    )
    segments.add_argument("action", choices=["list", "preview", "fields"])
    segments.add_argument("name", nargs="?", help="segment to preview")

    export = sub.add_parser(
        "export", help="export a segment through the contact policy (file, manifest, ledger)"
    )
    export.add_argument("--segment", required=True, help="segment name (cdp segments list)")
    export.add_argument("--channel", required=True, choices=["sms", "email", "call", "push"])
    export.add_argument("--campaign", required=True, help="campaign id: letters, digits, - _")
    export.add_argument("--format", default="csv", choices=["csv", "csv-cp1251", "parquet"])
    export.add_argument("--recipient", help="recipient system (default: the channel's)")
    export.add_argument("--purpose", help="purpose recorded in the ledger (default: segment's)")
    export.add_argument("--requested-by", help="who asks for the export (default: OS user)")
    export.add_argument(
        "--holdout-share", type=float, help="control share (default CDP_ACTIVATION_HOLDOUT_SHARE)"
    )

    led = sub.add_parser("ledger", help="the export ledger, or who received one client's data")
    led.add_argument("--client", help="golden_client_id: every export that carried this client")

    sub.add_parser("settings", help="print the effective settings")
    return parser


COMMANDS = {
    "run": _cmd_run,
    "simulate": _cmd_simulate,
    "resolve": _cmd_resolve,
    "models": _cmd_models,
    "segments": _cmd_segments,
    "export": _cmd_export,
    "ledger": _cmd_ledger,
    "settings": _cmd_settings,
}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return COMMANDS[args.command](args, load_settings())


if __name__ == "__main__":
    sys.exit(main())
