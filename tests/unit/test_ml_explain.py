"""Path contributions: they add up to the model's own raw score, row by row, and credit the
features the trees actually split on."""

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from models_ml.explain import BLOCK_ROWS, PathExplainer


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(7)
    n = 4_000
    x = rng.normal(size=(n, 5))
    x[rng.random(n) < 0.2, 1] = np.nan  # missing values take their own branch
    logit = 2.0 * x[:, 0] - 1.5 * np.nan_to_num(x[:, 1], nan=1.0) + 0.5 * x[:, 2]
    y = rng.random(n) < 1 / (1 + np.exp(-logit))
    booster = HistGradientBoostingClassifier(max_iter=60, max_leaf_nodes=7, random_state=1)
    return booster.fit(x, y), x


def test_contributions_add_up_to_the_decision_function(fitted):
    booster, x = fitted
    explainer = PathExplainer(booster, [[0], [1, 2]])
    contributions = explainer.contributions(x)
    assert contributions.shape == (len(x), 3)
    raw = booster.decision_function(x)
    np.testing.assert_allclose(explainer.bias + contributions.sum(axis=1), raw, atol=1e-9)
    np.testing.assert_allclose(explainer.raw_score(x), raw, atol=1e-9)


def test_the_groups_the_trees_split_on_get_the_credit(fitted):
    booster, x = fitted
    contributions = PathExplainer(booster, [[0], [1], [3]]).contributions(x)
    strength = np.abs(contributions).mean(axis=0)
    assert strength[0] > strength[2] and strength[1] > strength[2]  # x3 is noise
    # a row far along x0 owes its high score to x0 more than to anything else
    top = np.argmax(x[:, 0])
    assert np.argmax(contributions[top]) == 0 and contributions[top, 0] > 0


def test_no_rows_give_no_contributions(fitted):
    booster, x = fitted
    assert PathExplainer(booster, [[0], [1, 2]]).contributions(x[:0]).shape == (0, 3)


def test_threads_share_the_blocks_of_rows_without_changing_a_figure(fitted):
    booster, x = fitted
    explainer = PathExplainer(booster, [[0], [1, 2]])
    assert len(x) > 1 + BLOCK_ROWS  # several blocks, the last one short
    np.testing.assert_array_equal(
        explainer.contributions(x, threads=2), explainer.contributions(x, threads=1)
    )
    np.testing.assert_allclose(
        explainer.raw_score(x, threads=2), booster.decision_function(x), atol=1e-9
    )


def test_a_categorical_split_is_refused_not_misread():
    rng = np.random.default_rng(3)
    x = np.column_stack([rng.integers(0, 4, 2_000), rng.normal(size=2_000)])
    y = (x[:, 0] == 2) ^ (rng.random(2_000) < 0.1)
    booster = HistGradientBoostingClassifier(
        max_iter=5, categorical_features=[0], random_state=1
    ).fit(x, y)
    with pytest.raises(ValueError, match="numeric splits only"):
        PathExplainer(booster, [[0], [1]])
