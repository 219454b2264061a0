"""Stacking for tables: a simple meta-model over the members' out-of-fold predictions.

The meta-model reads each member's probabilities (classification: a multinomial
logistic regression) or values (regression: a linear regression with non-negative weights,
which keeps the blend from extrapolating on correlated members). It is fitted on
out-of-fold predictions, so it learns how members err on data they did not see.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.linear_model import LinearRegression, LogisticRegression

from tsautoml.ensemble.voting import Member, _MemberEnsemble

__all__ = ["StackedEnsemble", "make_meta", "meta_features"]


def meta_features(preds: np.ndarray) -> np.ndarray:
    """Meta-model inputs from member predictions ``(n_members, n_rows[, n_classes])``.

    Classification: every member's probabilities, side by side (log-probabilities would
    give a member's confident zeros, common for k-nearest neighbours, undue leverage).

    Examples
    --------
    >>> meta_features(np.array([[1.0, 2.0], [3.0, 4.0]])).tolist()
    [[1.0, 3.0], [2.0, 4.0]]
    """
    if preds.ndim == 2:
        return preds.T
    return np.concatenate(list(preds), axis=1)


def make_meta(task: Literal["classification", "regression"], seed: int = 0) -> BaseEstimator:
    """The unfitted meta-model of ``task``."""
    if task == "classification":
        return LogisticRegression(C=1.0, max_iter=2000, random_state=seed)
    return LinearRegression(positive=True)


class StackedEnsemble(_MemberEnsemble):
    """Members whose predictions feed a meta-model.

    ``fit`` refits the members on all rows and the meta-model on their in-sample
    predictions; the search instead fits the meta-model on out-of-fold predictions and
    hands both over with :meth:`from_fitted`.

    Examples
    --------
    >>> from sklearn.linear_model import LinearRegression
    >>> X = np.arange(12.0).reshape(6, 2)
    >>> y = X[:, 0] * 2.0
    >>> members = [("a", LinearRegression(), (0, 1)), ("b", LinearRegression(), (1, 2))]
    >>> model = StackedEnsemble(members, LinearRegression(positive=True), task="regression").fit(X, y)
    >>> model.predict(X).round(6).tolist()
    [0.0, 4.0, 8.0, 12.0, 16.0, 20.0]
    """

    def __init__(
        self,
        members: Sequence[Member],
        meta: Any,
        task: Literal["classification", "regression"] = "classification",
    ) -> None:
        self.members = members
        self.meta = meta
        self.task = task

    def fit(self, X: np.ndarray, y: np.ndarray) -> StackedEnsemble:
        """Refit the members on ``X`` and the meta-model on their predictions."""
        X, y = np.asarray(X), np.asarray(y)
        self._fit_members(X, y)
        self.meta_ = clone(self.meta).fit(meta_features(self.member_predictions(X)), y)
        return self

    @classmethod
    def from_fitted(
        cls, fitted: Sequence[Member], meta: Any, task: Literal["classification", "regression"],
        classes: np.ndarray | None = None,
    ) -> StackedEnsemble:
        """An ensemble of members and a meta-model fitted elsewhere."""
        ensemble = cls([(n, clone(e), c) for n, e, c in fitted], clone(meta), task)
        ensemble._adopt(fitted, classes)
        ensemble.meta_ = meta
        return ensemble

    def _combine(self, X: np.ndarray) -> np.ndarray:
        features = meta_features(self.member_predictions(np.asarray(X)))
        if self.task == "regression":
            return np.asarray(self.meta_.predict(features), dtype=np.float64)
        proba = np.zeros((features.shape[0], self.classes_.size))
        proba[:, np.searchsorted(self.classes_, self.meta_.classes_)] = self.meta_.predict_proba(features)
        return proba
