"""Typed settings for the whole product, read once from ``CDP_*`` environment variables.

Every other module receives a ``Settings`` object instead of reading the environment, so tests
and benchmarks can point the product at a temporary data home without touching global state.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MEMORY_SIZE = r"^[0-9]+(\.[0-9]+)?\s*(KB|MB|GB|KiB|MiB|GiB)$"


class Settings(BaseSettings):
    """Where data lives, which business date is processed and how the simulated bank is shaped."""

    model_config = SettingsConfigDict(env_prefix="CDP_", frozen=True, extra="forbid")

    home: Path = Field(
        default=Path("data"),
        description="Data home; every other path defaults to a folder inside it.",
    )
    landing_dir: Path | None = Field(
        default=None, description="Landing zone: one folder per source system per delivery date."
    )
    truth_dir: Path | None = Field(
        default=None,
        description="Simulator ground truth, kept apart from the landing zone; evaluation only.",
    )
    warehouse_path: Path | None = Field(
        default=None, description="DuckDB file the pipeline writes (one writer at a time)."
    )
    exports_dir: Path | None = Field(default=None, description="Files handed to other systems.")
    serving_dir: Path | None = Field(
        default=None,
        description="Serving copy for analysts and BI, published after each build: a read-only "
        "DuckDB file, Parquet per publication, dbt docs (docs/serving.md).",
    )
    serving_schemas: tuple[str, ...] = Field(
        default=("marts", "ml"),
        description="Warehouse schemas published whole to the serving copy (absent ones skipped).",
    )
    ingest_memory_limit: str = Field(
        default="2GB",
        pattern=MEMORY_SIZE,
        description="DuckDB's memory limit while raw tables load; beyond it DuckDB evicts and "
        "spills. Without one its buffer pool keeps every block written, 80 % of RAM at most "
        "(bank-300k whole landing zone: 6.8 GB peak, 5.5 GB with 2 GB, and 23 % faster).",
    )
    serving_memory_limit: str = Field(
        default="4GB",
        pattern=MEMORY_SIZE,
        description="DuckDB's memory limit while publishing; beyond it DuckDB spills to disk. "
        "Without one its buffer pool grows to 80 % of RAM (bank-300k publication: 9.8 GB peak, "
        "over the 8 GB bar). The dbt build's own limit is in dbt_project/profiles.yml.",
    )
    ml_memory_limit: str = Field(
        default="6GB",
        pattern=MEMORY_SIZE,
        description="DuckDB's memory limit while models read their training and scoring frames; "
        "beyond it DuckDB spills. Without one the join, sort and result of the bank-1m churn "
        "training frame took 14.0 GB beside the frame; with 6 GB 7.1 GB (4 GB ran out of "
        "memory in the labels' ASOF join, since replaced by an aggregate that spills).",
    )
    ml_tree_threads: int = Field(
        default=2,
        ge=1,
        description="Threads that run rows through the models' trees to score, explain and "
        "validate them (blocks of rows are independent): this machine's two cores.",
    )
    serving_keep_publications: int = Field(
        default=3,
        ge=2,
        description="Parquet publications kept; at least the current one and the one before, "
        "which readers that resolved `current` a moment ago may still be reading.",
    )
    serving_mask_key: SecretStr = Field(
        default=SecretStr("dev-only-serving-mask-key"),
        description="Secret for the keyed hash that masks identifiers in the serving copy "
        "(equal values hash alike, so joins still work); replace outside development.",
    )
    dagster_home: Path | None = Field(
        default=None, description="Dagster instance folder (run history for the UI and the CLI)."
    )
    models_dir: Path | None = Field(
        default=None,
        description="Model registry: every trained model with its metrics and model card, and "
        "the promoted version per model (docs/ml.md); never committed.",
    )
    ml_min_positives: int = Field(
        default=500,
        ge=1,
        description="Minimum-data gate: a model trained on fewer positives (churners, converted "
        "leads) is registered but "
        "never promoted, so scores are not published from it.",
    )
    ml_cross_sell_min_positives: int = Field(
        default=100,
        ge=1,
        description="Cross-sell minimum-data gate per product family: a family with fewer "
        "openings in the training window is registered but not offered (docs/ml.md).",
    )
    business_date: dt.date = Field(
        default=dt.date(2026, 10, 31),
        description="Last business date of the simulated bank and the date the pipeline closes.",
    )
    sim_persons: int = Field(default=5_000, ge=100, description="Simulated natural persons.")
    sim_months: int = Field(default=12, ge=4, description="Months of simulated history.")
    sim_seed: int = Field(default=42, description="Seed: same seed and parameters, same bytes.")
    sim_delta_days: int = Field(
        default=14,
        ge=1,
        description="Daily delta deliveries after the initial full snapshot (the last N days).",
    )
    snapshot_date: dt.date | None = Field(
        default=None,
        description="Business date of the initial full snapshot, where raw partitions start "
        "(default: business date − sim delta days, as the simulator delivers).",
    )
    quarantine_warn_rate: float = Field(
        default=0.001,
        ge=0,
        le=1,
        description="Share of a file's rows rejected to quarantine above which a WARN is raised.",
    )
    quarantine_error_rate: float = Field(
        default=0.02,
        ge=0,
        le=1,
        description="Share rejected above which the raw table's check fails with ERROR (blocks).",
    )
    identity_overrides_dir: Path | None = Field(
        default=None,
        description="Steward overrides for the golden record: must_link.csv and never_link.csv "
        "(default: identity/overrides in the project, versioned with the code).",
    )
    identity_retrain: bool = Field(
        default=False,
        description="Retrain the record-linkage model on this run; otherwise the last stored "
        "model is reused (one is trained when none is stored).",
    )
    identity_full: bool = Field(
        default=False,
        description="Resolve every record on this run; otherwise only the records of loads not "
        "yet resolved (a daily increment) when a resolution with the same overrides exists.",
    )
    activation_segments_dir: Path | None = Field(
        default=None,
        description="Segment catalog: versioned YAML files of segment definitions (default: "
        "activation/segments in the project, reviewed and versioned with the code).",
    )
    activation_stop_list_path: Path | None = Field(
        default=None,
        description="Do-not-contact requests the data steward keeps (CSV: golden_client_id, "
        "channel, requested_date, reason); no source system delivers them. Missing: none.",
    )
    activation_ledger_path: Path | None = Field(
        default=None,
        description="Append-only export ledger (DuckDB file, audit.export_ledger and "
        "audit.export_audience), apart from the warehouse, which exports only read.",
    )
    activation_holdout_share: float = Field(
        default=0.1,
        ge=0,
        lt=1,
        description="Share of a campaign's eligible clients set aside as a control group "
        "(stable per client and campaign); `cdp export --holdout-share` overrides it.",
    )
    activation_max_size_ratio: float = Field(
        default=2.0,
        gt=1,
        description="An export refuses when its segment is more than this many times larger or "
        "smaller than at the last export of the same definition on the channel.",
    )
    pan_token_key: SecretStr = Field(
        default=SecretStr("dev-only-pan-token-key"),
        description="Secret for the keyed PAN token in card extracts; replace outside development.",
    )

    @model_validator(mode="after")
    def _resolve_paths(self) -> Settings:
        home = self.home.expanduser().resolve()
        project = Path(__file__).resolve().parents[1]
        defaults = {
            "home": home,
            "landing_dir": home / "landing",
            "truth_dir": home / "truth",
            "warehouse_path": home / "warehouse" / "cdp.duckdb",
            "exports_dir": home / "exports",
            "serving_dir": home / "serving",
            "dagster_home": home / "dagster",
            "models_dir": home / "models",
            "activation_stop_list_path": home / "activation" / "do_not_contact.csv",
            "activation_ledger_path": home / "activation" / "ledger.duckdb",
            # versioned with the code, reviewed like it
            "identity_overrides_dir": project / "identity" / "overrides",
            "activation_segments_dir": project / "activation" / "segments",
        }
        for name, default in defaults.items():
            value = getattr(self, name)
            object.__setattr__(
                self, name, default if value is None else value.expanduser().resolve()
            )
        if self.snapshot_date is None:
            snapshot = self.business_date - dt.timedelta(days=self.sim_delta_days)
            object.__setattr__(self, "snapshot_date", snapshot)
        return self


def load_settings(**overrides: object) -> Settings:
    """Read ``CDP_*`` variables once; explicit overrides (CLI flags, tests) win over them."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
