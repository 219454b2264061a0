"""Baselines: naive, seasonal naive, window and historic average, the guaranteed fallbacks.

Each baseline forecasts from a small table per series (the last value, the last season, an
average) that repeats over the horizon. ``fit`` builds the tables of all series at once with
numpy over the grouped layout, so 100k series take well under a second; the per-series
methods (``_fit_series`` / ``_predict_series``) compute the same table for one series, for
when a baseline serves in another learner's ``fallback_chain``.

A series shorter than a baseline's :meth:`~LocalLearner.min_length` falls back along its own
chain (seasonal naive -> naive, window average -> historic average), recorded in
``fallbacks_`` exactly as :class:`~tsautoml.models.base.LocalLearner` records it.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np
from sklearn.base import clone

from tsautoml.data import validation
from tsautoml.data.grouped import GroupedArray, Panel, concat_ranges, offsets
from tsautoml.exceptions import ConfigError, DataValidationError
from tsautoml.models.base import (
    Capabilities,
    Forecast,
    Future,
    LocalLearner,
    SeriesForecast,
    check_deadline,
)
from tsautoml.models.spec import ForecastContext, LearnerSpec

__all__ = ["HistoricAverage", "Naive", "SeasonalNaive", "WindowAverage"]

logger = logging.getLogger(__name__)


def _window_start(ctx: ForecastContext) -> tuple[dict[str, int], ...]:
    return ({"window_size": ctx.season_length if ctx.season_length > 1 else 4},)


class _Baseline(LocalLearner):
    """A local learner whose forecast repeats a per-series table of ``width`` values.

    Subclasses implement ``_table(values, indptr)``: one row per series (every series has at
    least :meth:`min_length` values and no NaN), the forecast at step ``j`` being column
    ``j % width``. Fitted state: ``table_`` ``(n_series, width)`` and ``fallbacks_``.
    """

    capabilities = Capabilities(exogenous=False, intervals=False)

    def _check_params(self) -> None:
        """Raise :class:`ConfigError` for invalid constructor arguments."""

    def _table(self, values: np.ndarray, indptr: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _fit(self, panel: Panel, deadline: float | None) -> None:
        self._check_params()
        check_deadline(deadline)
        target = _clean_grouped(panel.target)
        empty = np.flatnonzero(target.lengths == 0)
        if empty.size:
            raise DataValidationError(
                f"{empty.size} series have no observed value: "
                f"{validation.shorten(validation.series_labels(panel.ids, empty))}. Drop them."
            )
        self.table_, self.fallbacks_ = self._fit_tables(target)
        if self.fallbacks_:
            logger.info(
                "%s fell back on %d of %d series.", type(self).__name__, len(self.fallbacks_), panel.n_series
            )

    def carried(self, panel: Panel, previous: np.ndarray, deadline: float | None = None) -> _Baseline:
        """A copy fitted on ``panel``: a baseline has no parameters, only the values it repeats."""
        out = clone(self)
        out.fit(panel, deadline=deadline)
        return out

    def _fit_tables(self, target: GroupedArray) -> tuple[np.ndarray, dict[int, tuple[str, str]]]:
        """Tables of every series along ``[self, *fallback_chain()]``, and the fallbacks used."""
        lengths = target.lengths
        todo = np.arange(target.n_series)
        parts: list[tuple[np.ndarray, np.ndarray]] = []
        fallbacks: dict[int, tuple[str, str]] = {}
        for k, learner in enumerate([self, *self.fallback_chain()]):
            if not isinstance(learner, _Baseline):
                raise ConfigError(f"{type(self).__name__} can only fall back on baselines, not {learner!r}.")
            ok = lengths[todo] >= learner.min_length()
            rows = todo[ok]
            if rows.size:
                parts.append((rows, learner._table_of(target, rows)))
            if k > 0:  # the reason is the one the first learner gave, as LocalLearner records it
                used, need = type(learner).__name__, self.min_length()
                fallbacks.update({int(r): (used, f"{lengths[r]} points < {need} needed") for r in rows})
            todo = todo[~ok]
        if todo.size:
            raise DataValidationError(
                f"No learner could fit {todo.size} series of {validation.shorten(lengths[todo])} points "
                f"with {type(self).__name__} or its fallbacks."
            )
        width = math.lcm(*(t.shape[1] for _, t in parts))
        table = np.empty((target.n_series, width))
        for rows, t in parts:
            table[rows] = np.tile(t, (1, width // t.shape[1]))
        return table, fallbacks

    def _table_of(self, target: GroupedArray, rows: np.ndarray) -> np.ndarray:
        """Tables of the series ``rows`` of ``target``."""
        if rows.size == target.n_series:
            return self._table(target.values, target.indptr)
        lengths = target.lengths[rows]
        sub = target.take_rows(concat_ranges(target.indptr[rows], lengths), lengths)
        return self._table(sub.values, sub.indptr)

    def _predict(self, horizon: int, future: Future | None, level: list[float]) -> Forecast:
        steps = np.arange(horizon) % self.table_.shape[1]
        return Forecast(self.table_[:, steps])

    def _fit_series(self, y: np.ndarray, X: np.ndarray | None) -> Any:
        self._check_params()
        return self._table(np.asarray(y, dtype=np.float64), np.array([0, y.size]))[0]

    def _predict_series(
        self, state: Any, horizon: int, X_future: np.ndarray | None, level: list[float]
    ) -> SeriesForecast:
        return SeriesForecast(state[np.arange(horizon) % state.size])


class Naive(_Baseline):
    """Repeat the last observed value.

    Examples
    --------
    >>> from tsautoml.testing import make_panel
    >>> panel = Panel.from_frame(make_panel(2, seed=1))
    >>> forecast = Naive().fit(panel).predict(3)
    >>> forecast.mean.shape, bool((forecast.mean[:, 0] == forecast.mean[:, 2]).all())
    ((2, 3), True)
    """

    spec = LearnerSpec("Naive", cost=1.0)

    def _table(self, values: np.ndarray, indptr: np.ndarray) -> np.ndarray:
        return values[indptr[1:] - 1][:, None]


class SeasonalNaive(_Baseline):
    """Repeat the last season: the forecast at step ``j`` is the value one season before it.

    Parameters
    ----------
    season_length
        Steps in a season; series shorter than that fall back on :class:`Naive`.

    Examples
    --------
    >>> from tsautoml.testing import make_panel
    >>> panel = Panel.from_frame(make_panel(2, seed=1))
    >>> learner = SeasonalNaive(season_length=7).fit(panel)
    >>> forecast = learner.predict(14)
    >>> bool((forecast.mean[:, :7] == forecast.mean[:, 7:]).all()), learner.fallbacks_
    (True, {})
    """

    spec = LearnerSpec("SeasonalNaive", cost=1.0, applies=lambda ctx: ctx.season_length > 1)

    def __init__(self, season_length: int = 1) -> None:
        self.season_length = season_length

    def _check_params(self) -> None:
        _check_int("season_length", self.season_length, 1)

    def min_length(self) -> int:
        """One full season."""
        return int(self.season_length)

    def fallback_chain(self) -> list[LocalLearner]:
        """:class:`Naive` for series shorter than a season."""
        return [Naive()]

    def _table(self, values: np.ndarray, indptr: np.ndarray) -> np.ndarray:
        m = int(self.season_length)
        n = indptr.size - 1
        return values[concat_ranges(indptr[1:] - m, np.full(n, m))].reshape(n, m)


class WindowAverage(_Baseline):
    """Repeat the mean of the last ``window_size`` values.

    Parameters
    ----------
    window_size
        Values averaged; series shorter than that fall back on :class:`HistoricAverage`
        (the mean of all their values).

    Examples
    --------
    >>> from tsautoml.testing import make_panel
    >>> panel = Panel.from_frame(make_panel(2, seed=1))
    >>> WindowAverage(window_size=7).fit(panel).predict(2).mean.shape
    (2, 2)
    """

    spec = LearnerSpec("WindowAverage", cost=1.0, starts=_window_start)

    def __init__(self, window_size: int = 7) -> None:
        self.window_size = window_size

    def _check_params(self) -> None:
        _check_int("window_size", self.window_size, 1)

    def min_length(self) -> int:
        """One full window."""
        return int(self.window_size)

    def fallback_chain(self) -> list[LocalLearner]:
        """:class:`HistoricAverage` for series shorter than the window."""
        return [HistoricAverage()]

    def _table(self, values: np.ndarray, indptr: np.ndarray) -> np.ndarray:
        w = int(self.window_size)
        n = indptr.size - 1
        window = values[concat_ranges(indptr[1:] - w, np.full(n, w))].reshape(n, w)
        return window.mean(axis=1)[:, None]


class HistoricAverage(_Baseline):
    """Repeat the mean of the whole (cleaned) history.

    Examples
    --------
    >>> from tsautoml.testing import make_panel
    >>> panel = Panel.from_frame(make_panel(2, seed=1))
    >>> HistoricAverage().fit(panel).predict(2).mean.shape
    (2, 2)
    """

    spec = LearnerSpec("HistoricAverage", cost=1.0)

    def _table(self, values: np.ndarray, indptr: np.ndarray) -> np.ndarray:
        return (np.add.reduceat(values, indptr[:-1]) / np.diff(indptr))[:, None]


def _check_int(name: str, value: object, low: int) -> None:
    """Raise :class:`ConfigError` unless ``value`` is an integer >= ``low``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ConfigError(f"{name} must be an integer >= {low}, got {value!r}.")


def _clean_grouped(target: GroupedArray) -> GroupedArray:
    """:func:`~tsautoml.models.base.clean_series` of every series at once.

    Leading NaNs are dropped, inner NaNs are linearly interpolated and trailing NaNs take
    the last observed value (as :func:`numpy.interp` does). All-NaN series become empty.
    """
    values = np.asarray(target.values, dtype=np.float64)
    missing = np.isnan(values)
    if not missing.any():
        return GroupedArray(values, target.indptr)
    lengths = target.lengths
    rows = np.arange(values.size)
    starts = np.repeat(target.indptr[:-1], lengths)
    ends = np.repeat(target.indptr[1:], lengths)
    prev = np.maximum.accumulate(np.where(missing, -1, rows))  # last observed row at or before
    nxt = np.minimum.accumulate(np.where(missing, values.size, rows)[::-1])[::-1]  # first at or after
    keep = prev >= starts
    out = values.copy()
    inner = missing & keep & (nxt < ends)
    p, q = prev[inner], nxt[inner]
    out[inner] = (values[q] - values[p]) / (q - p) * (rows[inner] - p) + values[p]
    trailing = missing & keep & (nxt >= ends)
    out[trailing] = values[prev[trailing]]
    series = np.repeat(np.arange(target.n_series), lengths)
    return GroupedArray(out[keep], offsets(np.bincount(series[keep], minlength=target.n_series)))
