"""The forecasting facade: validate, run the one engine, fit the intervals, predict, report."""

from __future__ import annotations

import logging
import sys
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from tsautoml.backends.base import Backend
from tsautoml.config import Budget, CVConfig, ScaleOut
from tsautoml.data.columns import ColumnSpec
from tsautoml.data.grouped import Panel, concat_ranges, offsets
from tsautoml.data.series_notes import (
    INTERMITTENT_SERIES,
    INTERMITTENT_ZEROS,
    note_series,
    zero_shares,
)
from tsautoml.data.validation import series_labels, shorten, wall_times
from tsautoml.engine.backtest import NO_TIME
from tsautoml.engine.chunk import SearchSpec
from tsautoml.engine.default_budget import default_budget
from tsautoml.engine.fitted import FittedForecast, SearchReport
from tsautoml.engine.groups import GroupLayout
from tsautoml.engine.new_history import continued, series_positions
from tsautoml.engine.search import ForecastSearch, SearchResult
from tsautoml.engine.sizes import parse_memory
from tsautoml.ensemble.blend import Component, blend, model_wins
from tsautoml.ensemble.conformal import (
    ConformalIntervals,
    interval_buckets,
    interval_scale,
    naive_errors,
)
from tsautoml.evaluation import Evaluation, ForecastActuals, forecast_metric_names, score_forecasts
from tsautoml.exceptions import ConfigError, DataValidationError, NotFittedError, TsAutoMLWarning
from tsautoml.explain import Explanation, forecast_explanation
from tsautoml.models.base import Future, LocalLearner
from tsautoml.models.registry import FORECAST_LEARNERS, select_learners
from tsautoml.search.space import ForecastContext, LearnerSpace, forecast_spaces
from tsautoml.search.splitters import validation_splitter
from tsautoml.setting_types import is_real

__all__ = ["ForecastSettings", "Forecaster"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ForecastSettings:
    """Everything the forecasting facade needs besides the data (built by :class:`~tsautoml.AutoML`)."""

    horizon: int
    budget: Budget
    budget_from_data: bool = False  # no time_budget or max_trials given: size budget.time_s from the data
    metric: str = "mase"
    season_length: int | None = None
    freq: str | int | None = None
    columns: ColumnSpec = field(default_factory=ColumnSpec)
    cv: CVConfig = field(default_factory=CVConfig)
    allowed_models: list[str] | None = None
    blocked_models: list[str] | None = None
    group_by: list[str] | None = None
    holidays: str | None = None
    refit: bool = True
    seed: int = 0
    progress: bool = True
    scale: ScaleOut = field(default_factory=ScaleOut)


class Forecaster:
    """Search forecasting learners for a panel and forecast it; used through ``AutoML(task="forecasting")``.

    A panel without ``group_by`` is searched as one group: the same engine, selection,
    refit and intervals serve both cases. ``fit`` leaves one :class:`FittedForecast` in
    ``fitted_``; everything after reads it.
    """

    def __init__(self, settings: ForecastSettings, backend: Backend) -> None:
        self.settings = settings
        self.backend = backend

    # ------------------------------------------------------------------ fit
    def fit(self, df: pd.DataFrame) -> Forecaster:
        """Search, select per group and series, refit the chosen models on all data."""
        start = time.monotonic()
        s = self.settings
        panel = Panel.from_frame(df, s.columns, freq=s.freq, season_length=s.season_length)
        _warn_unused_columns(panel)
        windows = self._windows(panel)
        layout = GroupLayout.from_panel(panel, s.group_by)
        learners = select_learners(FORECAST_LEARNERS, s.allowed_models, s.blocked_models)
        context = {"season_length": panel.freq.season_length, "horizon": s.horizon, "holidays": s.holidays,
                   "seed": s.seed, "n_jobs": 1}
        spec = SearchSpec(horizon=s.horizon, n_windows=s.cv.n_windows, step=s.cv.step, metric=s.metric,
                          learners=learners, context=context, carry_forward=s.cv.carry_forward, refit=s.refit)
        spaces = self._spaces(panel, learners, layout)
        search = ForecastSearch(
            spec, spaces, layout, self.backend, budget=self._budget(panel, spaces, spec),
            max_memory=parse_memory(s.scale.max_memory), run_dir=None if s.scale.run_dir is None else str(s.scale.run_dir),
            resume=s.scale.resume, seed=s.seed, progress=s.progress,
        )
        result = search.run(panel, start=time.time() - (time.monotonic() - start))
        self.fitted_ = self._fitted(panel, layout, result, windows, time.monotonic() - start)
        return self

    def _budget(self, panel: Panel, spaces: list[LearnerSpace], spec: SearchSpec) -> Budget:
        """The settings' budget, or with ``budget_from_data`` one sized from the classic models' measured costs."""
        s = self.settings
        if not s.budget_from_data:
            return s.budget
        chosen = default_budget(panel, spaces, spec.learners, spec.context, s.cv.n_windows, self.backend.n_workers, s.seed,
                                spec.carry_forward)
        if chosen is None:
            logger.info("No time_budget or max_trials given, and the classic models could not be timed: "
                        "searching for %.0f s.", s.budget.time_s)
            return s.budget
        logger.info(chosen.note)
        if s.progress:
            print(chosen.note, file=sys.stderr)
        return replace(s.budget, time_s=chosen.seconds)

    def _windows(self, panel: Panel) -> np.ndarray:
        """Each series' validation windows; the ones with none are warned about (an error if that is all of them)."""
        s = self.settings
        splitter = validation_splitter(s.cv.n_windows, s.horizon, s.cv.step)
        windows = splitter.windows_available(np.diff(panel.indptr))
        excluded = np.flatnonzero(windows == 0)
        if excluded.size == panel.n_series:
            raise DataValidationError(
                f"Every series is shorter than the {splitter.required_length(1)} points one validation "
                f"window of horizon {s.horizon} needs. Use a shorter horizon or longer series."
            )
        if excluded.size:
            warnings.warn(
                f"{excluded.size} series are too short to validate "
                f"({shorten(series_labels(panel.ids, excluded))}); they get the "
                f"{'choice of their group' if s.group_by else 'panel-wide choice of models'}.",
                TsAutoMLWarning,
                stacklevel=4,
            )
        return windows

    def _spaces(self, panel: Panel, learners: Mapping[str, type], layout: GroupLayout) -> list[LearnerSpace]:
        """The spaces of the allowed learners whose specs apply to this data."""
        y = panel.target.values
        observed = y[np.isfinite(y)]
        ctx = ForecastContext(
            season_length=panel.freq.season_length,
            horizon=self.settings.horizon,
            has_dates=not panel.freq.is_integer,
            nonnegative=bool((observed >= 0).all()),
            intermittent=bool((zero_shares(panel) >= INTERMITTENT_ZEROS).mean() >= INTERMITTENT_SERIES),
            has_exogenous=bool(panel.exog),
        )
        spaces = [sp for sp in forecast_spaces(ctx) if sp.learner in learners]
        if not spaces:
            raise ConfigError(f"None of the allowed models {sorted(learners)} apply to this data.")
        local = [sp for sp in spaces if not FORECAST_LEARNERS[sp.learner].spec.across_series]
        if layout.sizes.max() == 1 and local and len(local) < len(spaces):
            logger.info("Every group is one series: the global models %s, which learn across series, are left out.",
                        sorted({sp.learner for sp in spaces} - {sp.learner for sp in local}))
            return local
        return spaces

    def _fitted(
        self, panel: Panel, layout: GroupLayout, result: SearchResult, windows: np.ndarray, fit_time: float
    ) -> FittedForecast:
        """The one fitted-forecast object: components, conformal intervals, the schema and the reports."""
        h = self.settings.horizon
        backtest = result.backtest
        scale = interval_scale(panel.target.values, panel.indptr, panel.freq.season_length)
        oof_errors = backtest.actual - backtest.combined
        groups, n_buckets = interval_buckets(layout.codes, backtest.rows, oof_errors, h)
        errors = oof_errors.ravel()
        rows = np.repeat(backtest.rows, oof_errors.shape[1])
        steps = np.tile(np.arange(h), errors.size // h if h else 0)
        if not np.isfinite(errors).any():  # nothing validated (e.g. every series constant): the naive model's errors
            logger.info("No out-of-fold errors were validated: intervals from the naive model's in-sample errors.")
            errors, rows, steps = naive_errors(panel.target.values, panel.indptr, h)
        conformal = ConformalIntervals.fit(errors, scale[rows], steps, groups[rows], n_buckets, h)
        failures = result.report.refit_failures
        if failures:
            warnings.warn(f"Refitting failed for {sorted(failures)}: {failures}", TsAutoMLWarning, stacklevel=4)
        grouped = bool(self.settings.group_by)
        notes = note_series(panel, windows, self.settings.cv.n_windows, served_by="its group" if grouped else "the panel")
        report = replace(result.report, unvalidated=np.flatnonzero(windows == 0), grouped=grouped, fit_time=fit_time,
                         series_notes=notes)
        return FittedForecast(
            components=result.components, conformal=conformal, scale=scale, interval_groups=groups, ids=panel.ids,
            columns=panel.columns, freq=panel.freq, last_times=panel.times[panel.indptr[1:] - 1],
            exogenous=sorted({c for comp in result.components for c in comp.learner.exogenous_}), horizon=h,
            report=report, history=_history(panel, result.components), backtest=backtest, tz=panel.tz,
        )

    def _state(self) -> FittedForecast:
        if not hasattr(self, "fitted_"):
            raise NotFittedError("This model is not fitted yet: call fit(df) first.")
        return self.fitted_

    # -------------------------------------------------------------- predict
    def predict(
        self,
        X_future: pd.DataFrame | None = None,
        level: float | Sequence[float] | None = None,
        quantiles: float | Sequence[float] | None = None,
        df: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """Forecast the horizon of every series: ``forecast`` plus ``forecast-lo/hi-<level>``.

        With ``df`` (new observations, long format), forecast the series of ``df`` from its end
        with the fitted models, no search and no refit (:mod:`~tsautoml.engine.new_history`).
        """
        fitted = self._state() if df is None else continued(self._state(), df)
        levels = _levels(level, quantiles)
        quantiles = None if quantiles is None else _numbers("quantiles", quantiles)
        future = self._future(fitted, X_future)
        mean, bounds = _forecast(fitted, future, levels)
        return _frame(fitted, future, mean, bounds, quantiles)

    def _future(self, fitted: FittedForecast, X_future: pd.DataFrame | None) -> Future:
        h, n = fitted.horizon, len(fitted.ids)
        times = fitted.freq.future_times(fitted.last_times, h).reshape(n, h)
        if X_future is not None and not isinstance(X_future, pd.DataFrame):
            raise DataValidationError(
                f"X_future must be a pandas DataFrame in long format (id columns, {fitted.columns.time_col!r}, "
                f"exogenous columns), got {type(X_future).__name__}."
            )
        if X_future is not None and X_future.empty and fitted.exogenous:
            raise DataValidationError(f"X_future has no rows; it needs {fitted.exogenous} for the next {h} steps of every series.")
        if not fitted.exogenous:
            return Future(times)
        if X_future is None:
            raise DataValidationError(
                f"The chosen models use the exogenous columns {fitted.exogenous}: pass their future "
                f"values as X_future (id columns, {fitted.columns.time_col!r}, {fitted.exogenous}) "
                f"for the next {h} steps of every series."
            )
        return Future(times, _future_exog(X_future, fitted, times))

    # ------------------------------------------------------------ after fit
    def evaluate(
        self,
        test_df: pd.DataFrame,
        metrics: Sequence[str] | None = None,
        level: float | Sequence[float] | None = None,
        quantiles: float | Sequence[float] | None = None,
        X_future: pd.DataFrame | None = None,
        df: pd.DataFrame | None = None,
    ) -> Evaluation:
        """Score the forecast against the actuals in ``test_df`` (some or all horizon steps of some or all series).

        MASE and MSIS are scaled by each series' training history. The exogenous future comes
        from ``X_future``, else from ``test_df`` itself. Interval metrics are reported per level
        (``coverage-80``); ``quantiles`` adds the pinball loss. With ``df``, the forecast scored
        is the one from the end of that new history (as ``predict(df=...)``).
        """
        fitted = self._state() if df is None else continued(self._state(), df)
        levels = _levels(level, quantiles)
        qs = [] if quantiles is None else _numbers("quantiles", quantiles)
        names = forecast_metric_names(metrics, levels, qs)
        series, steps, y = _test_positions(test_df, fitted)
        future = self._future(fitted, X_future if X_future is not None or not fitted.exogenous else test_df)
        mean, bounds = _forecast(fitted, future, levels)
        order = np.lexsort((steps, series))
        series, steps, y = series[order], steps[order], y[order]
        scored, counts = np.unique(series, return_counts=True)
        history = fitted.history.select(scored)
        data = ForecastActuals(
            ids=fitted.ids.iloc[scored], y=y, forecast=mean[series, steps], indptr=offsets(counts),
            y_train=history.target.values, train_indptr=history.indptr, season_length=fitted.freq.season_length,
            bounds={lv: (lo[series, steps], hi[series, steps]) for lv, (lo, hi) in bounds.items()},
            quantiles={q: _quantile_column(q, mean, bounds)[series, steps] for q in qs},
        )
        return score_forecasts(data, names)

    def cross_validation(self, level: float | Sequence[float] | None = None) -> pd.DataFrame:
        """The search's out-of-fold forecasts, in statsforecast's layout; nothing is refitted.

        Columns: the id columns, time, ``cutoff`` (the window's last training time), the target,
        one column per model (its best trial in the series' group), ``forecast`` (the chosen
        combination, with weights fitted on the other windows) and, with ``level``, its conformal
        ``forecast-lo/hi-<level>`` (calibrated on these same windows).
        """
        fitted = self._state()
        levels = _levels(level, None)
        bt = fitted.backtest
        h, n_windows = bt.horizon, bt.n_windows
        keep = (bt.times != NO_TIME).ravel()
        rows = np.repeat(bt.rows, bt.actual.shape[1])[keep]
        c = fitted.columns
        out = fitted.ids.iloc[rows].reset_index(drop=True)
        out[c.time_col] = _local_times(fitted, _as_times(fitted, bt.times.ravel()[keep]))
        out["cutoff"] = _local_times(fitted, _as_times(fitted, np.repeat(bt.cutoffs, h, axis=1).ravel()[keep]))
        out[c.target_col] = bt.actual.ravel()[keep]
        for name, values in bt.forecasts.items():
            out[name] = values.ravel()[keep]
        out["forecast"] = bt.combined.ravel()[keep]
        if levels:
            windows = bt.combined.reshape(-1, h)  # one row per (series, window)
            series = np.repeat(bt.rows, n_windows)
            for lv, (lo, hi) in fitted.conformal.levels(windows, fitted.scale[series], fitted.interval_groups[series],
                                                         levels).items():
                out[f"forecast-lo-{_pct(lv)}"] = lo.ravel()[keep]
                out[f"forecast-hi-{_pct(lv)}"] = hi.ravel()[keep]
        return out

    def explain(self, X_future: pd.DataFrame | None = None) -> Explanation:
        """Which models serve each series, and the global models' importances and per-forecast contributions."""
        fitted = self._state()
        future = self._future(fitted, X_future)
        times = _local_times(fitted, future.times.ravel()).rename(fitted.columns.time_col)
        return forecast_explanation(fitted.components, fitted.ids, times, future, fitted.horizon)

    def history_frame(self, last: int | None = None) -> pd.DataFrame:
        """The training history the model keeps (id columns, time, target), the last ``last`` points per series."""
        history = self._state().history
        if last is not None:
            keep = np.minimum(history.target.lengths, int(last))
            history = history.take(np.arange(history.n_series), concat_ranges(history.indptr[1:] - keep, keep), keep)
        out = history.to_frame()
        out[history.columns.time_col] = _local_times(self._state(), history.times)
        return out

    # -------------------------------------------------------------- reports
    @property
    def report(self) -> SearchReport:
        """What the search found and did."""
        return self._state().report

    def leaderboard(self) -> pd.DataFrame:
        """Every trial and way of combining them, ranked (with several groups: counts over the groups)."""
        return self.report.leaderboard

    def model_wins(self) -> pd.DataFrame:
        """Per model: the series where it has the largest weight, the series it serves, its share, fallbacks.

        Columns: ``series_won`` (the largest weight; between equal weights, the member listed first),
        ``series_served`` (any weight), ``weight`` (its share of all the series' forecasts: 1 for a
        model serving every series alone) and ``fallback_series``; the largest share first.
        """
        fitted = self._state()
        n = max(len(fitted.ids), 1)
        top = model_wins(fitted.components, len(fitted.ids))
        names = [c.trial.learner for c in fitted.components]
        won = pd.Series([names[m] for m in top[top >= 0]], dtype=object).value_counts()
        served: dict[str, set[int]] = {name: set() for name in names}
        weight = dict.fromkeys(names, 0.0)
        fallback = dict.fromkeys(names, 0)
        for comp in fitted.components:
            name = comp.trial.learner
            served[name].update(comp.series[comp.weights > 0].tolist())
            weight[name] += float(comp.weights.sum()) / n
            fallback[name] += len(getattr(comp.learner, "fallbacks_", {}))
        frame = pd.DataFrame({"model": list(weight)})
        frame["series_won"] = frame["model"].map(won).fillna(0).astype(int)
        frame["series_served"] = frame["model"].map({k: len(v) for k, v in served.items()}).astype(int)
        frame["weight"] = frame["model"].map(weight)
        frame["fallback_series"] = frame["model"].map(fallback).astype(int)
        frame = frame[frame["series_served"] > 0]
        return frame.sort_values(["weight", "model"], ascending=[False, True], ignore_index=True)

    def series_notes(self) -> pd.DataFrame:
        """Series that are valid but unusual (constant, all zero, intermittent, extreme, too short), and what was done."""
        fitted = self._state()
        notes = fitted.report.series_notes
        labels = fitted.ids.iloc[notes["series"].to_numpy()].reset_index(drop=True)
        return pd.concat([labels, notes.drop(columns="series")], axis=1)

    def fallbacks(self) -> pd.DataFrame:
        """Series on which a chosen model could not be fitted, what replaced it, and why."""
        fitted = self._state()
        rows = []
        for comp in fitted.components:
            for local, (used, reason) in getattr(comp.learner, "fallbacks_", {}).items():
                rows.append({"series": int(comp.series[local]), "model": comp.trial.learner, "used": used, "reason": reason})
        frame = pd.DataFrame(rows, columns=["series", "model", "used", "reason"])
        labels = fitted.ids.iloc[frame["series"].to_numpy()].reset_index(drop=True)
        return pd.concat([labels, frame.drop(columns="series")], axis=1)


def _warn_unused_columns(panel: Panel) -> None:
    """Extra columns that are not numbers cannot be features: say so, with examples."""
    unused = {c: v for c, v in panel.exog.items() if not (np.issubdtype(v.dtype, np.number) or v.dtype == bool)}
    if unused:
        examples = {c: shorten(pd.unique(v[pd.notna(v)])[:3]) for c, v in unused.items()}
        warnings.warn(
            f"Columns {sorted(unused)} are not numeric and are not used as features (values such as {examples}). "
            "Convert them with pd.to_numeric, encode them as numbers, or drop them.", TsAutoMLWarning, stacklevel=4,
        )


def _history(panel: Panel, components: list[Component]) -> Panel:
    """The history a fitted forecast keeps: target, times and the exogenous columns its local models run over."""
    local = {c for comp in components if isinstance(comp.learner, LocalLearner) for c in comp.learner.exogenous_}
    return replace(panel, exog={c: panel.exog[c] for c in sorted(local)}, filled=panel.filled.iloc[:0])


def _forecast(fitted: FittedForecast, future: Future, levels: list[float]) -> tuple[np.ndarray, dict]:
    """The blended forecast ``(n_series, horizon)`` and its intervals per level (a model's own where it serves alone)."""
    mean, native = blend(fitted.components, len(fitted.ids), future, levels)
    bounds = fitted.conformal.levels(mean, fitted.scale, fitted.interval_groups, levels)
    for lv, (lo, hi) in native.items():
        use = np.isfinite(lo) & np.isfinite(hi)
        bounds[lv][0][use], bounds[lv][1][use] = lo[use], hi[use]
    return mean, bounds


def _local_times(fitted: FittedForecast, times: np.ndarray) -> pd.Series:
    """Wall times (datetime64 or int64 steps) as the data gave them: back in its time zone, if any.

    DST gaps move forward, repeated hours read as summer time.
    """
    out = pd.Series(times)
    if fitted.tz is not None:
        out = out.dt.tz_localize(fitted.tz, ambiguous=np.ones(len(out), dtype=bool), nonexistent="shift_forward")
    return out


def _frame(
    fitted: FittedForecast, future: Future, mean: np.ndarray, bounds: dict, quantiles: Sequence[float] | None
) -> pd.DataFrame:
    """The forecast frame: ids, time, ``forecast`` and the interval or quantile columns."""
    n, h = mean.shape
    out = fitted.ids.iloc[np.repeat(np.arange(n), h)].reset_index(drop=True)
    out[fitted.columns.time_col] = _local_times(fitted, future.times.ravel())
    out["forecast"] = mean.ravel()
    if quantiles is not None:
        for q in quantiles:
            out[f"forecast-q-{_pct(q)}"] = _quantile_column(q, mean, bounds).ravel()
        return out
    for lv in sorted(bounds):
        out[f"forecast-lo-{_pct(lv)}"] = bounds[lv][0].ravel()
        out[f"forecast-hi-{_pct(lv)}"] = bounds[lv][1].ravel()
    return out


def _levels(level: float | Sequence[float] | None, quantiles: float | Sequence[float] | None) -> list[float]:
    """Interval levels (percent) from ``level`` or ``quantiles``; one number stands for a list of one."""
    if level is not None and quantiles is not None:
        raise ConfigError("Pass level or quantiles, not both.")
    if quantiles is not None:
        qs = _numbers("quantiles", quantiles)
        bad = [q for q in qs if not 0 < q < 1]
        if bad:
            raise ConfigError(f"quantiles must lie strictly between 0 and 1; got {bad}. Pass e.g. quantiles=[0.1, 0.5, 0.9].")
        return sorted({round(abs(1 - 2 * q) * 100, 10) for q in qs if q != 0.5})
    levels = [] if level is None else _numbers("level", level)
    bad = [lv for lv in levels if not 0 < lv < 100]
    if bad:
        raise ConfigError(f"level values are percentages strictly between 0 and 100; got {bad}. Pass e.g. level=[80, 95].")
    return levels


def _numbers(name: str, value: float | Sequence[float]) -> list[float]:
    values = [value] if is_real(value) else value
    if isinstance(values, str) or not isinstance(values, Sequence | np.ndarray) or not all(is_real(v) for v in values):
        example = "[80, 95]" if name == "level" else "[0.1, 0.5, 0.9]"
        raise ConfigError(f"{name}={value!r} is not a list of numbers. Pass e.g. {name}={example}.")
    return [float(v) for v in values]  # type: ignore[arg-type]  # every v is a real number, checked above


def _quantile_column(q: float, mean: np.ndarray, bounds: dict) -> np.ndarray:
    if q == 0.5:
        return mean
    lo, hi = bounds[round(abs(1 - 2 * q) * 100, 10)]
    return lo if q < 0.5 else hi


def _pct(value: float) -> str:
    value = value * 100 if value < 1 else value
    return f"{value:g}"


def _future_exog(X_future: pd.DataFrame, fitted: FittedForecast, times: np.ndarray) -> dict[str, np.ndarray]:
    """Future exogenous values as ``(n_series, horizon)`` arrays; errors name what is missing or wrong."""
    ids, columns, exogenous = fitted.ids, fitted.columns, fitted.exogenous
    keys = [*columns.id_cols, columns.time_col]
    need = [*keys, *exogenous]
    missing_cols = [c for c in need if c not in X_future.columns]
    if missing_cols:
        raise DataValidationError(f"X_future lacks the columns {missing_cols}; it needs {need}.")
    n, h = times.shape
    grid = ids.iloc[np.repeat(np.arange(n), h)].reset_index(drop=True)
    grid[columns.time_col] = times.ravel()
    given = X_future.loc[:, ~X_future.columns.duplicated()][need].reset_index(drop=True)
    X = given.copy()
    X[columns.time_col] = _future_times(X[columns.time_col], fitted, grid[columns.time_col].dtype)
    for col in columns.id_cols:  # ids read as another type (e.g. integers saved and read back as text)
        if X[col].dtype != grid[col].dtype:
            X[col], grid[col] = X[col].astype(str), grid[col].astype(str)
    repeated = X.duplicated(keys)
    if repeated.any():
        raise DataValidationError(
            f"X_future has {int(repeated.sum())} duplicate ({', '.join(keys)}) row(s), e.g. "
            f"{shorten(_rows(given.loc[repeated.to_numpy(), keys]))}. Keep one row per series and time."
        )
    known = X[list(columns.id_cols)].drop_duplicates().merge(grid[list(columns.id_cols)].drop_duplicates(), how="left",
                                                              indicator=True)
    extra = known[known["_merge"] == "left_only"].drop(columns="_merge")
    if len(extra):
        warnings.warn(f"X_future holds {len(extra)} series the model was not fitted on, ignored: "
                      f"{shorten(_rows(extra))}.", TsAutoMLWarning, stacklevel=5)
    merged = grid.merge(X, on=keys, how="left")
    absent = merged[exogenous].isna().any(axis=1).to_numpy()
    if absent.any():
        bad = np.unique(np.repeat(np.arange(n), h)[absent])
        raise DataValidationError(
            f"X_future does not cover the {h} forecast steps of {bad.size} series: "
            f"{shorten(series_labels(ids, bad))} (e.g. {columns.time_col}={merged.loc[absent, columns.time_col].iloc[0]}). "
            f"Give {exogenous} for every series and every future time step."
        )
    out = {}
    for c in exogenous:
        values = pd.to_numeric(merged[c], errors="coerce")
        if values.isna().any():
            raise DataValidationError(
                f"X_future column {c!r} holds values that are not numbers, such as "
                f"{shorten(merged.loc[values.isna(), c].unique()[:5])}. Give numbers, as in the training data."
            )
        out[c] = values.to_numpy(dtype=float).reshape(n, h)
    return out


def _as_times(fitted: FittedForecast, stamps: np.ndarray) -> np.ndarray:
    """int64 stamps as the panel's times (datetime64[ns] for dates; ``NO_TIME`` reads as NaT)."""
    return stamps if fitted.freq.is_integer else stamps.view("datetime64[ns]")


def _test_positions(test_df: pd.DataFrame, fitted: FittedForecast) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Series position, horizon step and actual of every row of ``test_df``; errors name what does not match."""
    c = fitted.columns
    keys = [*c.id_cols, c.time_col]
    if not isinstance(test_df, pd.DataFrame):
        raise DataValidationError(f"test_df must be a pandas DataFrame with the columns {[*keys, c.target_col]}, "
                                  f"got {type(test_df).__name__}.")
    missing = [col for col in [*keys, c.target_col] if col not in test_df.columns]
    if missing:
        raise DataValidationError(f"test_df lacks the columns {missing}; it needs {[*keys, c.target_col]}.")
    if test_df.empty:
        raise DataValidationError("test_df has no rows: give the actuals of some forecast steps.")
    test = test_df[keys].reset_index(drop=True)
    test[c.time_col] = _future_times(test[c.time_col], fitted, np.dtype("int64" if fitted.freq.is_integer else "datetime64[ns]"))
    series = series_positions(test, fitted.ids)
    unknown = series < 0
    if unknown.any():
        raise DataValidationError(
            f"test_df holds {int(pd.unique(test.loc[unknown, c.id_cols[0]]).size)} series the model was not fitted on, "
            f"e.g. {shorten(_rows(test.loc[unknown, list(c.id_cols)].drop_duplicates()))}. Score the fitted series only."
        )
    repeated = test.duplicated(keys).to_numpy()
    if repeated.any():
        raise DataValidationError(f"test_df has {int(repeated.sum())} duplicate ({', '.join(keys)}) row(s), e.g. "
                                  f"{shorten(_rows(test.loc[repeated, keys]))}. Keep one row per series and time.")
    h = fitted.horizon
    horizon = fitted.freq.future_times(fitted.last_times, h).reshape(len(fitted.ids), h)
    stamps = test[c.time_col].to_numpy()
    steps = np.array([np.searchsorted(horizon[i], t) for i, t in zip(series, stamps, strict=True)], dtype=np.int64)
    outside = (steps >= h) | (horizon[series, np.minimum(steps, h - 1)] != stamps)
    if outside.any():
        first = int(np.flatnonzero(outside)[0])
        i = series[first]
        raise DataValidationError(
            f"test_df has {int(outside.sum())} row(s) outside the forecast horizon, e.g. series "
            f"{shorten(series_labels(fitted.ids, np.array([i])))} at {c.time_col}={test[c.time_col].iloc[first]} "
            f"(its {h} forecast steps run from {horizon[i, 0]} to {horizon[i, -1]}). Give actuals of the forecast steps only."
        )
    y = pd.to_numeric(test_df[c.target_col].reset_index(drop=True), errors="coerce")
    bad = y.isna() & test_df[c.target_col].reset_index(drop=True).notna()
    if bad.any():
        raise DataValidationError(f"test_df column {c.target_col!r} holds values that are not numbers, such as "
                                  f"{shorten(test_df[c.target_col][bad.to_numpy()].unique()[:5])}.")
    return series, steps, y.to_numpy(dtype=float)


def _rows(frame: pd.DataFrame) -> list:
    """Rows as printable values: the value itself for one column, else a tuple."""
    rows = [tuple(str(v) for v in row) for row in frame.head(6).itertuples(index=False, name=None)]
    return [row[0] if len(row) == 1 else row for row in rows]


def _future_times(values: pd.Series, fitted: FittedForecast, dtype: np.dtype) -> pd.Series:
    """X_future's times as the fitted data's (wall times in its zone, parsed dates, or integer steps)."""
    if fitted.freq.is_integer:
        parsed = pd.to_numeric(values, errors="coerce")
    else:
        parsed = wall_times(pd.to_datetime(values, errors="coerce"), fitted.tz)
    if parsed.isna().any():
        raise DataValidationError(
            f"X_future column {fitted.columns.time_col!r} has values that are not "
            f"{'integer steps' if fitted.freq.is_integer else 'dates'}, such as "
            f"{shorten(values[parsed.isna()].unique()[:5])}. Give the same kind of times as in the training data."
        )
    return parsed.astype(dtype)
