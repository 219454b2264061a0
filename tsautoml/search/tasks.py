"""Task objects: how a trial is built, cross-validated and scored, one class per kind of task.

The search loop only calls ``evaluate``; everything task-specific lives here.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.base import clone

from tsautoml.data.grouped import Panel
from tsautoml.exceptions import TrialTimeout
from tsautoml.metrics import get_metric
from tsautoml.metrics.base import ForecastMetric, TabularMetric
from tsautoml.models.base import BaseLearner, Forecast, Future, LocalLearner
from tsautoml.models.registry import build_learner
from tsautoml.models.tabular import TabularLearnerSpec, TabularTaskName, fit_within
from tsautoml.search.splitters import Fold, TableFold
from tsautoml.search.trial import Trial, TrialResult

__all__ = ["CARRIED_WINDOW_COST", "HURRY_SHARE", "ForecastTask", "TabularTask", "future_of_rows", "window_work"]


def future_of_rows(panel: Panel, rows: np.ndarray, horizon: int) -> Future:
    """The :class:`Future` of ``rows`` (``horizon`` consecutive rows per series) of ``panel``."""
    n = len(rows) // horizon
    exog = {c: v[rows].reshape(n, horizon) for c, v in panel.exog.items()}
    return Future(panel.times[rows].reshape(n, horizon), exog)


#: The work of a window whose models are carried from the first one, relative to a fit.
CARRIED_WINDOW_COST = 0.1


#: A trial that can carry its first window's models does so when fitting the other windows anew
#: would take more than this share of the time left to its deadline.
HURRY_SHARE = 0.5


def window_work(n_windows: int, carried: bool) -> np.ndarray:
    """Each validation window's share of a trial's work, in fits: 1, or :data:`CARRIED_WINDOW_COST` once carried."""
    return np.array([1.0] + [CARRIED_WINDOW_COST if carried else 1.0] * (n_windows - 1))


def _fold_deadline(start: float, time_left: float | None, done: float) -> float | None:
    """A fold must end once ``done`` (a share) of the work is: a trial too slow for all folds stops early."""
    return None if time_left is None else start + time_left * done


@dataclass(eq=False)
class ForecastTask:
    """Rolling-origin evaluation of forecasting trials on one panel.

    Parameters
    ----------
    panel
        The data.
    horizon
        Steps ahead.
    folds
        The validation windows (from :class:`~tsautoml.search.splitters.RollingOriginSplitter`).
    metric
        Primary metric name (see :mod:`tsautoml.metrics`).
    learners
        Learner classes by name.
    context
        Arguments every learner accepting them gets: ``season_length``, ``horizon``, ``seed``...
    carry_forward
        A local learner whose spec says ``forward`` is fitted on the first fold only; the later
        folds run its fitted models over their longer history (:meth:`LocalLearner.carried`).
        False: every fold is fitted anew, whatever the time left.

    The out-of-fold forecasts of a trial (``TrialResult.oof``) follow ``oof_index``: the
    validation rows of every fold, fold after fold. ``TrialResult.info["fit_seconds"]`` estimates
    one fit on all the data: the largest time of a fitted fold scaled by the panel's rows over the
    fold's training rows (a fold's short series fall back on cheap models); ``info["hurried"]``
    says that the time left made the trial carry its first fold's models over the others.
    """

    panel: Panel
    horizon: int
    folds: list[Fold]
    metric: str
    learners: Mapping[str, type[BaseLearner]]
    context: dict[str, Any] = field(default_factory=dict)
    carry_forward: bool = True

    def __post_init__(self) -> None:
        self.scorer: ForecastMetric = get_metric(self.metric, "forecast")
        self.split_name = "window"
        self.greater_is_better = self.scorer.greater_is_better
        self.oof_index = np.concatenate([f.test_index for f in self.folds])
        sizes = [len(f.test_index) for f in self.folds]
        self.fold_offsets = np.concatenate([[0], np.cumsum(sizes)])

    def make_learner(self, trial: Trial) -> BaseLearner:
        """The unfitted learner of ``trial``."""
        return build_learner(self.learners[trial.learner], trial.params, self.context)

    def evaluate(self, trial: Trial, time_left: float | None) -> TrialResult:
        """Fit and forecast every fold; score each window on the primary metric.

        A local learner that can carry its fitted models (``LocalLearner.carries``) carries them
        from the first fold to the others when its spec says ``forward``, or when fitting the
        other folds anew would take more than :data:`HURRY_SHARE` of the time left
        (``info["hurried"]``). Each fold must end within its share of the time left, so a trial
        too slow for its first fold stops early; for a learner that can carry, the first fold's
        share is that of one fit followed by carried windows.
        """
        start = time.monotonic()
        try:
            learner = self.make_learner(trial)
            spec = getattr(type(learner), "spec", None)
            can_carry = self.carry_forward and isinstance(learner, LocalLearner) and learner.carries and len(self.folds) > 1
            carry = can_carry and spec is not None and spec.forward
            work = np.cumsum(window_work(len(self.folds), can_carry))  # a fit, then carried windows, fit in time
            oof = np.full(len(self.oof_index), np.nan)
            scores, fit_time, longest, fallbacks, hurried = [], 0.0, 0.0, 0, False
            first: tuple[Fold, LocalLearner] | None = None
            for k, fold in enumerate(self.folds):
                tic = time.monotonic()
                # the first fold and carried ones: their share of one fit and carried windows; refitted ones: 1/n each
                share = work[k] / work[-1] if carry or k == 0 else (k + 1) / len(self.folds)
                deadline = _fold_deadline(start, time_left, share)
                if first is None:
                    fitted, forecast = self.fit_fold(learner, fold, deadline)
                    if k == 0 and can_carry and not carry and time_left is not None:
                        left = start + time_left - time.monotonic()
                        hurried = carry = (time.monotonic() - tic) * (len(self.folds) - 1) > HURRY_SHARE * left
                    first = (fold, fitted) if carry and isinstance(fitted, LocalLearner) else None
                else:
                    fitted, forecast = self.carry_fold(*first, fold, deadline)
                seconds = time.monotonic() - tic
                fit_time += seconds
                if first is None or k == 0:  # a fit: scaled to all the rows, the estimate of the refit
                    longest = max(longest, seconds * self.panel.target.values.size / max(fold.train_index.size, 1))
                oof[self.fold_offsets[k] : self.fold_offsets[k + 1]] = forecast.mean.ravel()
                scores.append(self.score_fold(fold, forecast.mean.ravel()))
                fallbacks = max(fallbacks, len(getattr(fitted, "fallbacks_", {})))
        except TrialTimeout as exc:
            return TrialResult.failed(trial, exc, time.monotonic() - start, status="timeout")
        except Exception as exc:  # any learner error is recorded on the leaderboard
            return TrialResult.failed(trial, exc, time.monotonic() - start)
        bad = ~np.isfinite(oof)
        duration = time.monotonic() - start
        if bad.any():
            error = ValueError(f"non-finite forecasts on {int(bad.sum())} of {bad.size} validation points")
            return TrialResult.failed(trial, error, duration)
        info = {"fallback_series": fallbacks, "fit_seconds": longest, "hurried": hurried}
        return TrialResult(trial, "ok", scores, float(np.mean(scores)), fit_time, duration, oof=oof, info=info)

    def fit_fold(self, learner: BaseLearner, fold: Fold, deadline: float | None) -> tuple[BaseLearner, Forecast]:
        """A fresh clone of ``learner`` fitted on the fold's training rows, and its forecast."""
        fitted = clone(learner).fit(self._train(fold), deadline=deadline)
        return fitted, fitted.predict(self.horizon, future_of_rows(self.panel, fold.test_index, self.horizon))

    def carry_fold(
        self, first: Fold, fitted: LocalLearner, fold: Fold, deadline: float | None
    ) -> tuple[LocalLearner, Forecast]:
        """``fitted`` (on fold ``first``) carried over to the training rows of ``fold``, and its forecast."""
        position = np.full(self.panel.n_series, -1, dtype=np.int64)
        position[first.series] = np.arange(first.series.size)
        carried = fitted.carried(self._train(fold), position[fold.series], deadline=deadline)
        return carried, carried.predict(self.horizon, future_of_rows(self.panel, fold.test_index, self.horizon))

    def _train(self, fold: Fold) -> Panel:
        return self.panel.take(fold.series, fold.train_index, np.diff(fold.train_indptr))

    def score_fold(self, fold: Fold, forecast: np.ndarray) -> float:
        """The primary metric of ``forecast`` (flat, the fold's validation rows) on ``fold``."""
        y = self.panel.target.values
        return self.scorer.score(
            y[fold.test_index],
            forecast,
            fold.test_indptr,
            y_train=y[fold.train_index],
            train_indptr=fold.train_indptr,
            season_length=self.context.get("season_length", 1),
        )


@dataclass(eq=False)
class TabularTask:
    """k-fold or holdout evaluation of classification / regression trials on featurized folds.

    Parameters
    ----------
    task
        ``"classification"`` or ``"regression"``.
    y
        Targets of every row (class labels as given, or numbers).
    folds
        The validation folds (from :func:`~tsautoml.search.splitters.table_folds`).
    features
        Per featurization flavor, per fold: the featurized training and validation rows,
        each featurizer fitted on that fold's training rows only.
    metric
        Primary metric name (see :mod:`tsautoml.metrics`).
    learners
        Learner specs by name; each reads the features of its flavor, or the only flavor
        there is (custom or no featurization).
    seed
        Seed of every learner.

    Out-of-fold predictions (``TrialResult.oof``) follow ``oof_index``, fold after fold:
    class probabilities ``(n, n_classes)`` in ``classes`` order, or values.
    """

    task: TabularTaskName
    y: np.ndarray
    folds: list[TableFold]
    features: Mapping[str, list[tuple[np.ndarray, np.ndarray]]]
    metric: str
    learners: Mapping[str, TabularLearnerSpec]
    seed: int = 0

    def __post_init__(self) -> None:
        self.scorer: TabularMetric = get_metric(self.metric, self.task)
        self.split_name = "fold"
        self.greater_is_better = self.scorer.greater_is_better
        self.classes = np.unique(self.y) if self.task == "classification" else None
        self.oof_index = np.concatenate([f.test_index for f in self.folds])
        self.fold_offsets = np.concatenate([[0], np.cumsum([f.test_index.size for f in self.folds])])

    def flavor(self, learner: str) -> str:
        """The features ``learner`` reads."""
        wanted = self.learners[learner].flavor
        return wanted if wanted in self.features else next(iter(self.features))

    def evaluate(self, trial: Trial, time_left: float | None) -> TrialResult:
        """Fit and predict every fold; score each on the primary metric."""
        start = time.monotonic()
        try:
            spec, matrices = self.learners[trial.learner], self.features[self.flavor(trial.learner)]
            oof, scores, fit_time = self._empty_oof(), [], 0.0
            for k, fold in enumerate(self.folds):
                tic = time.monotonic()
                deadline = _fold_deadline(start, time_left, (k + 1) / len(self.folds))
                estimator = fit_within(spec.make(trial.params, self.seed), matrices[k][0], self.y[fold.train_index], deadline)
                pred = self.predict(estimator, matrices[k][1])
                fit_time += time.monotonic() - tic
                oof[self.fold_offsets[k] : self.fold_offsets[k + 1]] = pred
                scores.append(self.score_fold(fold, pred))
        except TrialTimeout as exc:
            return TrialResult.failed(trial, exc, time.monotonic() - start, status="timeout")
        except Exception as exc:  # any learner error is recorded on the leaderboard
            return TrialResult.failed(trial, exc, time.monotonic() - start)
        duration = time.monotonic() - start
        if not np.isfinite(oof).all():
            error = ValueError(f"non-finite predictions on {int((~np.isfinite(oof)).sum())} validation values")
            return TrialResult.failed(trial, error, duration)
        return TrialResult(trial, "ok", scores, float(np.mean(scores)), fit_time, duration, oof=oof)

    def _empty_oof(self) -> np.ndarray:
        shape = (self.oof_index.size,) if self.classes is None else (self.oof_index.size, self.classes.size)
        return np.full(shape, np.nan)

    def predict(self, estimator: Any, X: np.ndarray) -> np.ndarray:
        """Values, or probabilities with one column per class of the task (0 for a class the fold lacked)."""
        if self.classes is None:
            return np.asarray(estimator.predict(X), dtype=np.float64)
        proba = np.zeros((X.shape[0], self.classes.size))
        proba[:, np.searchsorted(self.classes, estimator.classes_)] = estimator.predict_proba(X)
        return proba

    def score_fold(self, fold: TableFold, pred: np.ndarray) -> float:
        """The primary metric of ``pred`` (the fold's validation rows)."""
        return self.score(self.y[fold.test_index], pred)

    def score(self, y: np.ndarray, pred: np.ndarray) -> float:
        """The primary metric of predictions ``pred`` (probabilities or values) of targets ``y``."""
        return self.scorer.score(y, pred, labels=self.classes)
