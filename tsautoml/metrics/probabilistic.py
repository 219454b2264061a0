"""Quantile and interval metrics as per-series kernels on the flat values + ``indptr`` layout.

Quantile forecasts are a ``(n, k)`` matrix whose column ``j`` holds quantile ``quantiles[j]``.
An interval is the pair of columns ``(lo, hi)`` with quantile levels ``(q_lo, q_hi)``; its
nominal miss rate is ``alpha = 1 - (q_hi - q_lo)`` (0.05 for the M4 95% intervals).
Kernels return :class:`tsautoml.metrics.point._Parts`, like the point metrics.
"""

from __future__ import annotations

import numpy as np

from tsautoml.exceptions import DataValidationError
from tsautoml.metrics.point import (
    FloatArray,
    _ForecastData,
    _mean_parts,
    _n_observed,
    _Parts,
    _require_history,
    _series_sum,
    seasonal_scale,
)

__all__: list[str] = []


def _quantile_levels(data: _ForecastData) -> FloatArray:
    if data.quantiles is None:
        raise DataValidationError(
            "This metric needs the quantile levels of the columns of y_pred. Pass quantiles=."
        )
    return data.quantiles


def _pinball(data: _ForecastData) -> FloatArray:
    """Pinball loss of every row and quantile, shape ``(n, k)``."""
    q = _quantile_levels(data)
    error = data.y_true[:, None] - data.y_pred
    return np.maximum(q * error, (q - 1.0) * error)


def _pinball_parts(data: _ForecastData) -> _Parts:
    """Mean pinball loss over rows and quantiles of each series."""
    return _mean_parts(data, _pinball(data).mean(axis=1))


def _wql_parts(data: _ForecastData) -> _Parts:
    """GluonTS ``mean_wQuantileLoss``: mean over q of ``2 * sum(pinball_q) / sum|y|``."""
    num = 2.0 * _series_sum(data, _pinball(data).mean(axis=1))
    return _Parts(num, _series_sum(data, np.abs(data.y_true)), _n_observed(data))


def _coverage_parts(data: _ForecastData) -> _Parts:
    """Share of observed actuals inside ``[lo, hi]``."""
    lo, hi = data.y_pred[:, 0], data.y_pred[:, 1]
    inside = (data.y_true >= lo) & (data.y_true <= hi)
    return _mean_parts(data, inside.astype(np.float64))


def _interval_score(data: _ForecastData) -> FloatArray:
    """Winkler interval score of every row: width plus ``2/alpha`` times the miss."""
    q = _quantile_levels(data)
    alpha = 1.0 - (q[1] - q[0])
    lo, hi, y = data.y_pred[:, 0], data.y_pred[:, 1], data.y_true
    below = np.where(y < lo, lo - y, 0.0)
    above = np.where(y > hi, y - hi, 0.0)
    return (hi - lo) + (2.0 / alpha) * (below + above)


def _msis_parts(data: _ForecastData) -> _Parts:
    """M4 mean scaled interval score: interval score over the seasonal-naive MASE scale."""
    y_train, train_indptr = _require_history(data)
    scale = seasonal_scale(y_train, train_indptr, data.season_length)
    return _mean_parts(data, _interval_score(data) / scale[data.ids])
