"""Conformal prediction intervals from rolling-origin residuals.

Errors of the out-of-fold forecasts are divided by each series' scale (its mean absolute
seasonal difference), then pooled per horizon step over the series of a group (all
series, or a ``group_by`` group), so even with few validation windows every quantile
rests on many points. A forecast's interval is ``forecast +/- q[group, step] * scale``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tsautoml.metrics.point import seasonal_scale

__all__ = ["ConformalIntervals", "interval_buckets", "interval_scale", "naive_errors"]

_MIN_POINTS = 20  # below this a group borrows the pooled quantile of its step


def interval_scale(values: np.ndarray, indptr: np.ndarray, season_length: int) -> np.ndarray:
    """Each series' interval scale: MASE's seasonal scale, else lag 1's, else mean ``|y|``, else 1.

    Examples
    --------
    >>> interval_scale(np.array([1.0, 3.0, 2.0, 5.0, 5.0]), np.array([0, 3, 5]), 1).tolist()
    [1.5, 5.0]
    """
    out = seasonal_scale(values, indptr, season_length)
    for fallback in (lambda: seasonal_scale(values, indptr, 1), lambda: _mean_abs(values, indptr)):
        missing = ~(out > 0)
        if not missing.any():
            break
        out[missing] = fallback()[missing]
    out[~(out > 0)] = 1.0
    return out


def naive_errors(values: np.ndarray, indptr: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """In-sample errors of the naive forecast ``k`` steps ahead (``y[t + k] - y[t]``): error, series, step.

    The intervals' fallback when no out-of-fold error was validated (e.g. every series constant).

    Examples
    --------
    >>> err, series, step = naive_errors(np.array([1.0, 2.0, 4.0, 5.0, 5.0]), np.array([0, 3, 5]), 2)
    >>> err.tolist(), series.tolist(), step.tolist()
    ([1.0, 2.0, 0.0, 3.0], [0, 0, 1, 0], [0, 0, 0, 1])
    """
    row_series = np.repeat(np.arange(indptr.size - 1), np.diff(indptr))
    parts = []
    for k in range(1, horizon + 1):
        same = row_series[k:] == row_series[:-k] if values.size > k else np.zeros(0, dtype=bool)
        err = (values[k:] - values[:-k])[same]
        parts.append((err, row_series[k:][same], np.full(err.size, k - 1)))
    return tuple(np.concatenate([p[i] for p in parts]) for i in range(3))  # type: ignore[return-value]


def _mean_abs(values: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    n = indptr.size - 1
    row_series = np.repeat(np.arange(n), np.diff(indptr))
    ok = np.isfinite(values)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.bincount(row_series[ok], np.abs(values[ok]), n) / np.bincount(row_series[ok], minlength=n)


@dataclass(frozen=True, eq=False)
class ConformalIntervals:
    """Quantiles of scaled absolute errors per (group, horizon step), for any level.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> errors = rng.normal(size=4000)
    >>> ci = ConformalIntervals.fit(errors, np.ones(4000), np.tile(np.arange(2), 2000),
    ...                             np.zeros(4000, dtype=int), n_groups=1, horizon=2)
    >>> lo, hi = ci.interval(np.zeros((1, 2)), np.ones(1), np.zeros(1, dtype=int), 95)
    >>> bool(1.8 < hi[0, 0] < 2.2)
    True
    """

    scores: list[list[np.ndarray]]  # [group][step] sorted scaled absolute errors
    pooled: list[np.ndarray]  # [step] all groups together

    @classmethod
    def fit(
        cls,
        errors: np.ndarray,
        row_scale: np.ndarray,
        row_step: np.ndarray,
        row_group: np.ndarray,
        n_groups: int,
        horizon: int,
    ) -> ConformalIntervals:
        """From the out-of-fold errors, each row's series scale, horizon step and group."""
        scaled = np.abs(errors) / row_scale
        ok = np.isfinite(scaled)
        scores = [
            [np.sort(scaled[ok & (row_group == g) & (row_step == k)]) for k in range(horizon)]
            for g in range(n_groups)
        ]
        pooled = [np.sort(scaled[ok & (row_step == k)]) for k in range(horizon)]
        return cls(scores, pooled)

    def quantiles(self, level: float) -> np.ndarray:
        """``(n_groups, horizon)`` conformal quantile of the scaled errors at ``level`` percent."""
        out = np.empty((len(self.scores), len(self.pooled)))
        everything = np.sort(np.concatenate(self.pooled))
        for k, pooled in enumerate(self.pooled):
            fallback = _conformal_quantile(pooled if pooled.size >= _MIN_POINTS else everything, level)
            for g, group in enumerate(self.scores):
                out[g, k] = _conformal_quantile(group[k], level) if group[k].size >= _MIN_POINTS else fallback
        return out

    def interval(
        self, mean: np.ndarray, scale: np.ndarray, group: np.ndarray, level: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper bounds around ``mean`` ``(n_series, horizon)``."""
        width = self.quantiles(level)[group] * scale[:, None]
        return mean - width, mean + width

    def levels(self, mean: np.ndarray, scale: np.ndarray, group: np.ndarray, levels: Sequence[float]) -> dict[float, tuple[np.ndarray, np.ndarray]]:
        """:meth:`interval` at each of ``levels``."""
        return {float(lv): self.interval(mean, scale, group, lv) for lv in levels}


def _conformal_quantile(sorted_scores: np.ndarray, level: float) -> float:
    """The ``ceil((n + 1) * level) / n`` empirical quantile (finite-sample valid)."""
    n = sorted_scores.size
    if n == 0:
        return np.nan
    rank = int(np.ceil((n + 1) * level / 100.0))
    return float(sorted_scores[min(rank, n) - 1])


def interval_buckets(
    codes: np.ndarray, error_series: np.ndarray, errors: np.ndarray, horizon: int
) -> tuple[np.ndarray, int]:
    """The interval group of every series, and how many there are.

    A ``group_by`` group with enough validation errors per horizon step keeps its own
    quantiles; the groups with too few share one bucket (with thousands of one-series
    groups, that is all of them).

    Examples
    --------
    >>> codes = np.array([0, 0, 1])
    >>> errors = np.ones((3, 2 * _MIN_POINTS))  # the third series alone is too few
    >>> errors[2] = np.nan
    >>> interval_buckets(codes, np.arange(3), errors, horizon=2)
    (array([0, 0, 1]), 2)
    """
    per_series = np.zeros(len(codes))
    per_series[error_series] = np.isfinite(errors).sum(axis=1)
    own = np.bincount(codes, per_series, minlength=int(codes.max(initial=-1)) + 1) / horizon >= _MIN_POINTS
    bucket = np.where(own, np.cumsum(own) - 1, own.sum())
    return bucket[codes], int(own.sum() + (~own).any()) or 1
