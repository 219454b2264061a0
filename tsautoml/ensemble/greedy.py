"""Greedy (Caruana) ensemble selection over out-of-fold forecasts, per unit (series or group).

Caruana et al. (2004): start from an empty ensemble and, ``n_iter`` times, add (with
replacement) the model whose addition lowers the ensemble's loss most; the weights are
the selection counts. Here that runs for every *unit* at once, vectorised: a unit is a
series, a group of series (e.g. a store) or the whole panel. ``n_iter=1`` is plain
per-unit model selection.

Selection is scored honestly by :func:`cross_fit_blend`: the weights used on a validation
window are chosen on the other windows only.
"""

from __future__ import annotations

import numpy as np

__all__ = ["blend", "cross_fit_blend", "greedy_weights", "pointwise_loss"]

_SQUARED = frozenset({"rmse", "nrmse"})


def pointwise_loss(metric: str, y: np.ndarray, f: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Per-point loss whose per-unit sum orders forecasts as ``metric`` does; NaN actuals cost 0.

    ``scale`` is each point's series scale (MASE's naive error, the range for nrmse/nmae, 1 else).

    Examples
    --------
    >>> pointwise_loss("smape", np.array([1.0, np.nan]), np.array([3.0, 1.0]), np.ones(2)).tolist()
    [100.0, 0.0]
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        err = np.abs(y - f)
        if metric == "smape":
            loss = np.where(err == 0, 0.0, 200.0 * err / (np.abs(y) + np.abs(f)))
        elif metric == "mape":
            loss = err / np.abs(y)
        elif metric in _SQUARED:
            loss = (err / scale) ** 2
        else:
            loss = err / scale
    return np.where(np.isfinite(loss), loss, 0.0)


def greedy_weights(
    preds: np.ndarray,
    y: np.ndarray,
    scale: np.ndarray,
    metric: str,
    row_unit: np.ndarray,
    n_units: int,
    n_iter: int = 10,
) -> np.ndarray:
    """Ensemble weights per unit, ``(n_units, n_models)``, rows summing to 1.

    ``preds`` is ``(n_models, n_rows)``, best model first (ties go to the earlier model);
    ``row_unit`` gives each row's unit. Units without rows get the weights of all rows pooled.

    Examples
    --------
    >>> y = np.array([1.0, 1.0, 5.0, 5.0])
    >>> preds = np.array([[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 5.0, 5.0]])
    >>> greedy_weights(preds, y, np.ones(4), "mae", np.array([0, 0, 1, 1]), 2, n_iter=3).tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    n_models = preds.shape[0]
    order = np.argsort(row_unit, kind="stable")
    counts_per_unit = np.bincount(row_unit, minlength=n_units)
    starts = np.concatenate([[0], np.cumsum(counts_per_unit)[:-1]])
    present = counts_per_unit > 0
    P, yy, ss, units = preds[:, order], y[order], scale[order], row_unit[order]
    counts = np.zeros((n_units, n_models))
    current = np.zeros(P.shape[1])
    for t in range(1, n_iter + 1):
        candidate = (current * (t - 1) + P) / t  # (n_models, n_rows)
        loss = pointwise_loss(metric, yy, candidate, ss)
        per_unit = np.add.reduceat(loss, starts[present], axis=1)  # (n_models, n_present)
        choice = np.zeros(n_units, dtype=np.int64)
        choice[present] = np.argmin(per_unit, axis=0)
        counts[np.arange(n_units), choice] += 1
        current = candidate[choice[units], np.arange(P.shape[1])]
    weights = counts / n_iter
    if not present.all():
        pooled = greedy_weights(preds, y, scale, metric, np.zeros_like(row_unit), 1, n_iter)
        weights[~present] = pooled[0]
    return weights


def blend(preds: np.ndarray, weights: np.ndarray, row_unit: np.ndarray) -> np.ndarray:
    """Weighted forecast of every row: ``sum_m weights[unit, m] * preds[m, row]``."""
    return np.einsum("mr,rm->r", preds, weights[row_unit])


def cross_fit_blend(
    preds: np.ndarray,
    y: np.ndarray,
    scale: np.ndarray,
    metric: str,
    row_unit: np.ndarray,
    n_units: int,
    row_window: np.ndarray,
    n_iter: int = 10,
) -> np.ndarray:
    """Out-of-fold blend: each window's rows blended with weights chosen on the other windows.

    Units missing from the other windows fall back to the pooled weights. With a single
    window nothing is held out, and the result is the in-sample blend (optimistic).
    """
    windows = np.unique(row_window)
    if windows.size == 1:
        return blend(preds, greedy_weights(preds, y, scale, metric, row_unit, n_units, n_iter), row_unit)
    out = np.empty(len(y))
    for w in windows:
        held = row_window == w
        weights = greedy_weights(preds[:, ~held], y[~held], scale[~held], metric, row_unit[~held], n_units, n_iter)
        out[held] = blend(preds[:, held], weights, row_unit[held])
    return out
