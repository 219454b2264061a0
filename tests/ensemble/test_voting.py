"""Greedy voting and stacking for tables: weights, honest cross-fitting, refit equivalence, pickling."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.model_selection import cross_val_predict
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import StandardScaler

from tsautoml.ensemble.stacking import StackedEnsemble, make_meta, meta_features
from tsautoml.ensemble.voting import WeightedEnsemble, caruana_weights, cross_fitted, selection_loss


def test_caruana_picks_complementary_members_and_ignores_noise() -> None:
    rng = np.random.default_rng(0)
    y = rng.normal(size=2000)
    a = y + rng.normal(scale=1.0, size=y.size)  # two independent noisy views of y: averaging halves the error
    b = y + rng.normal(scale=1.0, size=y.size)
    noise = y + 10.0  # far off: any weight on it hurts
    weights = caruana_weights(np.stack([a, b, noise]), y, selection_loss("r2_score", None), n_iter=20)
    assert weights[2] == 0
    assert 0.3 <= weights[0] <= 0.7
    assert weights.sum() == pytest.approx(1.0)


def test_classification_selection_losses() -> None:
    classes = np.array(["a", "b"])
    y = np.array(["a", "b", "b"])
    preds = np.array([[[0.9, 0.1], [0.2, 0.8], [0.4, 0.6]], [[0.4, 0.6], [0.2, 0.8], [0.4, 0.6]]])
    np.testing.assert_allclose(selection_loss("accuracy", classes)(preds, y), [0.0, 1 / 3])
    expected = -np.log([[0.9, 0.8, 0.6], [0.4, 0.8, 0.6]]).mean(axis=1)
    np.testing.assert_allclose(selection_loss("AUC_weighted", classes)(preds, y), expected)


def test_cross_fitting_uses_only_the_other_groups() -> None:
    groups = np.array([0, 0, 1, 1, 2, 2])
    values = np.array([1.0, 1.0, 10.0, 10.0, 100.0, 100.0])
    out = cross_fitted(groups, lambda m: values[m].mean(), lambda mean, m: np.full(m.sum(), mean))
    np.testing.assert_allclose(out, [55, 55, 50.5, 50.5, 5.5, 5.5])


@pytest.fixture(scope="module")
def cancer() -> tuple[np.ndarray, np.ndarray]:
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), np.where(y == 1, "benign", "malignant")


def members() -> list:
    return [("logit", LogisticRegression(max_iter=500), (0, 10)), ("knn", KNeighborsClassifier(7), (10, 30))]


def test_weighted_ensemble_from_fitted_equals_fit_and_pickles(cancer) -> None:
    X, y = cancer
    fitted = WeightedEnsemble(members(), [0.7, 0.3]).fit(X, y)
    adopted = WeightedEnsemble.from_fitted(fitted.members_, [0.7, 0.3], "classification", fitted.classes_)
    np.testing.assert_allclose(adopted.predict_proba(X), fitted.predict_proba(X))
    manual = 0.7 * fitted.members_[0][1].predict_proba(X[:, :10]) + 0.3 * fitted.members_[1][1].predict_proba(X[:, 10:30])
    np.testing.assert_allclose(fitted.predict_proba(X), manual)
    assert set(fitted.predict(X)) == {"benign", "malignant"}
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(fitted)).predict(X), fitted.predict(X))


def test_stacking_on_out_of_fold_predictions_beats_its_weaker_member(cancer) -> None:
    X, y = cancer
    order = np.random.default_rng(0).permutation(len(y))
    train, test = order[:400], order[400:]
    oof = np.stack([
        cross_val_predict(est, X[train][:, a:b], y[train], cv=5, method="predict_proba") for _, est, (a, b) in members()
    ])
    meta = make_meta("classification").fit(meta_features(oof), y[train])
    fitted = [(n, est.fit(X[train][:, a:b], y[train]), (a, b)) for n, est, (a, b) in members()]
    stack = StackedEnsemble.from_fitted(fitted, meta, "classification", np.unique(y))
    accuracy = (stack.predict(X[test]) == y[test]).mean()
    knn_accuracy = (fitted[1][1].predict(X[test][:, 10:30]) == y[test]).mean()
    assert accuracy >= knn_accuracy
    assert accuracy > 0.93
    np.testing.assert_allclose(stack.predict_proba(X[test]).sum(axis=1), 1.0)


def test_regression_stacking_keeps_weights_non_negative() -> None:
    X, y = load_diabetes(return_X_y=True)
    regressors = [("ridge", Ridge(1.0), (0, 10)), ("ols", LinearRegression(), (0, 5))]
    stack = StackedEnsemble(regressors, make_meta("regression"), task="regression").fit(X, y)
    assert (stack.meta_.coef_ >= 0).all()
    assert np.corrcoef(stack.predict(X), y)[0, 1] > 0.6
    with pytest.raises(AttributeError, match="only available for classification"):
        stack.predict_proba(X)
