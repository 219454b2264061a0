"""Classification and regression learners: scikit-learn estimators and LightGBM, built by name.

A tabular learner is a plain scikit-learn estimator, so the exported pipeline needs nothing
from tsautoml's search code. :class:`TabularLearnerSpec` says which featurization flavor a
learner wants (``"tree"``: ordinal codes, no scaling; ``"linear"``: one-hot and standardised)
and how to build it for a task from search parameters. Every estimator runs single-threaded:
parallelism belongs to the backend, which runs trials side by side.

:func:`fit_within` fits with a deadline: LightGBM checks it after every boosting round, the
forests and HistGradientBoosting grow in slices (``warm_start``) and check it in between, so a
trial too slow for its share of the budget stops early instead of overrunning it.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from lightgbm import LGBMClassifier, LGBMRegressor
from sklearn.base import BaseEstimator
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNet, LogisticRegression, Ridge
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

from tsautoml.exceptions import TrialTimeout

__all__ = [
    "CLASSIFICATION_LEARNERS",
    "REGRESSION_LEARNERS",
    "TabularLearnerSpec",
    "TabularTaskName",
    "fit_within",
    "tabular_learners",
]

TabularTaskName = Literal["classification", "regression"]
_SLICES = 4  # warm-start slices of a forest or HistGradientBoosting fit, checked against the deadline


@dataclass(frozen=True, slots=True)
class TabularLearnerSpec:
    """How to build one tabular learner.

    Parameters
    ----------
    name
        Registry name (shown on the leaderboard).
    flavor
        Featurization it needs: ``"tree"`` or ``"linear"``.
    build
        ``build(params, seed)`` returns the unfitted estimator.
    """

    name: str
    flavor: Literal["tree", "linear"]
    build: Callable[[dict[str, Any], int], BaseEstimator]

    def make(self, params: Mapping[str, Any], seed: int) -> BaseEstimator:
        """The estimator for ``params`` (search parameters) and ``seed``."""
        return self.build(dict(params), seed)


def _lightgbm(cls: type) -> Callable[[dict[str, Any], int], BaseEstimator]:
    def build(params: dict[str, Any], seed: int) -> BaseEstimator:
        if params.get("subsample", 1.0) < 1.0:
            params.setdefault("subsample_freq", 1)
        return cls(**params, random_state=seed, n_jobs=1, verbose=-1)

    return build


def _forest(cls: type) -> Callable[[dict[str, Any], int], BaseEstimator]:
    def build(params: dict[str, Any], seed: int) -> BaseEstimator:
        return cls(**params, random_state=seed, n_jobs=1)

    return build


def _seeded(cls: type) -> Callable[[dict[str, Any], int], BaseEstimator]:
    def build(params: dict[str, Any], seed: int) -> BaseEstimator:
        return cls(**params, random_state=seed)

    return build


def _unseeded(cls: type, **fixed: Any) -> Callable[[dict[str, Any], int], BaseEstimator]:
    def build(params: dict[str, Any], seed: int) -> BaseEstimator:
        return cls(**fixed, **params)

    return build


def _logistic(params: dict[str, Any], seed: int) -> BaseEstimator:
    return LogisticRegression(**params, max_iter=2000, random_state=seed)


CLASSIFICATION_LEARNERS: dict[str, TabularLearnerSpec] = {
    spec.name: spec
    for spec in (
        TabularLearnerSpec("LightGBM", "tree", _lightgbm(LGBMClassifier)),
        TabularLearnerSpec("HistGradientBoosting", "tree", _seeded(HistGradientBoostingClassifier)),
        TabularLearnerSpec("RandomForest", "tree", _forest(RandomForestClassifier)),
        TabularLearnerSpec("ExtraTrees", "tree", _forest(ExtraTreesClassifier)),
        TabularLearnerSpec("LogisticRegression", "linear", _logistic),
        TabularLearnerSpec("KNeighbors", "linear", _unseeded(KNeighborsClassifier, n_jobs=1)),
    )
}
REGRESSION_LEARNERS: dict[str, TabularLearnerSpec] = {
    spec.name: spec
    for spec in (
        TabularLearnerSpec("LightGBM", "tree", _lightgbm(LGBMRegressor)),
        TabularLearnerSpec("HistGradientBoosting", "tree", _seeded(HistGradientBoostingRegressor)),
        TabularLearnerSpec("RandomForest", "tree", _forest(RandomForestRegressor)),
        TabularLearnerSpec("ExtraTrees", "tree", _forest(ExtraTreesRegressor)),
        TabularLearnerSpec("Ridge", "linear", _seeded(Ridge)),
        TabularLearnerSpec("ElasticNet", "linear", _unseeded(ElasticNet, max_iter=5000)),
        TabularLearnerSpec("KNeighbors", "linear", _unseeded(KNeighborsRegressor, n_jobs=1)),
    )
}


def tabular_learners(task: TabularTaskName) -> dict[str, TabularLearnerSpec]:
    """The learners of ``task`` by name.

    Examples
    --------
    >>> sorted(tabular_learners("regression"))[:3]
    ['ElasticNet', 'ExtraTrees', 'HistGradientBoosting']
    """
    return CLASSIFICATION_LEARNERS if task == "classification" else REGRESSION_LEARNERS


def fit_within(
    estimator: BaseEstimator, X: np.ndarray, y: np.ndarray, deadline: float | None
) -> BaseEstimator:
    """Fit ``estimator`` on ``(X, y)``; raise :class:`TrialTimeout` once ``deadline`` passes."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # a capped solver still gives a usable fit
        # scikit-learn's advice on how it is called (e.g. class_weight presets under the warm start
        # that slices a forest) is about tsautoml's own use of it, nothing the user can act on
        warnings.filterwarnings("ignore", category=UserWarning, module=r"sklearn(\.|$)")
        if deadline is None:
            return estimator.fit(X, y)
        if isinstance(estimator, (LGBMClassifier, LGBMRegressor)):
            return estimator.fit(X, y, callbacks=[_lightgbm_deadline(deadline)])
        growth = _growth_parameter(estimator)
        if growth is None:
            estimator.fit(X, y)
            _check(deadline)
            return estimator
        return _fit_in_slices(estimator, X, y, growth, deadline)


def _growth_parameter(estimator: BaseEstimator) -> str | None:
    if isinstance(estimator, (RandomForestClassifier, RandomForestRegressor, ExtraTreesClassifier, ExtraTreesRegressor)):
        return "n_estimators"
    if isinstance(estimator, (HistGradientBoostingClassifier, HistGradientBoostingRegressor)):
        return "max_iter"
    return None


def _fit_in_slices(
    estimator: BaseEstimator, X: np.ndarray, y: np.ndarray, growth: str, deadline: float
) -> BaseEstimator:
    """Grow ``estimator`` (warm start) to its full size in slices, checking the deadline in between."""
    total = int(getattr(estimator, growth))
    sizes = np.unique(np.linspace(total / _SLICES, total, _SLICES).round().astype(int).clip(1, total))
    estimator.set_params(warm_start=True)
    for size in sizes:
        estimator.set_params(**{growth: int(size)})
        estimator.fit(X, y)
        _check(deadline)
    return estimator.set_params(warm_start=False)


def _check(deadline: float) -> None:
    if time.monotonic() > deadline:
        raise TrialTimeout("the trial ran past its share of the time budget")


def _lightgbm_deadline(deadline: float) -> Callable[[Any], None]:
    def callback(env: Any) -> None:
        _check(deadline)

    return callback
