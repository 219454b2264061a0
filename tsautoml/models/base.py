"""Learner protocol: capabilities, the validated ``fit`` -> ``_fit`` template and forecasts.

A learner forecasts every series of a :class:`~tsautoml.data.grouped.Panel` ``horizon`` steps
ahead. *Local* learners fit one model per series (statsforecast models, baselines) through
:class:`LocalLearner`, which cleans each series, checks the deadline and falls back along a
recorded chain (seasonal naive, then naive) where a series is too short or its model fails.
*Global* learners (LightGBM, ridge) fit one model across all series.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
from sklearn.base import BaseEstimator, clone

from tsautoml.data.grouped import Panel
from tsautoml.exceptions import DataValidationError, NotFittedError, TrialTimeout
from tsautoml.models.spec import LearnerSpec

__all__ = [
    "BaseLearner",
    "Capabilities",
    "Forecast",
    "Future",
    "LocalLearner",
    "SeriesForecast",
    "check_deadline",
    "clean_series",
]

logger = logging.getLogger(__name__)

Scope = Literal["local", "global"]
Intervals = dict[float, tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a learner can do.

    Parameters
    ----------
    exogenous
        Uses known-future exogenous columns; a learner without it ignores them (and says so).
    intervals
        Gives prediction intervals of its own; the others get conformal intervals.
    scope
        ``"local"``: one model per series; ``"global"``: one model across series.
    """

    exogenous: bool = False
    intervals: bool = False
    scope: Scope = "local"


@dataclass(frozen=True, eq=False, slots=True)
class Future:
    """The horizon to forecast: times and known-future exogenous values, ``(n_series, horizon)``."""

    times: np.ndarray
    exog: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def horizon(self) -> int:
        """Steps ahead."""
        return int(self.times.shape[1])

    def take(self, series: np.ndarray) -> Future:
        """The horizon of the series at positions ``series``."""
        return Future(self.times[series], {c: v[series] for c, v in self.exog.items()})


@dataclass(frozen=True, eq=False, slots=True)
class Forecast:
    """Forecasts of every series: ``mean`` and each level's ``(lo, hi)``, all ``(n_series, horizon)``."""

    mean: np.ndarray
    intervals: Intervals = field(default_factory=dict)


@dataclass(frozen=True, eq=False, slots=True)
class SeriesForecast:
    """One series' forecast: ``mean`` and each level's ``(lo, hi)``, all of length ``horizon``."""

    mean: np.ndarray
    intervals: Intervals = field(default_factory=dict)


def check_deadline(deadline: float | None) -> None:
    """Raise :class:`TrialTimeout` once ``time.monotonic()`` has passed ``deadline``."""
    if deadline is not None and time.monotonic() > deadline:
        raise TrialTimeout("The trial ran past its deadline.")


def clean_series(y: np.ndarray) -> np.ndarray:
    """Drop leading NaNs and fill inner ones by linear interpolation (statistical models need no gaps)."""
    present = np.flatnonzero(~np.isnan(y))
    if present.size == 0:
        return y[:0]
    y = y[present[0] :]
    missing = np.isnan(y)
    if missing.any():
        idx = np.arange(y.size)
        y = y.copy()
        y[missing] = np.interp(idx[missing], idx[~missing], y[~missing])
    return y


_UNFITTED = object()  # no fitted state to carry


class _Pace:
    """Deadline checks that also give up early when the pace so far cannot finish in time.

    The pace is measured from the second check on, so one-off costs of the first series
    (a worker compiling numba code) do not count.
    """

    def __init__(self, n_series: int, deadline: float | None) -> None:
        self.n_series, self.deadline = n_series, deadline
        self.first: tuple[int, float] | None = None

    def check(self, done: int) -> None:
        check_deadline(self.deadline)
        if self.deadline is None or done == 0:
            return
        now = time.monotonic()
        if self.first is None:
            self.first = (done, now)
            return
        rate = (now - self.first[1]) / (done - self.first[0])
        projected = now + rate * (self.n_series - done)
        if projected > self.deadline:
            raise TrialTimeout(
                f"At {rate:.3g}s per series, {self.n_series} series would need {projected - now:.0f}s more, "
                f"past the deadline ({self.deadline - now:.0f}s left)."
            )


class BaseLearner(BaseEstimator):
    """A forecasting learner: ``fit(panel)`` then ``predict(horizon, future, level)``.

    Subclasses set ``capabilities`` and ``spec`` (a :class:`~tsautoml.models.spec.LearnerSpec`,
    what the search knows about them) and implement ``_fit`` and ``_predict``. The constructor
    only stores its arguments (scikit-learn's ``get_params``/``clone`` rely on it).
    """

    capabilities: ClassVar[Capabilities] = Capabilities()
    spec: ClassVar[LearnerSpec]

    def min_length(self) -> int:
        """Observed points a series needs for this learner's own model (shorter ones fall back)."""
        return 1

    def fit(self, panel: Panel, *, deadline: float | None = None) -> BaseLearner:
        """Fit on every series of ``panel``; raise :class:`TrialTimeout` past ``deadline``."""
        if panel.n_series == 0:
            raise DataValidationError(f"{type(self).__name__}.fit needs at least one series.")
        numeric = [c for c, v in panel.exog.items() if np.issubdtype(v.dtype, np.number) or v.dtype == bool]
        self.exogenous_ = sorted(numeric) if self.capabilities.exogenous else []
        if panel.exog and not self.capabilities.exogenous:
            logger.debug("%s ignores exogenous columns %s.", type(self).__name__, sorted(panel.exog))
        self._fit(panel, deadline)
        self.n_series_ = panel.n_series  # set last: a failed fit leaves the learner unfitted
        return self

    def predict(
        self, horizon: int, future: Future | None = None, level: Sequence[float] = ()
    ) -> Forecast:
        """Forecast ``horizon`` steps of every fitted series, with intervals at ``level`` if native."""
        if not hasattr(self, "n_series_"):
            raise NotFittedError(f"This {type(self).__name__} is not fitted yet: call fit(panel) first.")
        if horizon < 1:
            raise DataValidationError(f"horizon must be >= 1, got {horizon}.")
        missing = [c for c in self.exogenous_ if future is None or c not in future.exog]
        if missing:
            raise DataValidationError(
                f"{type(self).__name__} was fitted with exogenous columns {missing}; pass their "
                "future values."
            )
        levels = list(level) if self.capabilities.intervals else []
        return self._predict(horizon, future, levels)

    def carried(self, panel: Panel, previous: np.ndarray, deadline: float | None = None) -> BaseLearner:
        """A fitted copy that forecasts from the end of ``panel`` without re-estimating its models.

        Series ``i`` of ``panel`` extends this learner's series ``previous[i]`` (-1: a new one).
        """
        raise NotImplementedError

    def _fit(self, panel: Panel, deadline: float | None) -> None:
        raise NotImplementedError

    def _predict(self, horizon: int, future: Future | None, level: list[float]) -> Forecast:
        raise NotImplementedError


class LocalLearner(BaseLearner):
    """One model per series, with a recorded fallback where a series cannot take it.

    Subclasses implement ``_fit_series(y, X)`` returning the fitted state of one series
    (``y`` has no NaN; ``X`` is ``(n, k)`` exogenous values or None) and
    ``_predict_series(state, horizon, X_future, level)`` returning a :class:`SeriesForecast`.
    A series shorter than :meth:`min_length`, or whose model raises, is fitted with the
    first model of ``fallback_chain()`` that works; ``fallbacks_`` records which and why.
    Where the spec sets a history limit (:meth:`LearnerSpec.history_limit`), a longer
    series is fitted on its most recent points only; ``history_cut_`` counts those series and
    ``origins_`` gives, per series, the first point its fit used. :meth:`carried` runs the
    fitted models over a longer history without re-estimating them.
    """

    _deadline_every: ClassVar[int] = 1  # series between deadline checks
    carries: ClassVar[bool] = False  # carried() reuses the fitted models (False: it refits them)
    states_: list[tuple[LocalLearner, Any]]
    origins_: np.ndarray

    def fallback_chain(self) -> list[LocalLearner]:
        """Learners tried, in order, where this one cannot fit a series."""
        return []

    def _fit(self, panel: Panel, deadline: float | None) -> None:
        self._fit_states(panel, deadline)

    def carried(self, panel: Panel, previous: np.ndarray, deadline: float | None = None) -> LocalLearner:
        """A fitted copy on ``panel``, whose series ``i`` extends this learner's series ``previous[i]``.

        Where that series got this learner's own model, the copy keeps it and runs it over the
        longer history (``_carry_series``: no re-estimation); the other series (``previous[i] = -1``,
        or served by a fallback) are fitted anew. The rolling-origin validation uses it to fit
        once per trial (``LearnerSpec.forward``).
        """
        if not hasattr(self, "states_"):
            raise NotFittedError(f"This {type(self).__name__} is not fitted yet: call fit(panel) first.")
        out = clone(self)
        out.exogenous_ = list(self.exogenous_)
        out._fit_states(panel, deadline, (self, np.asarray(previous, dtype=np.int64)))
        out.n_series_ = panel.n_series
        return out

    def _fit_states(
        self, panel: Panel, deadline: float | None, source: tuple[LocalLearner, np.ndarray] | None = None
    ) -> None:
        """Fit (or carry from ``source``: a fitted learner and each series' position in it) every series."""
        states: list[tuple[LocalLearner, Any]] = []
        fallbacks: dict[int, tuple[str, str]] = {}
        origins = np.zeros(panel.n_series, dtype=np.int64)
        names, chain = self.exogenous_, [self, *self.fallback_chain()]
        limit = self.history_limit()
        owner, previous = source if source is not None else (None, np.full(panel.n_series, -1))
        cut = 0
        pace = _Pace(panel.n_series, deadline)
        for i in range(panel.n_series):
            if i % self._deadline_every == 0:
                pace.check(i)
            start, hi = panel.indptr[i], panel.indptr[i + 1]
            j, lo, prior = int(previous[i]), start, _UNFITTED
            if owner is not None and j >= 0 and owner.states_[j][0] is owner:  # its own model: carried from its start
                lo, prior = start + int(owner.origins_[j]), owner.states_[j][1]
            elif limit is not None and hi - start > limit:
                lo = hi - limit
            cut += lo > start
            raw = panel.target.values[lo:hi]
            y = clean_series(raw)
            X = np.column_stack([panel.exog[c][lo:hi][raw.size - y.size :] for c in names]) if names else None
            carried = None if prior is _UNFITTED else self._carry(prior, y, X)
            if carried is not None:
                learner, state, reason = self, carried, ""
            else:
                learner, state, reason = self._fit_with_fallback(y, X, chain)
            if reason:
                fallbacks[i] = (type(learner).__name__, reason)
            states.append((learner, state))
            origins[i] = lo - start
        self.states_ = states
        self.origins_ = origins
        self.fallbacks_ = fallbacks
        self.history_cut_ = cut
        if fallbacks:
            logger.info("%s fell back on %d of %d series.", type(self).__name__, len(fallbacks), panel.n_series)

    def _carry(self, state: Any, y: np.ndarray, X: np.ndarray | None) -> Any | None:
        """``_carry_series``, or None where it fails (the series is then fitted anew)."""
        try:
            return self._carry_series(state, y, X if self.capabilities.exogenous else None)
        except Exception:  # a model that cannot run over the new history is refitted
            return None

    def history_limit(self) -> int | None:
        """The most recent points of a series that a fit uses (None: all), from the spec."""
        spec = getattr(type(self), "spec", None)
        return spec.history_limit(getattr(self, "season_length", 1)) if spec is not None else None

    def _fit_with_fallback(
        self, y: np.ndarray, X: np.ndarray | None, chain: list[LocalLearner]
    ) -> tuple[LocalLearner, Any, str]:
        reason = ""
        for learner in chain:
            if y.size < learner.min_length():
                reason = reason or f"{y.size} points < {learner.min_length()} needed"
                continue
            try:
                Xl = X if learner.capabilities.exogenous else None
                return learner, learner._fit_series(y, Xl), reason
            except Exception as exc:  # a failing series model falls back and is recorded
                reason = reason or f"{type(exc).__name__}: {exc}"
        raise DataValidationError(f"No learner could fit a series of {y.size} points ({reason}).")

    def _predict(self, horizon: int, future: Future | None, level: list[float]) -> Forecast:
        n = len(self.states_)
        mean = np.empty((n, horizon))
        bounds = {lv: (np.full((n, horizon), np.nan), np.full((n, horizon), np.nan)) for lv in level}
        for i, (learner, state) in enumerate(self.states_):
            X_future = None
            if learner.capabilities.exogenous and self.exogenous_ and future is not None:
                X_future = np.column_stack([future.exog[c][i] for c in self.exogenous_])
            out = learner._predict_series(state, horizon, X_future, level)
            mean[i] = out.mean
            for lv, (lo, hi) in out.intervals.items():
                bounds[lv][0][i], bounds[lv][1][i] = lo, hi
        return Forecast(mean, bounds)

    def _fit_series(self, y: np.ndarray, X: np.ndarray | None) -> Any:
        raise NotImplementedError

    def _carry_series(self, state: Any, y: np.ndarray, X: np.ndarray | None) -> Any:
        """The state of a series fitted as ``state``, given its longer history ``y`` (default: refit)."""
        return self._fit_series(y, X)

    def _predict_series(
        self, state: Any, horizon: int, X_future: np.ndarray | None, level: list[float]
    ) -> SeriesForecast:
        raise NotImplementedError
