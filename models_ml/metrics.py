"""Model figures: ranking (ROC AUC, PR AUC, top-decile lift and capture), calibration (Brier,
expected calibration error) and population stability (PSI)."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

ECE_BINS = 10
PSI_BINS = 10
PSI_FLOOR = 1e-4
"""Smallest bin share in the PSI, so an empty bin gives a large but finite term."""


def top_decile(y: np.ndarray, score: np.ndarray) -> tuple[float, float]:
    """(lift, capture) of the 10 % highest scores: their churn rate over the overall rate, and
    the share of all churners they hold. Ties at the cut are broken by order (stable sort)."""
    y = np.asarray(y, dtype=float)
    k = max(1, round(len(y) * 0.1))
    top = np.argsort(-np.asarray(score, dtype=float), kind="stable")[:k]
    base = y.mean()
    if base == 0:
        return 0.0, 0.0
    return float(y[top].mean() / base), float(y[top].sum() / y.sum())


def deciles(score: np.ndarray) -> np.ndarray:
    """Decile of each score: 1 = the 10 % highest … 10 = the lowest (ties broken by order)."""
    order = np.argsort(-np.asarray(score, dtype=float), kind="stable")
    decile = np.empty(len(order), dtype=np.int8)
    decile[order] = np.arange(len(order)) * 10 // max(len(order), 1) + 1
    return decile


def expected_calibration_error(y: np.ndarray, prob: np.ndarray, bins: int = ECE_BINS) -> float:
    """Mean |observed rate − mean predicted| over equal-count bins of the prediction, weighted
    by bin size (equal-count, because churn probabilities crowd near zero)."""
    y = np.asarray(y, dtype=float)
    prob = np.asarray(prob, dtype=float)
    order = np.argsort(prob, kind="stable")
    total = 0.0
    for part in np.array_split(order, bins):
        if len(part):
            total += len(part) * abs(y[part].mean() - prob[part].mean())
    return float(total / len(y))


def classification_report(y: np.ndarray, score: np.ndarray, *, calibrated: bool) -> dict:
    """ROC AUC, PR AUC, top-decile lift and capture; Brier and ECE when ``score`` is a
    probability (a rule's ranking score is not)."""
    lift, capture = top_decile(y, score)
    report = {
        "roc_auc": float(roc_auc_score(y, score)),
        "pr_auc": float(average_precision_score(y, score)),
        "top_decile_lift": lift,
        "top_decile_capture": capture,
        "positives": int(np.sum(y)),
        "rows": len(y),
    }
    if calibrated:
        report["brier"] = float(brier_score_loss(y, score))
        report["ece"] = expected_calibration_error(y, score)
    return report


def population_stability_index(expected: np.ndarray, actual: np.ndarray) -> float:
    """PSI of ``actual`` against ``expected`` over the expected sample's deciles (distinct cut
    points only, so a feature with many zeros gets fewer, wider bins); nulls are a bin."""
    expected = np.asarray(expected, dtype=float)
    actual = np.asarray(actual, dtype=float)
    finite = expected[~np.isnan(expected)]
    cuts = (
        np.unique(np.quantile(finite, np.linspace(0, 1, PSI_BINS + 1)[1:-1])) if len(finite) else []
    )

    def shares(values: np.ndarray) -> np.ndarray:
        nan = np.isnan(values)
        counts = np.bincount(
            np.searchsorted(cuts, values[~nan], side="right"), minlength=len(cuts) + 1
        )
        counts = np.append(counts, nan.sum())
        return np.maximum(counts / max(len(values), 1), PSI_FLOOR)

    e, a = shares(expected), shares(actual)
    return float(np.sum((a - e) * np.log(a / e)))
