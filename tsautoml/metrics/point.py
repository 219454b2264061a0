"""Forecasting inputs and point metrics as per-series kernels on the values + ``indptr`` layout.

Series ``i`` occupies ``[indptr[i], indptr[i + 1])`` of every flat array.
:func:`_forecast_data` checks the inputs of a forecasting metric (raising
:class:`~tsautoml.exceptions.DataValidationError` or :class:`~tsautoml.exceptions.ConfigError`
that name the argument and value). A kernel takes the validated inputs
(:class:`_ForecastData`) and returns per-series sums (:class:`_Parts`): a
numerator, a denominator and the number of observed actuals. The metric value of series ``i``
is ``num[i] / den[i]`` (square-rooted for RMSE-type metrics);
:class:`tsautoml.metrics.ForecastMetric` aggregates those values over series.

Nothing here loops over series in Python: sums use ``np.bincount`` over a series index and
extremes use ``np.maximum.reduceat``. NaN actuals are missing observations and are skipped.
A series whose value is undefined (a zero MASE scale, a zero actual under MAPE, a zero range
under the normalized errors, no observed actual) gets a non-finite part, which the metric
turns into NaN for that series and excludes from the aggregate.
"""

from __future__ import annotations

import math
import reprlib
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tsautoml.exceptions import ConfigError, DataValidationError

__all__ = ["owa", "series_range", "seasonal_scale"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class _ForecastData:
    """Validated forecasting inputs, built by :func:`_forecast_data`."""

    y_true: FloatArray
    y_pred: FloatArray
    indptr: IntArray
    y_train: FloatArray | None = None
    train_indptr: IntArray | None = None
    season_length: int = 1
    quantiles: FloatArray | None = None
    ids: IntArray = field(init=False, repr=False)
    observed: NDArray[np.bool_] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        lengths = np.diff(self.indptr)
        object.__setattr__(self, "ids", np.repeat(np.arange(lengths.size), lengths))
        object.__setattr__(self, "observed", ~np.isnan(self.y_true))

    @property
    def n_series(self) -> int:
        """Number of series described by ``indptr``."""
        return int(self.indptr.size - 1)


def _indptr(indptr: ArrayLike, n_values: int, name: str, values_name: str) -> NDArray[np.int64]:
    arr = np.asarray(indptr)
    if arr.ndim != 1 or arr.size < 2 or arr.dtype.kind not in "iu":
        raise DataValidationError(
            f"{name} must be a 1-D integer array of length n_series + 1 (>= 2); got dtype "
            f"{arr.dtype} and shape {arr.shape}. Build it as np.r_[0, np.cumsum(lengths)]."
        )
    arr = arr.astype(np.int64)
    steps = np.diff(arr)
    if arr[0] != 0 or arr[-1] != n_values or (steps < 0).any():
        raise DataValidationError(
            f"{name} = {reprlib.repr(arr.tolist())} is not a valid layout of {values_name} with "
            f"{n_values} values: it must start at 0, never decrease and end at {n_values}."
        )
    return arr


def _as_float(values: ArrayLike, name: str) -> FloatArray:
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataValidationError(
            f"{name} must be numeric; converting it to float failed ({exc}). "
            "Pass numbers, with NaN for missing actuals."
        ) from exc


def _values_1d(values: ArrayLike, name: str) -> FloatArray:
    arr = _as_float(values, name)
    if arr.ndim != 1:
        raise DataValidationError(f"{name} must be 1-D; got shape {arr.shape}. Flatten it.")
    if np.isinf(arr).any():
        raise DataValidationError(
            f"{name} has {int(np.isinf(arr).sum())} infinite values (first at position "
            f"{int(np.flatnonzero(np.isinf(arr))[0])}). Use NaN for missing observations."
        )
    return arr


def _predictions(y_pred: ArrayLike, n_rows: int, n_cols: int | None) -> FloatArray:
    arr = _as_float(y_pred, "y_pred")
    if n_cols == 1 and arr.ndim == 1:
        arr = arr[:, None]
    expected = (n_rows,) if n_cols is None else (n_rows, n_cols)
    if arr.shape != expected:
        raise DataValidationError(
            f"y_pred has shape {arr.shape} but {expected} is needed: one row per actual"
            + ("." if n_cols is None else " and one column per quantile.")
        )
    bad = ~np.isfinite(arr)
    if bad.any():
        first = int(np.flatnonzero(bad.reshape(n_rows, -1).any(axis=1))[0])
        raise DataValidationError(
            f"y_pred has {int(bad.sum())} NaN or infinite values (first in row {first}). "
            "Forecasts must be finite; fill or drop them before scoring."
        )
    return arr


def _quantiles(quantiles: ArrayLike | None, metric: str, interval: bool) -> FloatArray:
    if quantiles is None:
        hint = "(q_lo, q_hi), e.g. (0.025, 0.975)" if interval else "e.g. (0.1, 0.5, 0.9)"
        raise ConfigError(f"{metric} needs the quantile levels of y_pred's columns: {hint}.")
    q = np.atleast_1d(np.asarray(quantiles, dtype=np.float64))
    if q.ndim != 1 or q.size == 0 or not ((q > 0) & (q < 1)).all():
        raise ConfigError(
            f"quantiles must be levels strictly between 0 and 1; got {reprlib.repr(q.tolist())}."
        )
    if interval and not (q.size == 2 and q[0] < q[1]):
        raise ConfigError(
            f"{metric} needs exactly two quantiles (q_lo, q_hi) with q_lo < q_hi; got "
            f"{reprlib.repr(q.tolist())}. For a 95% interval pass (0.025, 0.975)."
        )
    return q


def _history(
    y_train: ArrayLike | None, train_indptr: ArrayLike | None, n_series: int, metric: str
) -> tuple[FloatArray, NDArray[np.int64]] | tuple[None, None]:
    if y_train is None and train_indptr is None:
        return None, None
    if y_train is None or train_indptr is None:
        missing = "y_train" if y_train is None else "train_indptr"
        raise ConfigError(f"{missing} is missing: pass y_train and train_indptr together.")
    values = _values_1d(y_train, "y_train")
    layout = _indptr(train_indptr, values.size, "train_indptr", "y_train")
    if layout.size - 1 != n_series:
        raise DataValidationError(
            f"train_indptr describes {layout.size - 1} series but indptr describes {n_series}. "
            f"Pass the history of the same series, in the same order, to {metric}."
        )
    return values, layout


def _season(season_length: int) -> int:
    if isinstance(season_length, bool) or not isinstance(season_length, int | np.integer):
        raise ConfigError(f"season_length must be an integer >= 1; got {season_length!r}.")
    if season_length < 1:
        raise ConfigError(f"season_length must be >= 1; got {season_length}. Use 1 for none.")
    return int(season_length)


def _forecast_data(
    metric: str,
    needs: frozenset[str],
    y_true: ArrayLike,
    y_pred: ArrayLike,
    indptr: ArrayLike,
    y_train: ArrayLike | None,
    train_indptr: ArrayLike | None,
    season_length: int,
    quantiles: ArrayLike | None,
) -> _ForecastData:
    """Check every forecasting input against what metric ``metric`` ``needs``."""
    actual = _values_1d(y_true, "y_true")
    layout = _indptr(indptr, actual.size, "indptr", "y_true")
    levels = None
    if needs & {"quantiles", "interval"}:
        levels = _quantiles(quantiles, metric, "interval" in needs)
    pred = _predictions(y_pred, actual.size, None if levels is None else levels.size)
    if "interval" in needs and (pred[:, 0] > pred[:, 1]).any():
        rows = np.flatnonzero(pred[:, 0] > pred[:, 1])
        raise DataValidationError(
            f"{rows.size} intervals have lo > hi (rows {reprlib.repr(rows.tolist())}). "
            "Sort each row's bounds or fix the quantile columns' order."
        )
    history, history_layout = _history(y_train, train_indptr, layout.size - 1, metric)
    if "history" in needs and history is None:
        raise ConfigError(
            f"{metric} needs the training history of each series: pass y_train and "
            "train_indptr (the in-sample values, laid out like y_true)."
        )
    return _ForecastData(
        actual, pred, layout, history, history_layout, _season(season_length), levels
    )


class _Parts(NamedTuple):
    """Per-series sums: value = num / den (its sqrt when ``root``); ``n_obs`` observed actuals."""

    num: FloatArray
    den: FloatArray
    n_obs: FloatArray
    root: bool = False


def _bincount(ids: IntArray, weights: NDArray[np.generic], n_series: int) -> FloatArray:
    """Sum ``weights`` by series index."""
    return np.bincount(ids, weights=weights, minlength=n_series).astype(np.float64, copy=False)


def _series_sum(data: _ForecastData, values: FloatArray) -> FloatArray:
    """Sum ``values`` over the observed actuals of each series."""
    return _bincount(data.ids, np.where(data.observed, values, 0.0), data.n_series)


def _n_observed(data: _ForecastData) -> FloatArray:
    """Number of observed (non-NaN) actuals of each series."""
    return _bincount(data.ids, data.observed, data.n_series)


def _mean_parts(data: _ForecastData, values: FloatArray, *, root: bool = False) -> _Parts:
    """Parts of a per-series mean of ``values`` over the observed actuals."""
    n_obs = _n_observed(data)
    return _Parts(_series_sum(data, values), n_obs, n_obs, root)


def _abs_error(data: _ForecastData) -> FloatArray:
    return np.abs(data.y_true - data.y_pred)


def series_range(values: FloatArray, indptr: IntArray) -> FloatArray:
    """``max - min`` of each series ignoring NaN; NaN for empty or all-NaN series."""
    out = np.full(indptr.size - 1, np.nan)
    nonempty = np.diff(indptr) > 0
    if nonempty.any():
        starts = indptr[:-1][nonempty]
        high = np.maximum.reduceat(np.where(np.isnan(values), -np.inf, values), starts)
        low = np.minimum.reduceat(np.where(np.isnan(values), np.inf, values), starts)
        out[nonempty] = high - low
    out[~np.isfinite(out)] = np.nan
    return out


def seasonal_scale(y_train: FloatArray, train_indptr: IntArray, season_length: int) -> FloatArray:
    """In-sample mean of ``|y_t - y_{t-m}|`` of each training series.

    ``m`` falls back to 1 for a series with fewer than ``m + 1`` values. Differences that
    involve a NaN are skipped; a series without any difference gets NaN.

    Examples
    --------
    >>> seasonal_scale(np.array([1.0, 3.0, 2.0, 5.0, 5.0]), np.array([0, 3, 5]), 1).tolist()
    [1.5, 0.0]
    """
    n_series = train_indptr.size - 1
    lengths = np.diff(train_indptr)
    lag = np.where(lengths > season_length, season_length, 1)
    ids = np.repeat(np.arange(n_series), lengths)
    pos = np.arange(y_train.size)
    prev = pos - lag[ids]
    inside = prev >= train_indptr[:-1][ids]
    diffs = np.abs(y_train[pos[inside]] - y_train[prev[inside]])
    keep = ~np.isnan(diffs)
    diff_ids = ids[inside][keep]
    total = _bincount(diff_ids, diffs[keep], n_series)
    with np.errstate(invalid="ignore", divide="ignore"):  # a series without any difference: NaN
        return total / _bincount(diff_ids, np.ones(diff_ids.size), n_series)


def _normalizing_range(data: _ForecastData) -> FloatArray:
    """``max - min`` per series for nrmse / nmae, as azureml's forecasting metrics.

    ``AzureMLForecastingMetrics`` takes ``y_min`` / ``y_max`` per time series id from the
    training targets when they are given, else from the series' actuals; so does this: the
    range of ``y_train`` when the history is passed, otherwise of ``y_true``.
    """
    if data.y_train is not None and data.train_indptr is not None:
        return series_range(data.y_train, data.train_indptr)
    return series_range(data.y_true, data.indptr)


def _require_history(data: _ForecastData) -> tuple[FloatArray, IntArray]:
    if data.y_train is None or data.train_indptr is None:
        raise DataValidationError(
            "This metric needs the training history. Pass y_train and train_indptr."
        )
    return data.y_train, data.train_indptr


def absolute_loss(y: FloatArray, f: FloatArray, scale: FloatArray) -> FloatArray:
    """``|y - f| / scale`` per point (MAE, MASE, nmae, WAPE)."""
    return np.abs(y - f) / scale


def squared_loss(y: FloatArray, f: FloatArray, scale: FloatArray) -> FloatArray:
    """``((y - f) / scale)^2`` per point (RMSE, nrmse)."""
    return ((y - f) / scale) ** 2


def smape_loss(y: FloatArray, f: FloatArray, scale: FloatArray) -> FloatArray:
    """``200 |y - f| / (|y| + |f|)`` per point (0 where both are 0)."""
    err = np.abs(y - f)
    return np.where(err == 0, 0.0, 200.0 * err / (np.abs(y) + np.abs(f)))


def ape_loss(y: FloatArray, f: FloatArray, scale: FloatArray) -> FloatArray:
    """``100 |y - f| / |y|`` per point (MAPE)."""
    return 100.0 * np.abs(y - f) / np.abs(y)


def _mae_parts(data: _ForecastData) -> _Parts:
    return _mean_parts(data, _abs_error(data))


def _rmse_parts(data: _ForecastData) -> _Parts:
    return _mean_parts(data, (data.y_true - data.y_pred) ** 2, root=True)


def _smape_parts(data: _ForecastData) -> _Parts:
    denom = np.abs(data.y_true) + np.abs(data.y_pred)
    terms = np.divide(200.0 * _abs_error(data), denom, out=np.zeros_like(denom), where=denom > 0)
    return _mean_parts(data, terms)


def _mape_parts(data: _ForecastData) -> _Parts:
    return _mean_parts(data, 100.0 * _abs_error(data) / np.abs(data.y_true))


def _mase_parts(data: _ForecastData) -> _Parts:
    y_train, train_indptr = _require_history(data)
    scale = seasonal_scale(y_train, train_indptr, data.season_length)
    return _mean_parts(data, _abs_error(data) / scale[data.ids])


def _nrmse_parts(data: _ForecastData) -> _Parts:
    scaled = (data.y_true - data.y_pred) / _normalizing_range(data)[data.ids]
    return _mean_parts(data, scaled**2, root=True)


def _nmae_parts(data: _ForecastData) -> _Parts:
    return _mean_parts(data, _abs_error(data) / _normalizing_range(data)[data.ids])


def _wape_parts(data: _ForecastData) -> _Parts:
    num = _series_sum(data, _abs_error(data))
    return _Parts(num, _series_sum(data, np.abs(data.y_true)), _n_observed(data))


def owa(smape: float, mase: float, smape_naive2: float, mase_naive2: float) -> float:
    """Overall weighted average of sMAPE and MASE relative to Naive2, as in M4.

    ``OWA = 0.5 * (smape / smape_naive2 + mase / mase_naive2)``; below 1 beats Naive2.

    Parameters
    ----------
    smape, mase
        sMAPE and MASE of the method to rate.
    smape_naive2, mase_naive2
        sMAPE and MASE of the Naive2 benchmark on the same series and horizon.

    Returns
    -------
    float
        The OWA.

    Raises
    ------
    DataValidationError
        If a Naive2 value is not a positive finite number.

    Examples
    --------
    >>> owa(18.383, 2.395, 18.383, 2.395)
    1.0
    >>> round(owa(9.0, 2.0, 12.0, 2.5), 3)
    0.775
    """
    for name, value in (("smape_naive2", smape_naive2), ("mase_naive2", mase_naive2)):
        if not (math.isfinite(value) and value > 0):
            raise DataValidationError(
                f"{name} is {value!r}; OWA divides by it, so it must be a positive finite "
                "number. Compute it with the Naive2 forecasts of the same series."
            )
    return 0.5 * (smape / smape_naive2 + mase / mase_naive2)
