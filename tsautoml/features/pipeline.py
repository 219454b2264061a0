"""Feature pipeline: the training matrix for a panel, and the next row for recursive forecasting."""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from tsautoml.data.grouped import GroupedArray, Panel
from tsautoml.data.validation import series_labels, shorten
from tsautoml.exceptions import ConfigError, DataValidationError, NotFittedError
from tsautoml.features.calendar import CalendarFeatures
from tsautoml.features.holidays import HolidayFeatures
from tsautoml.features.lags import TargetFeature, auto_target_features

__all__ = ["FeaturePipeline"]

logger = logging.getLogger(__name__)


class FeaturePipeline:
    """Target-derived, calendar, holiday and exogenous features of a :class:`Panel`.

    Parameters
    ----------
    target_features
        Specs such as ``[Lag(1), Rolling("mean", 7)]``, or ``"auto"`` to choose them
        from the frequency, season length and horizon (see :func:`auto_target_features`).
    horizon
        Forecast horizon; used by the ``"auto"`` choice.
    calendar
        Add date parts and Fourier terms.
    fourier_order
        Sine/cosine pairs per natural period (0: none).
    holidays
        Country code for holiday features of every series, e.g. ``"US"``.
    holiday_column
        Exogenous column holding each series' country code (overrides ``holidays``).
    exogenous
        Exogenous columns to pass through; ``None`` takes every numeric one.
    dtype
        ``"float32"`` halves the memory of the matrix; ``"float64"`` is exact.

    Examples
    --------
    >>> from tsautoml.features.lags import Lag, Rolling
    >>> df = pd.DataFrame({"unique_id": ["a"] * 5, "ds": pd.date_range("2024-01-01", periods=5),
    ...                    "y": [1.0, 2.0, 3.0, 4.0, 5.0]})
    >>> panel = Panel.from_frame(df)
    >>> pipe = FeaturePipeline([Lag(1), Rolling("mean", 2)], calendar=False)
    >>> X = pipe.fit_transform(panel)
    >>> pipe.feature_names_
    ['lag1', 'rolling_mean_lag1_window2']
    >>> X[:, 1].tolist()
    [nan, nan, 1.5, 2.5, 3.5]
    >>> pipe.update(panel.target, panel.freq.future_times(panel.times[[-1]], 1)).tolist()
    [[5.0, 4.5]]
    """

    def __init__(
        self,
        target_features: Sequence[TargetFeature] | Literal["auto"] = "auto",
        *,
        horizon: int = 1,
        calendar: bool = True,
        fourier_order: int = 2,
        holidays: str | None = None,
        holiday_column: str | None = None,
        exogenous: Sequence[str] | None = None,
        dtype: Literal["float32", "float64"] = "float64",
    ) -> None:
        self.target_features = target_features
        self.horizon = horizon
        self.calendar = calendar
        self.fourier_order = fourier_order
        self.holidays = holidays
        self.holiday_column = holiday_column
        self.exogenous = exogenous
        self.dtype = dtype

    def fit(self, panel: Panel) -> FeaturePipeline:
        """Resolve the feature set for ``panel`` (auto choices, columns, countries)."""
        if self.dtype not in ("float32", "float64"):
            raise ConfigError(f"dtype={self.dtype!r} must be 'float32' or 'float64'.")
        if self.target_features == "auto":
            min_length = int(panel.target.lengths.min())
            self.target_features_ = auto_target_features(panel.freq, self.horizon, min_length)
        else:
            self.target_features_ = list(self.target_features)
        self.calendar_ = CalendarFeatures(panel.freq, self.fourier_order) if self.calendar else None
        self.holidays_, self.series_countries_ = self._fit_holidays(panel)
        self.exogenous_ = self._exogenous_columns(panel)
        pairs = [(f.name, f.family) for f in self.target_features_]
        pairs += [(n, "calendar") for n in (self.calendar_.names() if self.calendar_ else [])]
        pairs += [(n, "holiday") for n in (self.holidays_.names() if self.holidays_ else [])]
        pairs += [(n, "exogenous") for n in self.exogenous_]
        self.feature_names_ = [name for name, _ in pairs]
        self.feature_families_ = [family for _, family in pairs]  # lags, rolling, calendar, holiday, exogenous
        repeated = sorted({n for n in self.feature_names_ if self.feature_names_.count(n) > 1})
        if repeated:
            raise ConfigError(f"Features {repeated} are asked for twice (or clash with exogenous columns).")
        return self

    def for_series(self, panel: Panel) -> FeaturePipeline:
        """This fitted pipeline for the series of ``panel`` (their holiday countries, with ``holiday_column``)."""
        self._check_fitted()
        if self.holiday_column is None:
            return self
        out = copy.copy(self)
        out.holidays_, out.series_countries_ = self._fit_holidays(panel)
        return out

    def transform(self, panel: Panel) -> np.ndarray:
        """Feature matrix, one row per row of ``panel`` (Fortran order: one column per feature)."""
        self._check_fitted()
        X = np.empty((len(panel.target), len(self.feature_names_)), dtype=self.dtype, order="F")
        values = panel.target.values.astype(self.dtype, copy=False)  # float32 halves the reads
        for j, spec in enumerate(self.target_features_):
            spec.compute(values, panel.indptr, X[:, j])
        col = len(self.target_features_)
        col = self._put(X, col, self._time_features(panel.times, panel.indptr, self.series_countries_))
        for name in self.exogenous_:
            X[:, col] = panel.exog[name]
            col += 1
        return X

    def fit_transform(self, panel: Panel) -> np.ndarray:
        """:meth:`fit` then :meth:`transform`."""
        return self.fit(panel).transform(panel)

    def update(
        self, history: GroupedArray, times: np.ndarray, exog: dict[str, np.ndarray] | None = None
    ) -> np.ndarray:
        """Features of the step after ``history`` for every series, one row per series.

        Equals the last row of :meth:`transform` on the history extended by that step,
        whatever its target value; only the history each feature needs is read. Lags,
        differences, extremes and quantiles match bit for bit; running sums (rolling
        mean and std) match to rounding (relative 1e-12), since a full recompute carries
        the rounding of every add and remove since the series start.
        """
        self._check_fitted()
        n = history.n_series
        if len(times) != n:
            raise DataValidationError(f"update needs one time per series ({n}), got {len(times)}.")
        X = np.empty((n, len(self.feature_names_)), dtype=self.dtype)
        history = history.astype(self.dtype)  # the values transform reads
        needs = [f.history for f in self.target_features_]
        bounded = max((h for h in needs if h is not None), default=0)
        short = history.tail(bounded).append(np.full(n, np.nan))
        full = history.append(np.full(n, np.nan)) if None in needs else short
        for j, (spec, need) in enumerate(zip(self.target_features_, needs, strict=False)):
            layout = short if need is not None else full
            out = np.empty(len(layout), dtype=self.dtype)
            X[:, j] = spec.compute(layout.values, layout.indptr, out)[layout.indptr[1:] - 1]
        col = len(self.target_features_)
        col = self._put(X, col, self._time_features(times, np.arange(n + 1), self.series_countries_))
        missing = [c for c in self.exogenous_ if exog is None or c not in exog]
        if missing:
            raise DataValidationError(f"update needs the future values of exogenous columns {missing}.")
        for name in self.exogenous_:
            X[:, col] = exog[name]  # type: ignore[index]
            col += 1
        return X

    def _time_features(
        self, times: np.ndarray, indptr: np.ndarray, countries: np.ndarray | None
    ) -> list[np.ndarray]:
        blocks = []
        if self.calendar_ is not None:
            blocks.append(self.calendar_.transform(times, dtype=self.dtype))
        if self.holidays_ is not None:
            blocks.append(self.holidays_.transform(times, indptr, countries=countries, dtype=self.dtype))
        return blocks

    @staticmethod
    def _put(X: np.ndarray, col: int, blocks: list[np.ndarray]) -> int:
        for block in blocks:
            X[:, col : col + block.shape[1]] = block
            col += block.shape[1]
        return col

    def _fit_holidays(self, panel: Panel) -> tuple[HolidayFeatures | None, np.ndarray | None]:
        if self.holiday_column is None:
            if self.holidays is None:
                return None, None
            return HolidayFeatures(panel.freq, country=self.holidays), None
        if self.holiday_column not in panel.exog:
            raise ConfigError(
                f"holiday_column={self.holiday_column!r} is not a column of the data; "
                f"exogenous columns are {sorted(panel.exog)}."
            )
        column = panel.exog[self.holiday_column]
        countries = column[panel.indptr[:-1]]
        changes = pd.notna(column) & (column != np.repeat(countries, panel.target.lengths))
        if changes.any():
            series = np.searchsorted(panel.indptr, np.flatnonzero(changes), side="right") - 1
            raise DataValidationError(
                f"holiday_column {self.holiday_column!r} must be constant within a series; it changes "
                f"in series {shorten(series_labels(panel.ids, series))}."
            )
        return HolidayFeatures(panel.freq, country=self.holidays), countries

    def _exogenous_columns(self, panel: Panel) -> list[str]:
        numeric = [c for c, v in panel.exog.items() if np.issubdtype(v.dtype, np.number) or v.dtype == bool]
        if self.exogenous is None:
            skipped = sorted(set(panel.exog) - set(numeric) - {self.holiday_column})
            if skipped:
                logger.info("Exogenous columns %s are not numeric and are not used as features.", skipped)
            return [c for c in numeric if c != self.holiday_column]
        unknown = [c for c in self.exogenous if c not in panel.exog]
        not_numeric = [c for c in self.exogenous if c in panel.exog and c not in numeric]
        if unknown or not_numeric:
            raise ConfigError(
                f"exogenous columns {unknown} are missing and {not_numeric} are not numeric; "
                f"numeric exogenous columns are {numeric}."
            )
        return list(self.exogenous)

    def _check_fitted(self) -> None:
        if not hasattr(self, "feature_names_"):
            raise NotFittedError("This FeaturePipeline is not fitted yet: call fit(panel) first.")
