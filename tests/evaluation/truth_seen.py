"""What a model's features can tell of the simulator's truth (evaluation only)."""

from __future__ import annotations

import numpy as np
import polars as pl
from sklearn.ensemble import HistGradientBoostingRegressor

from models_ml.churn import matrix

SEED = 7


def truth_seen_by_features(
    train: pl.DataFrame, judged: pl.DataFrame, truth: str, features: list[str]
) -> np.ndarray:
    """The truth's probability (column ``truth``) as far as the model's features can tell it: a
    booster regressed on the truth itself over the training rows — every row a target, not only
    the rare positives — applied to the judged rows. Its AUC is what the features could reach
    with unlimited examples; the model's distance to it is what its few positives cost, the rest
    of the gap to the truth is what the features do not show."""
    regressor = HistGradientBoostingRegressor(max_iter=300, random_state=SEED).fit(
        matrix(train, features), train[truth].to_numpy()
    )
    return regressor.predict(matrix(judged, features))
