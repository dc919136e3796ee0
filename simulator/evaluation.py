"""Figures about a simulated bank measured against its own ground truth.

Evaluation code only (tests, benchmarks): it reads the truth folder, which pipeline code never
does. The churn figures say how learnable the simulated churn is — the ceiling any model built
on the landing files can hope to reach.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
from sklearn.metrics import roc_auc_score

from simulator.lifecycle import DISSATISFACTION_WEIGHT

HORIZON_DAYS = 90


@dataclass(frozen=True)
class ChurnTruthReport:
    annual_churn_rate: float
    """Share of clients at the first month start who churned within the next 365 days."""
    truth_auc_90d: float
    """ROC AUC of the true 90-day churn probability against what happened."""
    auc_without_dissatisfaction: float
    """ROC AUC of ``score_without_dissatisfaction``: how much of the ceiling is left without
    the one latent process the extracts barely show."""
    mean_predicted_90d: float
    observed_rate_90d: float
    client_months: int


def score_without_dissatisfaction(truth: pl.DataFrame) -> np.ndarray:
    """An observer who knows more than any model can — every leaver who has decided and shows
    precursors (ranked first), and every trait in the hazard — but not the month-to-month
    dissatisfaction, whose only trace in the extracts is a faint rise of precursors. Ranks
    the rest by the hazard with that term taken out; silent leavers look like anyone else."""
    q = truth["monthly_decision_prob"].to_numpy().astype(np.float64)
    z = truth["dissatisfaction"].to_numpy().astype(np.float64)
    visible_leaver = (truth["is_leaving"] & ~truth["is_silent_leaver"]).to_numpy()
    hazard = np.log(q / (1 - q)) - DISSATISFACTION_WEIGHT * z
    return visible_leaver + 1 / (1 + np.exp(-hazard))


def churn_labels(truth_dir: Path) -> pl.DataFrame:
    """Every (client, month start) whose 90-day window is complete, with the true probability
    and whether the client actually churned in that window."""
    churn = pl.read_parquet(truth_dir / "churn_monthly" / "*.parquet")
    persons = pl.read_parquet(truth_dir / "persons.parquet", columns=["person_id", "churn_date"])
    last = churn["as_of_date"].max()
    window_end = pl.col("as_of_date") + pl.duration(days=HORIZON_DAYS)
    return (
        churn.join(persons, on="person_id")
        .filter(pl.col("as_of_date") <= last - pl.duration(days=HORIZON_DAYS))
        .with_columns(
            ((pl.col("churn_date") >= pl.col("as_of_date")) & (pl.col("churn_date") < window_end))
            .fill_null(False)
            .alias("churned_90d")
        )
    )


def churn_truth_report(truth_dir: Path) -> ChurnTruthReport:
    labels = churn_labels(truth_dir)
    churn = pl.read_parquet(
        truth_dir / "churn_monthly" / "*.parquet", columns=["person_id", "as_of_date"]
    )
    persons = pl.read_parquet(truth_dir / "persons.parquet", columns=["person_id", "churn_date"])
    first = churn["as_of_date"].min()
    base = churn.filter(pl.col("as_of_date") == first).select("person_id")
    churned = persons.filter(pl.col("churn_date").is_between(first, first + pl.duration(days=364)))
    return ChurnTruthReport(
        annual_churn_rate=churned.join(base, on="person_id").height / base.height,
        truth_auc_90d=float(
            roc_auc_score(labels["churned_90d"].to_numpy(), labels["churn_prob_90d"].to_numpy())
        ),
        auc_without_dissatisfaction=float(
            roc_auc_score(labels["churned_90d"].to_numpy(), score_without_dissatisfaction(labels))
        ),
        mean_predicted_90d=float(labels["churn_prob_90d"].mean()),
        observed_rate_90d=float(labels["churned_90d"].mean()),
        client_months=labels.height,
    )


SOURCE_ENTITIES = {
    "abs": "clients",
    "cards": "holders",
    "dbo": "profiles",
    "contact_center": "calls",
}


def person_truth(truth_dir: Path, records: pl.DataFrame) -> pl.DataFrame:
    """record_key → true person_id for person records (``source``, ``lineage_record_id``:
    the raw record a record stands for; a caller record stands for its first call)."""
    truth = pl.read_parquet(truth_dir / "source_records.parquet").filter(
        pl.col("person_id").is_not_null()
    )
    truth = truth.filter(
        pl.struct("system", "entity").is_in(
            [{"system": s, "entity": e} for s, e in SOURCE_ENTITIES.items()]
        )
    )
    return records.join(
        truth.select(
            pl.col("system").alias("source"),
            pl.col("record_id").alias("lineage_record_id"),
            "person_id",
        ),
        on=["source", "lineage_record_id"],
        how="inner",
    ).select("record_key", "source", "person_id")


@dataclass(frozen=True)
class LinkageReport:
    pairwise_precision: float
    pairwise_recall: float
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float
    true_pairs: int
    predicted_pairs: int
    records: int
    by_source_pair: list[dict]


def _pairs(n: pl.Expr) -> pl.Expr:
    return (n * (n - 1) / 2).sum()


def linkage_report(truth: pl.DataFrame, clusters: pl.DataFrame) -> LinkageReport:
    """Pairwise and B-cubed figures of ``clusters`` (record_key, cluster_key) against
    ``truth`` (record_key, source, person_id), overall and per source pair."""
    joined = truth.join(clusters, on="record_key", how="inner")
    true_pairs = joined.group_by("person_id").len().select(_pairs(pl.col("len"))).item()
    predicted = joined.group_by("cluster_key").len().select(_pairs(pl.col("len"))).item()
    both = joined.group_by("person_id", "cluster_key").len().select(_pairs(pl.col("len"))).item()
    cells = joined.group_by("person_id", "cluster_key").len().rename({"len": "both"})
    per_record = (
        joined.join(cells, on=["person_id", "cluster_key"])
        .with_columns(
            pl.len().over("cluster_key").alias("cluster_size"),
            pl.len().over("person_id").alias("person_size"),
        )
        .select(
            (pl.col("both") / pl.col("cluster_size")).mean().alias("p"),
            (pl.col("both") / pl.col("person_size")).mean().alias("r"),
        )
    )
    bp, br = per_record.row(0)
    return LinkageReport(
        pairwise_precision=both / predicted if predicted else 1.0,
        pairwise_recall=both / true_pairs if true_pairs else 1.0,
        bcubed_precision=bp,
        bcubed_recall=br,
        bcubed_f1=2 * bp * br / (bp + br),
        true_pairs=int(true_pairs),
        predicted_pairs=int(predicted),
        records=joined.height,
        by_source_pair=_by_source_pair(joined),
    )


def _by_source_pair(joined: pl.DataFrame) -> list[dict]:
    sources = sorted(joined["source"].unique())
    rows = []
    for i, left in enumerate(sources):
        for right in sources[i:]:
            figures = {}
            for name, keys in (
                ("true", ["person_id"]),
                ("predicted", ["cluster_key"]),
                ("both", ["person_id", "cluster_key"]),
            ):
                counts = (
                    joined.group_by(*keys, "source")
                    .len()
                    .pivot(on="source", index=keys, values="len")
                    .fill_null(0)
                )
                if left not in counts.columns or right not in counts.columns:
                    figures[name] = 0
                elif left == right:
                    figures[name] = counts.select(_pairs(pl.col(left))).item()
                else:
                    figures[name] = counts.select((pl.col(left) * pl.col(right)).sum()).item()
            rows.append(
                {
                    "sources": f"{left}–{right}",
                    "true_pairs": int(figures["true"]),
                    "precision": figures["both"] / figures["predicted"]
                    if figures["predicted"]
                    else 1.0,
                    "recall": figures["both"] / figures["true"] if figures["true"] else 1.0,
                }
            )
    return rows


def connected_pair_recall(truth: pl.DataFrame, edges: pl.DataFrame) -> float:
    """Share of true pairs whose two records the ``edges`` (record_key_l, record_key_r) connect,
    directly or through other records: the recall ceiling that blocking leaves."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.get(x, x) != x:
            parent[x] = parent.get(parent[x], parent[x])
            x = parent[x]
        return x

    for left, right in edges.select("record_key_l", "record_key_r").iter_rows():
        a, b = find(left), find(right)
        if a != b:
            parent[max(a, b)] = min(a, b)
    components = truth.with_columns(
        pl.col("record_key").map_elements(find, return_dtype=pl.String).alias("component")
    )
    true_pairs = components.group_by("person_id").len().select(_pairs(pl.col("len"))).item()
    found = components.group_by("person_id", "component").len().select(_pairs(pl.col("len"))).item()
    return found / true_pairs if true_pairs else 1.0


def company_truth(truth_dir: Path, crosswalk: pl.DataFrame) -> pl.DataFrame:
    """Legal-entity records (``source_record_id`` of АБС ЮЛ clients) → true company_id."""
    truth = pl.read_parquet(truth_dir / "source_records.parquet").filter(
        pl.col("company_id").is_not_null()
    )
    return crosswalk.join(
        truth.select(
            pl.col("record_id").alias("source_record_id"), pl.col("company_id").alias("person_id")
        ),
        on="source_record_id",
    ).select("record_key", "source", "person_id")
