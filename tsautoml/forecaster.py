"""The forecasting facade: search, select per series or group, refit, predict with intervals."""

from __future__ import annotations

import functools
import logging
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from sklearn.base import clone

from tsautoml.backends.base import Backend, Failure
from tsautoml.config import Budget, CVConfig
from tsautoml.data.columns import ColumnSpec
from tsautoml.data.grouped import Panel
from tsautoml.data.validation import series_labels, shorten
from tsautoml.ensemble.conformal import ConformalIntervals, series_scale
from tsautoml.ensemble.selection import OOFLayout, Selection, candidate_pool, combine
from tsautoml.exceptions import ConfigError, DataValidationError, NotFittedError
from tsautoml.models.base import BaseLearner, Future
from tsautoml.models.registry import FORECAST_LEARNERS, select_learners
from tsautoml.search.loop import run_search
from tsautoml.search.space import ForecastContext, forecast_spaces
from tsautoml.search.splitters import RollingOriginSplitter
from tsautoml.search.tasks import ForecastTask
from tsautoml.search.trial import Trial, TrialResult

__all__ = ["ForecastSettings", "Forecaster"]

logger = logging.getLogger(__name__)

_SEARCH_SHARE = 0.8  # of the time budget; the rest is for selection and refitting
_FALLBACK_LEARNERS = ("SeasonalNaive", "Naive")


@dataclass(frozen=True)
class ForecastSettings:
    """Everything the forecasting facade needs besides the data (built by :class:`~tsautoml.AutoML`)."""

    horizon: int
    budget: Budget
    metric: str = "mase"
    season_length: int | None = None
    freq: str | int | None = None
    columns: ColumnSpec = field(default_factory=ColumnSpec)
    cv: CVConfig = field(default_factory=CVConfig)
    allowed_models: list[str] | None = None
    blocked_models: list[str] | None = None
    group_by: list[str] | None = None
    holidays: str | None = None
    seed: int = 0
    progress: bool = True


@dataclass(eq=False)
class _Component:
    """One refitted member of the final blend: its trial, the series it serves, the learner."""

    trial: Trial
    series: np.ndarray
    learner: BaseLearner


class Forecaster:
    """Search forecasting learners for a panel and forecast it; used through ``AutoML(task="forecasting")``."""

    def __init__(self, settings: ForecastSettings, backend: Backend) -> None:
        self.settings = settings
        self.backend = backend

    # ------------------------------------------------------------------ fit
    def fit(self, df: pd.DataFrame) -> Forecaster:
        """Search, select per unit, refit the chosen models on all data."""
        start = time.monotonic()
        s = self.settings
        panel = Panel.from_frame(df, s.columns, freq=s.freq, season_length=s.season_length)
        task = self._task(panel)
        spaces = self._spaces(panel, task)
        search_budget = replace(s.budget, time_s=None if s.budget.time_s is None else s.budget.time_s * _SEARCH_SHARE)
        result = run_search(task, spaces, search_budget, self.backend, seed=s.seed, progress=s.progress)
        self.board_, self.stop_reason_ = result.leaderboard, result.stop_reason
        chosen = self._select(panel, task)
        self._fit_intervals(panel, task, chosen)
        self._refit(panel, task, chosen, start)
        self._remember(panel)
        self.fit_time_ = time.monotonic() - start
        return self

    def _task(self, panel: Panel) -> ForecastTask:
        s = self.settings
        splitter = RollingOriginSplitter(n_windows=s.cv.n_windows, horizon=s.horizon, step=s.cv.step, min_train_size=2)
        self.unvalidated_ = splitter.excluded(panel.indptr)
        if self.unvalidated_.size == panel.n_series:
            raise DataValidationError(
                f"Every series is shorter than the {splitter.required_length(1)} points one validation "
                f"window of horizon {s.horizon} needs. Use a shorter horizon or longer series."
            )
        if self.unvalidated_.size:
            warnings.warn(
                f"{self.unvalidated_.size} series are too short to validate "
                f"({shorten(series_labels(panel.ids, self.unvalidated_))}); they get the panel-wide "
                "choice of models.",
                UserWarning,
                stacklevel=3,
            )
        self._units_of_series, self.unit_name_ = self._units(panel)  # checks group_by before the search
        learners = select_learners(FORECAST_LEARNERS, s.allowed_models, s.blocked_models)
        context = {
            "season_length": panel.freq.season_length, "horizon": s.horizon, "holidays": s.holidays,
            "seed": s.seed, "n_jobs": 1, "group_by": tuple(s.group_by or ()),
        }
        return ForecastTask(panel, s.horizon, splitter.split(panel.indptr), s.metric, learners, context)

    def _spaces(self, panel: Panel, task: ForecastTask) -> list:
        y = panel.target.values
        observed = y[np.isfinite(y)]
        zeros = np.add.reduceat(np.where(np.isfinite(y), y == 0, False), panel.indptr[:-1]) / panel.target.lengths
        ctx = ForecastContext(
            season_length=panel.freq.season_length,
            horizon=self.settings.horizon,
            has_dates=not panel.freq.is_integer,
            nonnegative=bool((observed >= 0).all()),
            intermittent=bool((zeros >= 0.3).mean() >= 0.1),
            has_exogenous=bool(panel.exog),
            has_groups=bool(self.settings.group_by),
        )
        spaces = [sp for sp in forecast_spaces(ctx) if sp.learner in task.learners]
        if not spaces:
            raise ConfigError(f"None of the allowed models {sorted(task.learners)} apply to this data.")
        return spaces

    # ------------------------------------------------------------ selection
    def _select(self, panel: Panel, task: ForecastTask) -> Selection:
        board = self.board_
        best = board.best()
        if best is None:
            errors = "; ".join(f"{r.trial.key}: {r.error}" for r in board)
            raise DataValidationError(f"Every trial failed, so there is no model to return: {errors}")
        layout = OOFLayout.from_folds(task.folds, task.horizon)
        self.scale_ = series_scale(panel.target.values, panel.indptr, panel.freq.season_length)
        units = self._units_of_series
        y = panel.target.values[task.oof_index]
        row_scale = self.scale_[layout.series]
        pool = candidate_pool(board)
        single = Selection(best.trial.learner, [best], np.ones((panel.n_series, 1)), best.oof)
        options = [single]
        if len(pool) > 1:
            options += combine(pool, y, row_scale, task.metric, layout, units, self.unit_name_)
        scored = [(self._score_selection(task, option, len(board) + i), option) for i, option in enumerate(options[1:])]
        for result, _ in scored:
            board.add(result)
        candidates = [(best, single), *scored]
        chosen_result, chosen = min(candidates, key=lambda c: (board.loss(c[0].score), c[0].trial.number))
        self.selection_ = chosen.name
        self._layout = layout
        logger.info("Chose %s (%s %.4g).", chosen.name, task.metric, chosen_result.score)
        return chosen

    def _units(self, panel: Panel) -> tuple[np.ndarray, str]:
        group_by = self.settings.group_by
        if not group_by:
            return np.arange(panel.n_series), "series"
        missing = [c for c in group_by if c not in panel.ids.columns]
        if missing:
            raise ConfigError(
                f"group_by columns {missing} are not id columns; the id columns are "
                f"{list(panel.ids.columns)}. Pass them as columns=ColumnSpec(id_cols=...)."
            )
        codes, _ = pd.MultiIndex.from_frame(panel.ids[group_by]).factorize()
        return codes.astype(np.int64), "+".join(group_by)

    def _score_selection(self, task: ForecastTask, selection: Selection, number: int) -> TrialResult:
        scores = [
            task.score_fold(fold, selection.oof[task.fold_offsets[k] : task.fold_offsets[k + 1]])
            for k, fold in enumerate(task.folds)
        ]
        members = [m.trial.key for m in selection.members]
        trial = Trial(number, selection.name, {"members": members})
        return TrialResult(trial, "ok", scores, float(np.mean(scores)), oof=selection.oof)

    # ------------------------------------------------------------ intervals
    def _fit_intervals(self, panel: Panel, task: ForecastTask, chosen: Selection) -> None:
        layout = self._layout
        errors = panel.target.values[task.oof_index] - chosen.oof
        groups = self._units_of_series if self.settings.group_by else np.zeros(panel.n_series, dtype=np.int64)
        self.interval_groups_ = groups
        self.conformal_ = ConformalIntervals.fit(
            errors, self.scale_[layout.series], layout.step, groups[layout.series], int(groups.max()) + 1, task.horizon
        )

    # ---------------------------------------------------------------- refit
    def _refit(self, panel: Panel, task: ForecastTask, chosen: Selection, start: float) -> None:
        weights = chosen.weights
        used = [m for m in range(weights.shape[1]) if (weights[:, m] > 0).any()]
        jobs = []
        for m in used:
            trial = chosen.members[m].trial
            learner = task.make_learner(trial)
            series = np.arange(panel.n_series) if learner.capabilities.scope == "global" else np.flatnonzero(weights[:, m] > 0)
            jobs.append((trial, series, learner))
        budget = self.settings.budget.time_s
        time_left = None if budget is None else max(budget - (time.monotonic() - start), 1.0)
        fitted = self.backend.map(functools.partial(_refit_one, panel=panel, time_left=time_left), jobs)
        self.components_: list[_Component] = []
        self.weights_ = np.zeros((panel.n_series, 0))
        self.refit_failures_: dict[str, str] = {}
        kept = []
        for (trial, series, _), m, outcome in zip(jobs, used, fitted, strict=True):
            if isinstance(outcome, Failure):
                self.refit_failures_[trial.key] = outcome.error
                continue
            self.components_.append(_Component(trial, series, outcome))
            kept.append(m)
        self.weights_ = weights[:, kept]
        self._cover_orphans(panel, task)

    def _cover_orphans(self, panel: Panel, task: ForecastTask) -> None:
        """Series whose chosen models all failed to refit get the cheapest baseline, recorded."""
        total = self.weights_.sum(axis=1)
        orphans = np.flatnonzero(total <= 0)
        self.weights_[total > 0] /= total[total > 0, None]
        if self.refit_failures_:
            warnings.warn(f"Refitting failed for {sorted(self.refit_failures_)}: {self.refit_failures_}", UserWarning, stacklevel=4)
        if not orphans.size:
            return
        name = next(n for n in _FALLBACK_LEARNERS if n in FORECAST_LEARNERS)
        trial = Trial(-1, name, {})
        learner = task.make_learner(trial).fit(panel.select(orphans))
        self.components_.append(_Component(trial, orphans, learner))
        column = np.zeros((panel.n_series, 1))
        column[orphans] = 1.0
        self.weights_ = np.hstack([self.weights_, column])

    def _remember(self, panel: Panel) -> None:
        self.ids_ = panel.ids
        self.columns_ = panel.columns
        self.freq_ = panel.freq
        self.last_times_ = panel.times[panel.indptr[1:] - 1]
        self.exogenous_ = sorted({c for comp in self.components_ for c in comp.learner.exogenous_})
        self.horizon_ = self.settings.horizon

    # -------------------------------------------------------------- predict
    def predict(
        self,
        X_future: pd.DataFrame | None = None,
        level: Sequence[float] | None = None,
        quantiles: Sequence[float] | None = None,
    ) -> pd.DataFrame:
        """Forecast the horizon of every series: ``forecast`` plus ``forecast-lo/hi-<level>``."""
        if not hasattr(self, "components_"):
            raise NotFittedError("This model is not fitted yet: call fit(df) first.")
        levels = _levels(level, quantiles)
        future = self._future(X_future)
        mean, native = self._blend(future, levels)
        bounds = self.conformal_.levels(mean, self.scale_, self.interval_groups_, levels)
        for lv, (lo, hi) in native.items():
            use = np.isfinite(lo) & np.isfinite(hi)
            bounds[lv][0][use], bounds[lv][1][use] = lo[use], hi[use]
        return self._frame(future, mean, bounds, quantiles)

    def _blend(self, future: Future, levels: list[float]) -> tuple[np.ndarray, dict[float, tuple[np.ndarray, np.ndarray]]]:
        n, h = future.times.shape
        mean = np.zeros((n, h))
        native = {lv: (np.full((n, h), np.nan), np.full((n, h), np.nan)) for lv in levels}
        for m, comp in enumerate(self.components_):
            forecast = comp.learner.predict(h, future.take(comp.series), levels)
            w = self.weights_[comp.series, m]
            mean[comp.series] += w[:, None] * forecast.mean
            alone = comp.series[w == 1.0]
            for lv, (lo, hi) in forecast.intervals.items():
                native[lv][0][alone], native[lv][1][alone] = lo[w == 1.0], hi[w == 1.0]
        return mean, native

    def _future(self, X_future: pd.DataFrame | None) -> Future:
        h, n = self.horizon_, len(self.ids_)
        times = self.freq_.future_times(self.last_times_, h).reshape(n, h)
        if not self.exogenous_:
            return Future(times)
        if X_future is None:
            raise DataValidationError(
                f"The chosen models use the exogenous columns {self.exogenous_}: pass their future "
                f"values as X_future (id columns, {self.columns_.time_col!r}, {self.exogenous_}) "
                f"for the next {h} steps of every series."
            )
        return Future(times, _future_exog(X_future, self.ids_, self.columns_, times, self.exogenous_))

    def _frame(self, future: Future, mean: np.ndarray, bounds: dict, quantiles: Sequence[float] | None) -> pd.DataFrame:
        n, h = mean.shape
        out = self.ids_.iloc[np.repeat(np.arange(n), h)].reset_index(drop=True)
        out[self.columns_.time_col] = future.times.ravel()
        out["forecast"] = mean.ravel()
        if quantiles is not None:
            for q in quantiles:
                out[f"forecast-q-{_pct(q)}"] = _quantile_column(q, mean, bounds).ravel()
            return out
        for lv in sorted(bounds):
            out[f"forecast-lo-{_pct(lv)}"] = bounds[lv][0].ravel()
            out[f"forecast-hi-{_pct(lv)}"] = bounds[lv][1].ravel()
        return out

    # -------------------------------------------------------------- reports
    def leaderboard(self) -> pd.DataFrame:
        """Every trial and combination, ranked."""
        if not hasattr(self, "board_"):
            raise NotFittedError("This model is not fitted yet: call fit(df) first.")
        return self.board_.to_frame()

    def model_wins(self) -> pd.DataFrame:
        """How many series each model serves with the largest weight, and fallbacks."""
        top = np.argmax(self.weights_, axis=1)
        names = [c.trial.learner for c in self.components_]
        wins = pd.Series([names[m] for m in top]).value_counts()
        fallback = {name: 0 for name in names}
        for comp in self.components_:
            fallback[comp.trial.learner] += len(getattr(comp.learner, "fallbacks_", {}))
        frame = wins.rename_axis("model").reset_index(name="series_won")
        frame["fallback_series"] = frame["model"].map(fallback).fillna(0).astype(int)
        return frame

    def fallbacks(self) -> pd.DataFrame:
        """Series on which a chosen model could not be fitted, what replaced it, and why."""
        rows = []
        for comp in self.components_:
            for local, (used, reason) in getattr(comp.learner, "fallbacks_", {}).items():
                rows.append({"series": int(comp.series[local]), "model": comp.trial.learner, "used": used, "reason": reason})
        frame = pd.DataFrame(rows, columns=["series", "model", "used", "reason"])
        labels = self.ids_.iloc[frame["series"].to_numpy()].reset_index(drop=True)
        return pd.concat([labels, frame.drop(columns="series")], axis=1)


def _refit_one(job: tuple[Trial, np.ndarray, BaseLearner], panel: Panel, time_left: float | None) -> BaseLearner:
    _, series, learner = job
    deadline = None if time_left is None else time.monotonic() + time_left
    sub = panel if series.size == panel.n_series else panel.select(series)
    return clone(learner).fit(sub, deadline=deadline)


def _levels(level: Sequence[float] | None, quantiles: Sequence[float] | None) -> list[float]:
    if level is not None and quantiles is not None:
        raise ConfigError("Pass level or quantiles, not both.")
    if quantiles is not None:
        bad = [q for q in quantiles if not 0 < q < 1]
        if bad:
            raise ConfigError(f"quantiles must lie strictly between 0 and 1; got {bad}.")
        return sorted({round(abs(1 - 2 * q) * 100, 10) for q in quantiles if q != 0.5})
    levels = [float(lv) for lv in (level or [])]
    bad = [lv for lv in levels if not 0 < lv < 100]
    if bad:
        raise ConfigError(f"level values are percentages strictly between 0 and 100; got {bad}.")
    return levels


def _quantile_column(q: float, mean: np.ndarray, bounds: dict) -> np.ndarray:
    if q == 0.5:
        return mean
    lo, hi = bounds[round(abs(1 - 2 * q) * 100, 10)]
    return lo if q < 0.5 else hi


def _pct(value: float) -> str:
    value = value * 100 if value < 1 else value
    return f"{value:g}"


def _future_exog(
    X_future: pd.DataFrame, ids: pd.DataFrame, columns: ColumnSpec, times: np.ndarray, exogenous: list[str]
) -> dict[str, np.ndarray]:
    """Future exogenous values as ``(n_series, horizon)`` arrays; errors name what is missing."""
    need = [*columns.id_cols, columns.time_col, *exogenous]
    missing_cols = [c for c in need if c not in X_future.columns]
    if missing_cols:
        raise DataValidationError(f"X_future lacks the columns {missing_cols}; it needs {need}.")
    n, h = times.shape
    grid = ids.iloc[np.repeat(np.arange(n), h)].reset_index(drop=True)
    grid[columns.time_col] = times.ravel()
    X = X_future[need].copy()
    X[columns.time_col] = X[columns.time_col].astype(grid[columns.time_col].dtype)
    merged = grid.merge(X.drop_duplicates(list(need[:-len(exogenous)])), on=[*columns.id_cols, columns.time_col], how="left")
    absent = merged[exogenous].isna().any(axis=1).to_numpy()
    if absent.any():
        bad = np.unique(np.repeat(np.arange(n), h)[absent])
        raise DataValidationError(
            f"X_future does not cover the {h} forecast steps of {bad.size} series: "
            f"{shorten(series_labels(ids, bad))} (e.g. {columns.time_col}={merged.loc[absent, columns.time_col].iloc[0]}). "
            f"Give {exogenous} for every series and every future time step."
        )
    return {c: merged[c].to_numpy(dtype=float).reshape(n, h) for c in exogenous}

