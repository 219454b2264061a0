"""Ensembles of tabular models: greedy (Caruana) weighted voting over out-of-fold predictions.

Members of an ensemble read different column ranges of one featurized matrix (the
featurization flavors side by side), so the exported pipeline is one featurizer followed
by one ensemble estimator. The ensembles are plain scikit-learn estimators: ``fit`` refits
every member, and fitted members can also be handed over with :meth:`WeightedEnsemble.from_fitted`.

Caruana et al. (2004): start empty and, ``n_iter`` times, add (with replacement) the member
whose addition lowers the blend's loss most; the weights are the selection counts. The loss
is the primary metric's own per-row loss where it has one (squared or absolute error, error
rate) and the log loss for the ranking and threshold metrics (AUC, average precision, F1...),
which makes the greedy steps cheap and smooth.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np
from sklearn.base import BaseEstimator, clone

__all__ = ["Member", "WeightedEnsemble", "caruana_weights", "cross_fitted", "selection_loss"]

#: A named estimator reading the columns ``[start, stop)`` of the featurized matrix.
Member = tuple[str, Any, tuple[int, int]]
_EPS = 1e-15
_ABSOLUTE = frozenset({"normalized_mean_absolute_error"})


def selection_loss(metric: str, classes: np.ndarray | None) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """``loss(preds, y) -> (n_candidates,)``: mean per-row loss of each candidate blend.

    ``preds`` is ``(n_candidates, n_rows)`` for regression, ``(n_candidates, n_rows, n_classes)``
    for classification; ``y`` the targets.

    Examples
    --------
    >>> loss = selection_loss("r2_score", None)
    >>> loss(np.array([[1.0, 2.0], [1.0, 4.0]]), np.array([1.0, 2.0])).tolist()
    [0.0, 2.0]
    """
    if classes is None:
        power = 1 if metric in _ABSOLUTE else 2
        return lambda preds, y: (np.abs(preds - y) ** power).mean(axis=1)
    if metric == "accuracy":
        return lambda preds, y: (classes[preds.argmax(axis=2)] != y).mean(axis=1)

    def log_loss(preds: np.ndarray, y: np.ndarray) -> np.ndarray:
        truth = np.searchsorted(classes, y)
        p = preds[:, np.arange(y.size), truth]
        return -np.log(np.clip(p, _EPS, 1.0)).mean(axis=1)

    return log_loss


def caruana_weights(
    preds: np.ndarray, y: np.ndarray, loss: Callable[[np.ndarray, np.ndarray], np.ndarray], n_iter: int = 20
) -> np.ndarray:
    """Greedy ensemble weights over ``preds`` (``(n_models, n_rows[, n_classes])``, best first).

    Ties go to the earlier (better) model; the weights sum to 1.

    Examples
    --------
    >>> y = np.array([0.0, 2.0])
    >>> preds = np.array([[1.0, 1.0], [-1.0, 3.0], [0.0, 0.0]])
    >>> caruana_weights(preds, y, selection_loss("r2_score", None), n_iter=2).tolist()
    [0.5, 0.5, 0.0]
    """
    counts = np.zeros(preds.shape[0])
    current = np.zeros(preds.shape[1:])
    for t in range(1, n_iter + 1):
        best = int(np.argmin(loss((current * (t - 1) + preds) / t, y)))
        counts[best] += 1
        current = (current * (t - 1) + preds[best]) / t
    return counts / n_iter


def cross_fitted(
    groups: np.ndarray, fit: Callable[[np.ndarray], Any], apply: Callable[[Any, np.ndarray], np.ndarray]
) -> np.ndarray:
    """Honest predictions: each group's rows from a combiner ``fit`` on the other groups' rows.

    ``fit(mask)`` fits on the rows in ``mask``; ``apply(combiner, mask)`` predicts those rows.
    """
    parts: dict[int, np.ndarray] = {}
    for g in np.unique(groups):
        held = groups == g
        parts[int(g)] = apply(fit(~held), held)
    first = next(iter(parts.values()))
    out = np.empty((groups.size, *first.shape[1:]))
    for g, values in parts.items():
        out[groups == g] = values
    return out


class _MemberEnsemble(BaseEstimator):
    """Shared member handling: fitting on column ranges, aligned member predictions."""

    members: Sequence[Member]
    task: Literal["classification", "regression"]

    def _fit_members(self, X: np.ndarray, y: np.ndarray) -> None:
        if self.task == "classification":
            self.classes_ = np.unique(y)
        self.members_ = [(name, clone(est).fit(X[:, a:b], y), (a, b)) for name, est, (a, b) in self.members]

    def _adopt(self, fitted: Sequence[Member], classes: np.ndarray | None) -> None:
        if self.task == "classification":
            self.classes_ = np.asarray(classes)
        self.members_ = list(fitted)

    def member_predictions(self, X: np.ndarray) -> np.ndarray:
        """``(n_members, n_rows)`` values or ``(n_members, n_rows, n_classes)`` probabilities."""
        out = []
        for _, est, (a, b) in self.members_:
            part = X[:, a:b]
            if self.task == "regression":
                out.append(np.asarray(est.predict(part), dtype=np.float64))
                continue
            proba = np.zeros((X.shape[0], self.classes_.size))
            proba[:, np.searchsorted(self.classes_, est.classes_)] = est.predict_proba(part)
            out.append(proba)
        return np.stack(out)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Class labels or values."""
        if self.task == "regression":
            return self._combine(X)
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities, columns in ``classes_`` order."""
        if self.task != "classification":
            raise AttributeError("predict_proba is only available for classification.")
        return self._combine(X)

    def _combine(self, X: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class WeightedEnsemble(_MemberEnsemble):
    """Weighted average of member predictions (probabilities for classification).

    Examples
    --------
    >>> from sklearn.linear_model import LinearRegression
    >>> X, y = np.arange(8.0).reshape(4, 2), np.array([1.0, 2.0, 3.0, 4.0])
    >>> members = [("a", LinearRegression(), (0, 1)), ("b", LinearRegression(), (1, 2))]
    >>> WeightedEnsemble(members, [0.5, 0.5], task="regression").fit(X, y).predict(X).round(6).tolist()
    [1.0, 2.0, 3.0, 4.0]
    """

    def __init__(
        self,
        members: Sequence[Member],
        weights: Sequence[float],
        task: Literal["classification", "regression"] = "classification",
    ) -> None:
        self.members = members
        self.weights = weights
        self.task = task

    def fit(self, X: np.ndarray, y: np.ndarray) -> WeightedEnsemble:
        """Refit every member on its columns of ``X``."""
        self._fit_members(np.asarray(X), np.asarray(y))
        return self

    @classmethod
    def from_fitted(
        cls, fitted: Sequence[Member], weights: Sequence[float], task: Literal["classification", "regression"],
        classes: np.ndarray | None = None,
    ) -> WeightedEnsemble:
        """An ensemble of members fitted elsewhere (e.g. in parallel workers)."""
        ensemble = cls([(n, clone(e), c) for n, e, c in fitted], weights, task)
        ensemble._adopt(fitted, classes)
        return ensemble

    def _combine(self, X: np.ndarray) -> np.ndarray:
        weights = np.asarray(self.weights, dtype=np.float64)
        return np.tensordot(weights / weights.sum(), self.member_predictions(np.asarray(X)), axes=1)
