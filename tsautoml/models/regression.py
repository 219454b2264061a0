"""Global regression learners: one regressor across all series over lag, rolling, calendar,
holiday and exogenous features.

:class:`GlobalRegressionLearner` turns a :class:`~tsautoml.data.grouped.Panel` into a feature
matrix with :class:`~tsautoml.features.pipeline.FeaturePipeline` and leaves the regressor to
subclasses (:class:`~tsautoml.models.gbm.LightGBM`, :class:`~tsautoml.models.linear.Ridge`).

Strategies
----------
``"recursive"``
    One model of the next step. Prediction goes step by step over all series at once:
    the features of step ``k`` come from :meth:`FeaturePipeline.update` on the history
    extended by the forecasts of steps ``< k``.
``"direct"``
    One model per step ``k = 1..horizon``. The model of step ``k`` predicts ``y[t + k - 1]``
    from the target features of row ``t`` (built from ``y[..t - 1]``) and the calendar,
    holiday and exogenous features of the *target* time ``t + k - 1``::

        series      y0  y1  y2  y3  y4  y5
        row t = 3               ^ target features of t: lags of y0..y2
        step k = 1              y3    <- time/exogenous features of t = 3
        step k = 2                  y4    <- time/exogenous features of t = 4
        step k = 3                      y5    <- time/exogenous features of t = 5

    Each step model is trained on at most ``max(20_000, 1_000_000 // horizon)`` rows,
    a seeded uniform sample when there are more.

Target transforms
-----------------
``"none"``; ``"scale"``: each series is divided by the mean absolute value of its training
values (1 where that is 0); ``"diff"``: the model sees first differences within each series
and forecasts are summed back onto the last observed value. Both are computed from the
training data only, applied before the features and inverted after prediction.

Rows whose target is missing are not trained on; ``max_history`` keeps only the last points
of each series. ``fit`` raises :class:`~tsautoml.exceptions.TrialTimeout` once past its
deadline: checked before and after building the features, between step models, and by the
regressor itself (LightGBM after every boosting round).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from typing import Any, ClassVar, Literal, get_args

import numpy as np

from tsautoml.data.frequency import Frequency
from tsautoml.data.grouped import GroupedArray, Panel, concat_ranges
from tsautoml.data.validation import series_labels, shorten
from tsautoml.exceptions import ConfigError, DataValidationError, NotFittedError
from tsautoml.features.lags import (
    EWMMean,
    Expanding,
    Lag,
    Rolling,
    SeasonalRollingMean,
    TargetFeature,
    auto_target_features,
)
from tsautoml.features.pipeline import FeaturePipeline
from tsautoml.models.base import BaseLearner, Capabilities, Forecast, Future, check_deadline
from tsautoml.models.spec import Choice, Domain, ForecastContext

__all__ = [
    "DIRECT_MIN_ROWS",
    "DIRECT_ROWS_BUDGET",
    "LAG_PRESETS",
    "STRATEGIES",
    "TARGET_TRANSFORMS",
    "GlobalRegressionLearner",
    "feature_domain",
    "feature_start",
    "preset_target_features",
]

Strategy = Literal["recursive", "direct"]
TargetTransform = Literal["none", "scale", "diff"]
LagPreset = Literal["auto", "short", "seasonal", "long"]
STRATEGIES: tuple[str, ...] = get_args(Strategy)
TARGET_TRANSFORMS: tuple[str, ...] = get_args(TargetTransform)
LAG_PRESETS: tuple[str, ...] = get_args(LagPreset)

DIRECT_ROWS_BUDGET = 1_000_000  # training rows over all step models of the direct strategy
DIRECT_MIN_ROWS = 20_000  # ... but at least this many per step model


def feature_domain(ctx: ForecastContext) -> dict[str, Domain]:
    """The feature configuration the search tunes for every feature-matrix learner."""
    lags = ("auto", "short", "seasonal", "long") if ctx.season_length > 1 else ("auto", "short", "long")
    strategies = ("recursive", "direct") if ctx.horizon <= 24 else ("recursive",)
    return {
        "strategy": Choice(strategies),
        "target_transform": Choice(("none", "scale", "diff")),
        "lags": Choice(lags),
        "calendar": Choice((True, False)) if ctx.has_dates else Choice((False,)),  # no dates, no calendar
    }


def feature_start(ctx: ForecastContext) -> dict[str, Any]:
    """The feature configuration of the first trial."""
    return {"strategy": "recursive", "target_transform": "scale", "lags": "auto", "calendar": ctx.has_dates}


def preset_target_features(preset: str, season_length: int, horizon: int) -> list[TargetFeature]:
    """Target features of a lag preset (``"short"``, ``"seasonal"`` or ``"long"``).

    With season length ``m`` (1: none) and ``s = max(m, 3)``:

    - ``"short"``: lags ``1..min(s, 7)``; rolling mean and std over 3 and ``min(s, 7)``.
    - ``"seasonal"``: lags ``1..min(m, 14)`` and ``m, 2m, 3m``; rolling mean and std over
      ``m``; the mean of the same position in the last four seasons (``lag = m``) and of the
      previous step's position (``lag = 1``). Without seasonality it is ``"short"``.
    - ``"long"``: lags ``1..min(max(2m, 14), 28)`` and ``m, 2m, 3m, 4m``; rolling mean, std,
      min and max over ``s`` and ``max(4s, horizon)``; seasonal means as in ``"seasonal"``;
      expanding mean and exponentially weighted means (alpha 0.1 and 0.5).

    Examples
    --------
    >>> [f.name for f in preset_target_features("short", season_length=7, horizon=7)][6:]
    ['lag7', 'rolling_mean_lag1_window3', 'rolling_std_lag1_window3', 'rolling_mean_lag1_window7', 'rolling_std_lag1_window7']
    """
    if preset not in ("short", "seasonal", "long"):
        raise ConfigError(f"lags={preset!r} is not a preset; use one of {list(LAG_PRESETS)}.")
    m, s = season_length, max(season_length, 3)
    if preset == "short" or (preset == "seasonal" and m == 1):
        short = min(s, 7)
        return [Lag(k) for k in range(1, short + 1)] + _rolling(("mean", "std"), sorted({3, short}))
    seasonal_means: list[TargetFeature] = []
    if m > 1:
        seasonal_means = [SeasonalRollingMean(m, 4, lag=lag, min_samples=1) for lag in (m, 1)]
    if preset == "seasonal":
        lags = set(range(1, min(m, 14) + 1)) | {m, 2 * m, 3 * m}
        return [Lag(k) for k in sorted(lags)] + _rolling(("mean", "std"), [m]) + seasonal_means
    lags = set(range(1, min(max(2 * m, 14), 28) + 1)) | ({m, 2 * m, 3 * m, 4 * m} if m > 1 else set())
    windows = sorted({s, max(4 * s, horizon)})
    extra: list[TargetFeature] = [Expanding("mean"), EWMMean(0.1), EWMMean(0.5)]
    rolling = _rolling(("mean", "std", "min", "max"), windows)
    return [Lag(k) for k in sorted(lags)] + rolling + seasonal_means + extra


def _rolling(stats: tuple[str, ...], windows: list[int]) -> list[TargetFeature]:
    return [Rolling(stat, w) for w in windows for stat in stats]  # type: ignore[arg-type]


@dataclass(frozen=True, eq=False, slots=True)
class _TargetTransform:
    """A fitted per-series target transform: ``scales`` (``"scale"``), ``last`` value (``"diff"``)."""

    kind: str
    scales: np.ndarray
    last: np.ndarray

    @classmethod
    def fit(cls, kind: str, target: GroupedArray, last: np.ndarray) -> _TargetTransform:
        scales = np.ones(target.n_series)
        if kind == "scale":
            codes = np.repeat(np.arange(target.n_series), target.lengths)
            observed = ~np.isnan(target.values)
            sums = np.bincount(codes[observed], np.abs(target.values[observed]), target.n_series)
            counts = np.bincount(codes[observed], minlength=target.n_series)
            mean_abs = sums / np.maximum(counts, 1)
            scales = np.where(mean_abs > 0, mean_abs, 1.0)
        return cls(kind, scales, last)

    def apply(self, target: GroupedArray) -> GroupedArray:
        """The training target in model space."""
        values = target.values
        if self.kind == "scale":
            return GroupedArray(values / np.repeat(self.scales, target.lengths), target.indptr)
        if self.kind == "diff":
            out = np.full_like(values, np.nan)
            out[1:] = values[1:] - values[:-1]
            out[target.indptr[:-1][target.lengths > 0]] = np.nan  # no difference across series
            return GroupedArray(out, target.indptr)
        return target

    def invert(self, z: np.ndarray) -> np.ndarray:
        """Forecasts ``(n_series, horizon)`` back from model space."""
        if self.kind == "scale":
            return z * self.scales[:, None]
        if self.kind == "diff":
            return self.last[:, None] + np.cumsum(z, axis=1)
        return z


class GlobalRegressionLearner(BaseLearner):
    """One regressor across all series, over target, calendar, holiday and exogenous features.

    Subclasses implement ``_fit_regressor(X, y, deadline)`` returning a model with a
    ``predict(X)`` method; they may extend ``_check_params`` and ``_check_panel``. See the
    module docstring for the strategies and transforms.

    Parameters
    ----------
    strategy
        ``"recursive"`` (one next-step model, forecasts fed back) or ``"direct"`` (one
        model per horizon step).
    target_transform
        ``"none"``, ``"scale"`` (divide each series by its mean absolute value) or ``"diff"``
        (model first differences).
    lags
        Target features: ``"auto"`` (:func:`~tsautoml.features.lags.auto_target_features`) or
        a preset of :func:`preset_target_features`. Features needing more than half of the
        shortest series (after holding out ``horizon``) are dropped.
    calendar
        Add date parts and Fourier terms.
    fourier_order
        Sine/cosine pairs per natural period (0: none); used with ``calendar``.
    horizon
        Steps to forecast; the direct strategy fits this many models.
    season_length
        Main seasonal period in steps; ``None`` takes the panel's.
    holidays
        Country code of holiday features for every series, e.g. ``"US"``.
    holiday_column
        Exogenous column holding each series' country code.
    seed
        Seed of the regressor and of the row sampling.
    n_jobs
        Threads of the regressor (-1: all cores).
    max_history
        Train on at most the last ``max_history`` points of each series (``None``: all).

    Examples
    --------
    A minimal subclass: ordinary least squares with missing features set to 0.

    >>> from sklearn.linear_model import LinearRegression
    >>> from tsautoml.testing import make_panel
    >>> class OLS(GlobalRegressionLearner):
    ...     def _fit_regressor(self, X, y, deadline):
    ...         return LinearRegression().fit(np.nan_to_num(X), y)
    ...     def _predict_regressor(self, model, X):
    ...         return model.predict(np.nan_to_num(X))
    >>> panel = Panel.from_frame(make_panel(3, seed=0))
    >>> model = OLS(lags="short", calendar=False, horizon=7).fit(panel)
    >>> model.predict(7).mean.shape
    (3, 7)
    """

    capabilities: ClassVar[Capabilities] = Capabilities(exogenous=True, intervals=False, scope="global")

    def __init__(
        self,
        *,
        strategy: Strategy = "recursive",
        target_transform: TargetTransform = "scale",
        lags: LagPreset = "auto",
        calendar: bool = True,
        fourier_order: int = 2,
        horizon: int = 1,
        season_length: int | None = None,
        holidays: str | None = None,
        holiday_column: str | None = None,
        seed: int = 0,
        n_jobs: int = 1,
        max_history: int | None = None,
    ) -> None:
        self.strategy = strategy
        self.target_transform = target_transform
        self.lags = lags
        self.calendar = calendar
        self.fourier_order = fourier_order
        self.horizon = horizon
        self.season_length = season_length
        self.holidays = holidays
        self.holiday_column = holiday_column
        self.seed = seed
        self.n_jobs = n_jobs
        self.max_history = max_history

    # ------------------------------------------------------------------ hooks
    def _fit_regressor(self, X: np.ndarray, y: np.ndarray, deadline: float | None) -> Any:
        """A regressor fitted on ``X`` (float32, may hold NaN) and ``y`` (no NaN)."""
        raise NotImplementedError

    def _predict_regressor(self, model: Any, X: np.ndarray) -> np.ndarray:
        """Predictions of ``model`` for the rows of ``X``, as float64."""
        return np.asarray(model.predict(X), dtype=np.float64)

    def _regressor_importance(self, model: Any) -> np.ndarray:
        """Each feature's importance in ``model`` (any non-negative scale)."""
        raise NotImplementedError

    def _regressor_contributions(self, model: Any, X: np.ndarray) -> np.ndarray:
        """``(rows, features + 1)``: each feature's additive part of the predictions for ``X``, then the base value."""
        raise NotImplementedError

    def _log_link(self) -> bool:
        """Whether the contributions add up to the log of the prediction (count objectives)."""
        return False

    def _check_params(self) -> None:
        """Raise :class:`ConfigError` for invalid or conflicting parameters."""
        for name, value, options in (
            ("strategy", self.strategy, STRATEGIES),
            ("target_transform", self.target_transform, TARGET_TRANSFORMS),
            ("lags", self.lags, LAG_PRESETS),
        ):
            if value not in options:
                raise ConfigError(f"{name}={value!r} is not one of {list(options)}.")
        _check_integer("horizon", self.horizon, 1)
        _check_integer("fourier_order", self.fourier_order, 0)
        for name, size in (("season_length", self.season_length), ("max_history", self.max_history)):
            if size is not None:
                _check_integer(name, size, 1)
        if isinstance(self.n_jobs, bool) or not isinstance(self.n_jobs, (int, np.integer)) or not (
            self.n_jobs >= 1 or self.n_jobs == -1
        ):
            raise ConfigError(f"n_jobs must be a positive integer or -1 (all cores), got {self.n_jobs!r}.")

    def _check_panel(self, panel: Panel) -> None:
        """Raise if ``panel`` cannot be modelled with these parameters (hook for subclasses)."""

    # -------------------------------------------------------------------- fit
    def _fit(self, panel: Panel, deadline: float | None) -> None:
        check_deadline(deadline)
        self._check_params()
        self._check_panel(panel)
        model_panel = self._model_panel(panel)
        pipeline = self._make_pipeline(model_panel)
        X = pipeline.fit_transform(model_panel)
        check_deadline(deadline)
        y = model_panel.target.values
        n_target = len(pipeline.target_features_)
        if self.strategy == "recursive":
            models = [self._fit_step(X, y, np.flatnonzero(~np.isnan(y)), None, n_target, deadline)]
        else:
            models = self._fit_direct(X, y, model_panel.indptr, n_target, deadline)
        self.pipeline_ = pipeline
        self.models_ = models
        self.feature_names_ = list(pipeline.feature_names_)
        self.exogenous_ = list(pipeline.exogenous_)  # the columns used, all that predict needs
        self._keep_end(model_panel)

    def carried(self, panel: Panel, previous: np.ndarray, deadline: float | None = None) -> GlobalRegressionLearner:
        """A copy that forecasts from the end of ``panel`` with the fitted models, which are not refitted.

        Any series may be new (``previous`` is not read): a global model reads only each series'
        recent values, calendar and exogenous future.
        """
        if not hasattr(self, "models_"):
            raise NotFittedError(f"This {type(self).__name__} is not fitted yet: call fit(panel) first.")
        out = copy.copy(self)  # the fitted models are shared, read only
        model_panel = out._model_panel(panel)
        out.pipeline_ = self.pipeline_.for_series(model_panel)
        out._keep_end(model_panel)
        out.n_series_ = panel.n_series
        return out

    def _model_panel(self, panel: Panel) -> Panel:
        """``panel`` in model space (its last ``max_history`` points, target transformed); sets ``transform_``."""
        last = _last_observed(panel.target)
        panel = _truncate(panel, self.max_history)
        self.transform_ = _TargetTransform.fit(self.target_transform, panel.target, last)
        return replace(panel, target=self.transform_.apply(panel.target), freq=self._frequency(panel.freq))

    def _keep_end(self, model_panel: Panel) -> None:
        """Keep what forecasting from the end of ``model_panel`` needs: ids, last times, the features' history."""
        self.freq_ = model_panel.freq
        self.ids_ = model_panel.ids
        self.last_times_ = model_panel.times[model_panel.indptr[1:] - 1]
        self.history_ = _history(model_panel.target.astype(np.float64), self.pipeline_.target_features_)

    def _frequency(self, freq: Frequency) -> Frequency:
        """The panel's frequency with this learner's season length (features and Fourier terms use it)."""
        if self.season_length is None or self.season_length == freq.season_length:
            return freq
        return Frequency.from_alias(freq.alias, freq.step, int(self.season_length))

    def _make_pipeline(self, panel: Panel) -> FeaturePipeline:
        m = panel.freq.season_length
        min_length = int(panel.target.lengths.min())
        if self.lags == "auto":
            specs = auto_target_features(panel.freq, self.horizon, min_length)
        else:
            budget = max(1, (min_length - self.horizon) // 2)
            specs = preset_target_features(self.lags, m, self.horizon)
            specs = [s for s in specs if s.history is None or s.history <= budget]
        return FeaturePipeline(
            specs,
            horizon=self.horizon,
            calendar=self.calendar,
            fourier_order=self.fourier_order,
            holidays=self.holidays,
            holiday_column=self.holiday_column,
            dtype="float32",
        )

    def _fit_direct(
        self, X: np.ndarray, y: np.ndarray, indptr: np.ndarray, n_target: int, deadline: float | None
    ) -> list[Any]:
        lengths = np.diff(indptr)
        position = np.arange(len(y)) - np.repeat(indptr[:-1], lengths)
        remaining = np.repeat(lengths, lengths) - position  # rows from t to the series end
        cap = max(DIRECT_MIN_ROWS, DIRECT_ROWS_BUDGET // self.horizon)
        rng = np.random.default_rng(self.seed)
        models = []
        for k in range(1, self.horizon + 1):
            check_deadline(deadline)
            origin = np.flatnonzero(remaining >= k)
            target = origin + (k - 1)
            keep = ~np.isnan(y[target])
            origin, target = origin[keep], target[keep]
            if origin.size > cap:
                chosen = np.sort(rng.choice(origin.size, size=cap, replace=False))
                origin, target = origin[chosen], target[chosen]
            models.append(self._fit_step(X, y, origin, target, n_target, deadline, step=k))
        return models

    def _fit_step(
        self,
        X: np.ndarray,
        y: np.ndarray,
        origin: np.ndarray,
        target: np.ndarray | None,
        n_target: int,
        deadline: float | None,
        step: int = 1,
    ) -> Any:
        """Fit one model on target features of rows ``origin`` and the rest of rows ``target``."""
        target = origin if target is None else target
        if origin.size == 0:
            raise DataValidationError(
                f"{type(self).__name__} has no training rows for step {step}: no series has an "
                f"observed target {step} step(s) after its start (after target_transform="
                f"{self.target_transform!r}). Use longer series, a shorter horizon or strategy='recursive'."
            )
        if origin.size == len(y) and target is origin:
            Xs = X  # every row has a target: no copy
        else:
            Xs = np.empty((origin.size, X.shape[1]), dtype=X.dtype, order="F")
            for j in range(X.shape[1]):
                Xs[:, j] = X[origin if j < n_target else target, j]
        return self._fit_regressor(Xs, y[target], deadline)

    # ---------------------------------------------------------------- predict
    def _predict(self, horizon: int, future: Future | None, level: list[float]) -> Forecast:
        if self.strategy == "direct" and horizon > len(self.models_):
            raise DataValidationError(
                f"{type(self).__name__}(strategy='direct') was fitted for horizon={len(self.models_)} "
                f"and cannot forecast {horizon} steps. Refit with horizon>={horizon} or use "
                "strategy='recursive'."
            )
        z, _ = self._model_forecast(horizon, future)
        return Forecast(self.transform_.invert(z))

    def _model_forecast(self, horizon: int, future: Future | None) -> tuple[np.ndarray, np.ndarray]:
        """The forecast in model space ``(n_series, horizon)`` and the feature rows that gave it ``(n, horizon, k)``."""
        times, exog = self._future_inputs(horizon, future)
        rows = np.empty((*times.shape, len(self.feature_names_)), dtype=np.float32)
        if self.strategy == "recursive":
            return self._predict_recursive(times, exog, rows), rows
        return self._predict_direct(times, exog, rows), rows

    # ------------------------------------------------------------ explain
    def importance(self) -> np.ndarray:
        """Each feature's share of the model's importance (summing to 1; gain for trees, scaled weights for linear)."""
        total = np.sum([self._regressor_importance(m) for m in self.models_], axis=0).astype(np.float64)
        return total / total.sum() if total.sum() > 0 else total

    def contributions(self, horizon: int, future: Future | None = None) -> tuple[np.ndarray, str]:
        """Each feature's additive part of every forecast ``(n_series, horizon, features + 1)``, base value last.

        Under ``target_transform="diff"`` the parts add up to the forecast's change from the step
        before (``"change"``); under a count objective's log link to its logarithm (``"log level"``);
        otherwise to the forecast itself (``"level"``, per-series scaling undone).
        """
        if not hasattr(self, "models_"):
            raise NotFittedError(f"This {type(self).__name__} is not fitted yet: call fit(panel) first.")
        _, rows = self._model_forecast(horizon, future)
        n, h, k = rows.shape
        parts = np.empty((n, h, k + 1))
        for step in range(h):
            model = self.models_[0 if self.strategy == "recursive" else step]
            parts[:, step] = self._regressor_contributions(model, rows[:, step])
        if self._log_link():  # log(z * scale) = log z + log scale: the scale joins the base value
            if self.transform_.kind == "scale":
                parts[..., -1] += np.log(self.transform_.scales)[:, None]
            return parts, "log level"
        if self.transform_.kind == "scale":
            parts *= self.transform_.scales[:, None, None]
        return parts, "change" if self.transform_.kind == "diff" else "level"

    def _predict_recursive(self, times: np.ndarray, exog: dict[str, np.ndarray], rows: np.ndarray) -> np.ndarray:
        n, horizon = times.shape
        needs = [f.history for f in self.pipeline_.target_features_]
        bounded = None if None in needs else max((h for h in needs if h is not None), default=1)
        history = self.history_
        out = np.empty((n, horizon))
        for k in range(horizon):
            row = rows[:, k] = self.pipeline_.update(history, times[:, k], {c: v[:, k] for c, v in exog.items()})
            out[:, k] = self._predict_regressor(self.models_[0], row)
            history = history.append(out[:, k])
            if bounded is not None:
                history = history.tail(bounded)  # keeps each step's cost flat
        return out

    def _predict_direct(self, times: np.ndarray, exog: dict[str, np.ndarray], rows: np.ndarray) -> np.ndarray:
        n, horizon = times.shape
        n_target = len(self.pipeline_.target_features_)
        first = self.pipeline_.update(self.history_, times[:, 0], {c: v[:, 0] for c, v in exog.items()})
        # Time and exogenous features do not depend on the history: an empty one gives them.
        empty = GroupedArray(np.empty(0), np.zeros(n + 1, dtype=np.int64))
        out = np.empty((n, horizon))
        for k in range(horizon):
            row = first.copy()
            if k > 0:
                step = self.pipeline_.update(empty, times[:, k], {c: v[:, k] for c, v in exog.items()})
                row[:, n_target:] = step[:, n_target:]
            rows[:, k] = row
            out[:, k] = self._predict_regressor(self.models_[k], row)
        return out

    def _future_inputs(
        self, horizon: int, future: Future | None
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Future times and exogenous values, each ``(n_series, horizon)``, checked."""
        n = self.n_series_
        if future is None:
            times = self.freq_.future_times(self.last_times_, horizon).reshape(n, horizon)
        else:
            times = _check_future_array("future.times", np.asarray(future.times), n, horizon)
        exog = {}
        for name in self.exogenous_:
            if future is None:  # BaseLearner.predict checks this first
                raise DataValidationError(f"Pass the future values of exogenous column {name!r}.")
            values = _check_future_array(f"future.exog[{name!r}]", np.asarray(future.exog[name]), n, horizon)
            values = values.astype(np.float64)
            missing = np.isnan(values).any(axis=1)
            if missing.any():
                raise DataValidationError(
                    f"Exogenous column {name!r} has NaN future values in {int(missing.sum())} series: "
                    f"{shorten(series_labels(self.ids_, np.flatnonzero(missing)))}. "
                    f"{type(self).__name__} needs every future value of a known-future regressor: "
                    "fill them in or drop the column."
                )
            exog[name] = values
        return times, exog


def _check_integer(name: str, value: object, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ConfigError(f"{name} must be an integer >= {low}, got {value!r}.")


def _check_future_array(name: str, values: np.ndarray, n: int, horizon: int) -> np.ndarray:
    if values.ndim != 2 or values.shape[0] != n or values.shape[1] < horizon:
        raise DataValidationError(
            f"{name} has shape {values.shape}; it needs shape (n_series, horizon) = ({n}, {horizon}). "
            "Give one row per fitted series, in the fitted order, and a value for every step."
        )
    return values[:, :horizon]


def _last_observed(target: GroupedArray) -> np.ndarray:
    """The last non-NaN value of every series (NaN for a series without one)."""
    values = target.values
    running = np.maximum.accumulate(np.where(np.isnan(values), -1, np.arange(len(values))))
    ends = np.maximum(target.indptr[1:] - 1, 0)
    last = running[ends] if len(values) else np.full(target.n_series, -1)
    found = (target.lengths > 0) & (last >= target.indptr[:-1])
    return np.where(found, values[np.maximum(last, 0)] if len(values) else np.nan, np.nan)


def _truncate(panel: Panel, max_history: int | None) -> Panel:
    """``panel`` with at most the last ``max_history`` points of each series."""
    lengths = panel.target.lengths
    if max_history is None or (lengths <= max_history).all():
        return panel
    keep = np.minimum(lengths, max_history)
    rows = concat_ranges(panel.indptr[1:] - keep, keep)
    return panel.take(np.arange(panel.n_series), rows, keep)


def _history(target: GroupedArray, specs: list[TargetFeature]) -> GroupedArray:
    """The part of the (model-space) target the features of the next step read."""
    needs = [f.history for f in specs]
    if None in needs:
        return target
    return target.tail(max((h for h in needs if h is not None), default=1))

