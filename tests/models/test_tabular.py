"""Tabular learners: every one fits real data, deadlines stop slow fits, slicing changes nothing."""

from __future__ import annotations

import time

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_wine
from sklearn.preprocessing import StandardScaler

from tsautoml.exceptions import TrialTimeout
from tsautoml.models.tabular import fit_within, tabular_learners
from tsautoml.search.space import TabularContext, tabular_spaces


@pytest.fixture(scope="module")
def wine() -> tuple[np.ndarray, np.ndarray]:
    X, y = load_wine(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def diabetes() -> tuple[np.ndarray, np.ndarray]:
    X, y = load_diabetes(return_X_y=True)
    return X, y


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_every_learner_fits_its_starts_and_beats_chance(task: str, wine, diabetes) -> None:
    X, y = wine if task == "classification" else diabetes
    ctx = TabularContext(task, n_rows=len(X), n_features=X.shape[1], imbalanced=True)
    specs = tabular_learners(task)  # type: ignore[arg-type]
    spaces = tabular_spaces(ctx)
    assert {s.learner for s in spaces} == set(specs)
    for space in spaces:
        for params in space.starts:
            model = fit_within(specs[space.learner].make(params, seed=0), X[::2], y[::2], None)
            score = model.score(X[1::2], y[1::2])  # accuracy or R^2 on the other half
            assert score > (0.8 if task == "classification" else 0.3), (space.learner, score)


def test_class_weight_is_tuned_only_when_imbalanced() -> None:
    balanced = tabular_spaces(TabularContext("classification", 500, 5, imbalanced=False))
    imbalanced = tabular_spaces(TabularContext("classification", 500, 5, imbalanced=True))
    assert not any("class_weight" in s.domain for s in balanced)
    assert {s.learner for s in imbalanced if "class_weight" in s.domain} == {
        "LightGBM", "HistGradientBoosting", "RandomForest", "ExtraTrees", "LogisticRegression",
    }


def test_costs_order_cheap_learners_first_and_grow_with_size() -> None:
    small = {s.learner: s.cost for s in tabular_spaces(TabularContext("regression", 1_000, 10))}
    large = {s.learner: s.cost for s in tabular_spaces(TabularContext("regression", 100_000, 10))}
    assert small["Ridge"] < small["LightGBM"] < small["RandomForest"]
    assert large["KNeighbors"] / small["KNeighbors"] > large["LightGBM"] / small["LightGBM"]


@pytest.mark.parametrize("name", ["RandomForest", "ExtraTrees", "HistGradientBoosting"])
def test_growing_in_slices_gives_the_same_model(name: str, wine) -> None:
    X, y = wine
    spec = tabular_learners("classification")[name]
    params = {"max_iter": 40} if name == "HistGradientBoosting" else {"n_estimators": 40}
    whole = fit_within(spec.make(params, 0), X, y, None)
    sliced = fit_within(spec.make(params, 0), X, y, time.monotonic() + 600)
    np.testing.assert_allclose(whole.predict_proba(X), sliced.predict_proba(X))
    assert sliced.get_params()["warm_start"] is False


@pytest.mark.parametrize("name", ["LightGBM", "RandomForest", "LogisticRegression"])
def test_a_passed_deadline_raises_trial_timeout(name: str, diabetes) -> None:
    X, y = diabetes
    spec = tabular_learners("regression" if name != "LogisticRegression" else "classification")[name]
    target = y if name != "LogisticRegression" else (y > np.median(y)).astype(int)
    with pytest.raises(TrialTimeout):
        fit_within(spec.make({}, 0), X, target, time.monotonic() - 1.0)
