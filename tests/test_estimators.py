"""AutoMLClassifier and AutoMLRegressor pass every one of scikit-learn's estimator checks (none is expected to fail)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from tsautoml import AutoMLClassifier, AutoMLRegressor
from tsautoml.exceptions import DataValidationError

# one quick learner per task keeps the few hundred fits of the checks within seconds each
FAST = {AutoMLClassifier: ["LogisticRegression"], AutoMLRegressor: ["Ridge"]}


@parametrize_with_checks(
    [AutoMLClassifier(max_trials=1, allowed_models=FAST[AutoMLClassifier]),
     AutoMLRegressor(max_trials=1, allowed_models=FAST[AutoMLRegressor])],
)
def test_passes_scikit_learn_checks(estimator, check) -> None:
    check(estimator)


def test_a_mixed_frame_keeps_its_column_types_and_names() -> None:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"size": rng.normal(size=200), "colour": rng.choice(["red", "blue"], 200)})
    y = np.where((X["colour"] == "red") & (X["size"] > 0), "yes", "no")
    clf = AutoMLClassifier(max_trials=2).fit(X, y)
    assert list(clf.feature_names_in_) == ["size", "colour"] and clf.n_features_in_ == 2
    assert set(clf.classes_) == {"no", "yes"}
    assert (clf.predict(X) == y).mean() > 0.9
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(X.rename(columns={"size": "length"}))


def test_works_inside_pipelines_and_model_selection() -> None:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(120, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + rng.normal(0, 0.1, 120)
    pipe = make_pipeline(StandardScaler(), AutoMLRegressor(max_trials=2, allowed_models=["Ridge"]))
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.min() > 0.95
    assert clone(pipe).get_params()["automlregressor__max_trials"] == 2


def test_a_classifier_refuses_a_single_class_with_a_clear_error() -> None:
    with pytest.raises(DataValidationError, match="only one class"):
        AutoMLClassifier(max_trials=1).fit(np.arange(20.0).reshape(10, 2), np.zeros(10))
