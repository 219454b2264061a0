"""Target-derived feature specs: lags, rolling, seasonal, expanding, exponentially weighted, differences.

A spec knows its name (built from its parameters), how many recent observations it needs
to compute the next row (``history``; ``None`` = the whole series) and which kernel
computes it. Specs hold parameters only; the data goes through :meth:`TargetFeature.compute`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, fields
from typing import ClassVar, Literal, get_args

import numpy as np

from tsautoml.data.frequency import Frequency
from tsautoml.exceptions import ConfigError
from tsautoml.features import _kernels

__all__ = [
    "ROLLING_STATS",
    "Diff",
    "EWMMean",
    "Expanding",
    "Lag",
    "Rolling",
    "RollingQuantile",
    "SeasonalRollingMean",
    "TargetFeature",
    "auto_target_features",
]

RollingStat = Literal["mean", "std", "min", "max", "median"]
ROLLING_STATS: tuple[str, ...] = get_args(RollingStat)
ExpandingStat = Literal["mean", "std"]


class TargetFeature(ABC):
    """A feature computed from past values of the target of the same series.

    ``family`` groups features for explanations: ``"lags"`` (past values and differences) or
    ``"rolling"`` (window, seasonal, expanding and weighted statistics).
    """

    family: ClassVar[str] = "rolling"
    lag: int

    def __post_init__(self) -> None:
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if f.name in {"lag", "window", "season_length", "periods"} and (
                not isinstance(value, (int, np.integer)) or value < 1
            ):
                raise ConfigError(f"{type(self).__name__}.{f.name} must be an integer >= 1, got {value!r}.")
            if f.name == "min_samples" and value is not None and value < 1:
                raise ConfigError(f"{type(self).__name__}.min_samples must be >= 1, got {value!r}.")

    @property
    @abstractmethod
    def name(self) -> str:
        """Column name, built from the parameters."""

    @property
    @abstractmethod
    def history(self) -> int | None:
        """Most recent observations needed for the next row (None: the whole series)."""

    @abstractmethod
    def compute(self, values: np.ndarray, indptr: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Fill ``out`` (shaped like ``values``) with the feature and return it."""


def _min_suffix(min_samples: int | None, default: int) -> str:
    return "" if min_samples is None or min_samples == default else f"_min{min_samples}"


@dataclass(frozen=True, slots=True)
class Lag(TargetFeature):
    """``y[t - lag]``.

    Examples
    --------
    >>> Lag(7).name, Lag(7).history
    ('lag7', 7)
    """

    family: ClassVar[str] = "lags"

    lag: int

    @property
    def name(self) -> str:
        return f"lag{self.lag}"

    @property
    def history(self) -> int:
        return self.lag

    def compute(self, values: np.ndarray, indptr: np.ndarray, out: np.ndarray) -> np.ndarray:
        return _kernels.lag(values, indptr, self.lag, out)


@dataclass(frozen=True, slots=True)
class Rolling(TargetFeature):
    """A statistic over the ``window`` values ending at ``y[t - lag]``.

    ``min_samples`` observed values are needed (default: the whole window).

    Examples
    --------
    >>> Rolling("mean", window=28).name
    'rolling_mean_lag1_window28'
    >>> Rolling("std", window=7, lag=2, min_samples=3).name
    'rolling_std_lag2_window7_min3'
    """

    stat: RollingStat
    window: int
    lag: int = 1
    min_samples: int | None = None

    def __post_init__(self) -> None:
        if self.stat not in ROLLING_STATS:
            raise ConfigError(f"Rolling stat {self.stat!r} is not one of {list(ROLLING_STATS)}.")
        TargetFeature.__post_init__(self)

    @property
    def name(self) -> str:
        suffix = _min_suffix(self.min_samples, self.window)
        return f"rolling_{self.stat}_lag{self.lag}_window{self.window}{suffix}"

    @property
    def history(self) -> int:
        return self.lag + self.window - 1

    def compute(self, values: np.ndarray, indptr: np.ndarray, out: np.ndarray) -> np.ndarray:
        min_samples = self.window if self.min_samples is None else self.min_samples
        if self.stat == "median":
            return _kernels.rolling_quantile(values, indptr, self.lag, self.window, min_samples, 0.5, out)
        kernel = getattr(_kernels, f"rolling_{self.stat}")
        return kernel(values, indptr, self.lag, self.window, min_samples, out)


@dataclass(frozen=True, slots=True)
class RollingQuantile(TargetFeature):
    """Quantile ``q`` (linear interpolation) over the window ending at ``y[t - lag]``.

    Examples
    --------
    >>> RollingQuantile(0.9, window=7).name
    'rolling_quantile_lag1_window7_q0.9'
    """

    q: float
    window: int
    lag: int = 1
    min_samples: int | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.q <= 1.0:
            raise ConfigError(f"RollingQuantile.q must be in [0, 1], got {self.q!r}.")
        TargetFeature.__post_init__(self)

    @property
    def name(self) -> str:
        suffix = _min_suffix(self.min_samples, self.window)
        return f"rolling_quantile_lag{self.lag}_window{self.window}_q{self.q:g}{suffix}"

    @property
    def history(self) -> int:
        return self.lag + self.window - 1

    def compute(self, values: np.ndarray, indptr: np.ndarray, out: np.ndarray) -> np.ndarray:
        min_samples = self.window if self.min_samples is None else self.min_samples
        return _kernels.rolling_quantile(values, indptr, self.lag, self.window, min_samples, self.q, out)


@dataclass(frozen=True, slots=True)
class SeasonalRollingMean(TargetFeature):
    """Mean of ``y[t - lag - i * season_length]`` for ``i < window``: same position in the season.

    Examples
    --------
    >>> SeasonalRollingMean(season_length=7, window=4).name
    'seasonal_rolling_mean_lag1_season7_window4'
    """

    season_length: int
    window: int
    lag: int = 1
    min_samples: int | None = None

    @property
    def name(self) -> str:
        suffix = _min_suffix(self.min_samples, self.window)
        return f"seasonal_rolling_mean_lag{self.lag}_season{self.season_length}_window{self.window}{suffix}"

    @property
    def history(self) -> int:
        return self.lag + self.season_length * (self.window - 1)

    def compute(self, values: np.ndarray, indptr: np.ndarray, out: np.ndarray) -> np.ndarray:
        min_samples = self.window if self.min_samples is None else self.min_samples
        return _kernels.seasonal_rolling_mean(
            values, indptr, self.lag, self.season_length, self.window, min_samples, out
        )


@dataclass(frozen=True, slots=True)
class Expanding(TargetFeature):
    """Mean or standard deviation of all values up to ``y[t - lag]``.

    Examples
    --------
    >>> Expanding("mean").name, Expanding("mean").history is None
    ('expanding_mean_lag1', True)
    """

    stat: ExpandingStat
    lag: int = 1
    min_samples: int | None = None

    def __post_init__(self) -> None:
        if self.stat not in get_args(ExpandingStat):
            raise ConfigError(f"Expanding stat {self.stat!r} is not one of {list(get_args(ExpandingStat))}.")
        TargetFeature.__post_init__(self)

    @property
    def name(self) -> str:
        return f"expanding_{self.stat}_lag{self.lag}{_min_suffix(self.min_samples, 1)}"

    @property
    def history(self) -> None:
        return None

    def compute(self, values: np.ndarray, indptr: np.ndarray, out: np.ndarray) -> np.ndarray:
        kernel = _kernels.expanding_mean if self.stat == "mean" else _kernels.expanding_std
        return kernel(values, indptr, self.lag, self.min_samples or 1, out)


@dataclass(frozen=True, slots=True)
class EWMMean(TargetFeature):
    """Exponentially weighted mean up to ``y[t - lag]``: ``s = alpha * y + (1 - alpha) * s``.

    Examples
    --------
    >>> EWMMean(alpha=0.3).name
    'ewm_mean_lag1_alpha0.3'
    """

    alpha: float
    lag: int = 1

    def __post_init__(self) -> None:
        if not 0.0 < self.alpha <= 1.0:
            raise ConfigError(f"EWMMean.alpha must be in (0, 1], got {self.alpha!r}.")
        TargetFeature.__post_init__(self)

    @property
    def name(self) -> str:
        return f"ewm_mean_lag{self.lag}_alpha{self.alpha:g}"

    @property
    def history(self) -> None:
        return None

    def compute(self, values: np.ndarray, indptr: np.ndarray, out: np.ndarray) -> np.ndarray:
        return _kernels.ewm_mean(values, indptr, self.lag, self.alpha, 1, out)


@dataclass(frozen=True, slots=True)
class Diff(TargetFeature):
    """``y[t - lag] - y[t - lag - periods]``.

    Examples
    --------
    >>> Diff(periods=7).name
    'diff_lag1_periods7'
    """

    family: ClassVar[str] = "lags"

    periods: int = 1
    lag: int = 1

    @property
    def name(self) -> str:
        return f"diff_lag{self.lag}_periods{self.periods}"

    @property
    def history(self) -> int:
        return self.lag + self.periods

    def compute(self, values: np.ndarray, indptr: np.ndarray, out: np.ndarray) -> np.ndarray:
        return _kernels.diff(values, indptr, self.lag, self.periods, out)


def auto_target_features(
    freq: Frequency, horizon: int, min_length: int | None = None
) -> list[TargetFeature]:
    """Lags and windows chosen from the season length and the horizon.

    With season length ``m``: lags ``1..min(m, 14)`` (``1..3`` without seasonality), the
    seasonal lags ``m, 2m, 3m, 4m`` and any other whole natural period (e.g. 168 for hourly);
    rolling mean/std/min/max over a short window (``m``, or 3) and a long one
    (``max(4 * short, horizon)``); a seasonal rolling mean over four seasons; an expanding
    mean; and first differences. With ``min_length``, features needing more than half of
    the shortest series (after holding out ``horizon``) are dropped, so that every series
    still yields training rows.

    Examples
    --------
    >>> [f.name for f in auto_target_features(Frequency.from_alias("D"), horizon=14)][:9]
    ['lag1', 'lag2', 'lag3', 'lag4', 'lag5', 'lag6', 'lag7', 'lag14', 'lag21']
    """
    if horizon < 1:
        raise ConfigError(f"horizon must be >= 1, got {horizon}.")
    m = freq.season_length
    lags = set(range(1, min(m, 14) + 1)) if m > 1 else {1, 2, 3}
    if m > 1:
        lags |= {m * k for k in (1, 2, 3, 4)}
    lags |= {int(p) for p in freq.seasonalities if float(p).is_integer() and p <= 400}
    short = m if m > 1 else 3
    specs: list[TargetFeature] = [Lag(k) for k in sorted(lags)]
    for window in sorted({short, max(4 * short, horizon)}):
        specs += [Rolling(stat, window) for stat in ("mean", "std", "min", "max")]
    if m > 1:
        specs.append(SeasonalRollingMean(season_length=m, window=4, min_samples=1))
    specs += [Expanding("mean"), Diff(periods=1)]
    if min_length is None:
        return specs
    budget = max(1, (min_length - horizon) // 2)
    return [s for s in specs if s.history is None or s.history <= budget]
