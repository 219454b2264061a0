"""Weights of out-of-fold forecasts per unit (a series, a group, the whole panel): best k, or greedy.

Every combination is computed for all units at once, vectorised, from the primary
metric's own pointwise loss and per-series scale
(:meth:`~tsautoml.metrics.base.ForecastMetric.pointwise_loss`):

* ``top`` with ``k``: the equal-weight mean of the ``k`` models with the lowest loss in the
  unit (``k=1`` is plain model selection);
* ``greedy``: Caruana et al. (2004): start from an empty ensemble and ``n_iter`` times add,
  with replacement, the model whose addition lowers the unit's loss most; the weights are
  the selection counts;
* ``family``: the equal-weight mean of the best model of each family in the unit (a fixed
  combination, e.g. of the best ETS, Theta, ARIMA and CES trials).

A model that has no forecast for a row (NaN) is not available in that row's unit.
:func:`cross_fit_blend` scores a combination honestly: each validation window is blended
with the weights chosen on the other windows only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np

from tsautoml.metrics.base import ForecastMetric

__all__ = ["Method", "blend", "cross_fit_blend", "unit_weights"]

Method = Literal["top", "greedy", "family"]


def unit_weights(
    preds: np.ndarray,
    y: np.ndarray,
    scale: np.ndarray,
    metric: ForecastMetric,
    row_unit: np.ndarray,
    n_units: int,
    method: Method,
    k: int,
    family: np.ndarray | None = None,
) -> np.ndarray:
    """Weights per unit, ``(n_units, n_models)``, rows summing to 1 (0 where no model is available).

    ``preds`` is ``(n_models, n_rows)``, best model first (ties go to the earlier model);
    ``row_unit`` gives each row's unit; ``k`` is the number of models (``top``) or of greedy
    steps (``greedy``); ``family`` gives each model's family code (``-1``: none) for
    ``family``. Units without rows get the weights of all rows pooled.

    Examples
    --------
    >>> from tsautoml.metrics import get_metric
    >>> mae = get_metric("mae", "forecast")
    >>> y = np.array([1.0, 1.0, 5.0, 5.0])
    >>> preds = np.array([[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 5.0, 5.0]])
    >>> unit_weights(preds, y, np.ones(4), mae, np.array([0, 0, 1, 1]), 2, "greedy", 3).tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    >>> unit_weights(preds, y, np.ones(4), mae, np.array([0, 0, 1, 1]), 2, "top", 2).tolist()
    [[0.5, 0.5], [0.5, 0.5]]
    """
    n_models, n_rows = preds.shape
    counts_per_unit = np.bincount(row_unit, minlength=n_units)
    present = counts_per_unit > 0
    weights = np.zeros((n_units, n_models))
    if n_rows and n_models:
        order = np.argsort(row_unit, kind="stable")
        starts = np.concatenate([[0], np.cumsum(counts_per_unit)[:-1]])[present]
        P, yy, ss = preds[:, order], y[order], scale[order]
        if method == "top":
            weights[present] = _top(P, yy, ss, metric, starts, k)
        elif method == "family":
            weights[present] = _family(P, yy, ss, metric, starts, np.full(n_models, -1) if family is None else family)
        else:
            weights[present] = _greedy(P, yy, ss, metric, starts, row_unit[order], present, k)
    if not present.all():
        pooled = (unit_weights(preds, y, scale, metric, np.zeros_like(row_unit), 1, method, k, family) if n_rows
                  else weights[:1])
        weights[~present] = pooled[0]
    return weights


def _unit_loss(P: np.ndarray, y: np.ndarray, scale: np.ndarray, metric: ForecastMetric, starts: np.ndarray) -> np.ndarray:
    """``(n_models, n_present_units)`` summed pointwise loss (``inf``: a model misses a row)."""
    return np.add.reduceat(metric.pointwise_loss(y, P, scale), starts, axis=1)


def _top(P: np.ndarray, y: np.ndarray, scale: np.ndarray, metric: ForecastMetric, starts: np.ndarray, k: int) -> np.ndarray:
    loss = _unit_loss(P, y, scale, metric, starts)  # (n_models, n_units)
    ranked = np.argsort(loss, axis=0, kind="stable")[:k]  # the k best per unit
    finite = np.isfinite(np.take_along_axis(loss, ranked, axis=0))
    out = np.zeros((loss.shape[1], loss.shape[0]))
    units = np.broadcast_to(np.arange(loss.shape[1]), ranked.shape)
    out[units[finite], ranked[finite]] = 1.0
    total = out.sum(axis=1, keepdims=True)
    return np.divide(out, total, out=np.zeros_like(out), where=total > 0)


def _family(P: np.ndarray, y: np.ndarray, scale: np.ndarray, metric: ForecastMetric, starts: np.ndarray,
            family: np.ndarray) -> np.ndarray:
    loss = _unit_loss(P, y, scale, metric, starts)  # (n_models, n_units)
    out = np.zeros((loss.shape[1], loss.shape[0]))
    units = np.arange(loss.shape[1])
    for code in np.unique(family[family >= 0]):
        models = np.flatnonzero(family == code)
        best = models[np.argmin(loss[models], axis=0)]  # the family's best model per unit (the first on ties)
        usable = np.isfinite(loss[best, units])
        out[units[usable], best[usable]] = 1.0
    total = out.sum(axis=1, keepdims=True)
    return np.divide(out, total, out=np.zeros_like(out), where=total > 0)


def _greedy(
    P: np.ndarray, y: np.ndarray, scale: np.ndarray, metric: ForecastMetric, starts: np.ndarray,
    units: np.ndarray, present: np.ndarray, n_iter: int,
) -> np.ndarray:
    n_models, n_rows = P.shape
    n_present = starts.size
    dense = np.cumsum(present) - 1  # unit code -> position among the present units
    row_pos = dense[units]
    counts = np.zeros((n_present, n_models))
    current = np.zeros(n_rows)
    for t in range(1, n_iter + 1):
        candidate = (current * (t - 1) + P) / t
        per_unit = _unit_loss(candidate, y, scale, metric, starts)
        choice = np.argmin(per_unit, axis=0)
        usable = np.isfinite(per_unit[choice, np.arange(n_present)])
        counts[np.flatnonzero(usable), choice[usable]] += 1
        current = candidate[choice[row_pos], np.arange(n_rows)]
    total = counts.sum(axis=1, keepdims=True)
    return np.divide(counts, total, out=np.zeros_like(counts), where=total > 0)


def blend(preds: np.ndarray, weights: np.ndarray, row_unit: np.ndarray) -> np.ndarray:
    """Weighted forecast of every row, ``sum_m weights[unit, m] * preds[m, row]`` (NaN: no weight)."""
    w = weights[row_unit].T  # (n_models, n_rows)
    used = w > 0
    out = np.where(used, np.nan_to_num(preds), 0.0) * w
    missing = (used & np.isnan(preds)).any(axis=0) | ~used.any(axis=0)
    return np.where(missing, np.nan, out.sum(axis=0))


def cross_fit_blend(
    preds: np.ndarray,
    row_unit: np.ndarray,
    row_window: np.ndarray,
    weigh: Callable[[np.ndarray], np.ndarray],
) -> np.ndarray:
    """Out-of-fold blend: each window's rows blended with weights chosen on the other windows.

    ``weigh(rows)`` returns the ``(n_units, n_models)`` weights chosen on the rows where the
    boolean mask ``rows`` is true. With a single window nothing is held out, and the result is
    the in-sample blend (optimistic).
    """
    windows = np.unique(row_window)
    if windows.size <= 1:
        return blend(preds, weigh(np.ones(len(row_unit), dtype=bool)), row_unit)
    out = np.full(len(row_unit), np.nan)
    for w in windows:
        held = row_window == w
        out[held] = blend(preds[:, held], weigh(~held), row_unit[held])
    return out
