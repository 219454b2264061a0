"""The forecasting facade: search, select per series or group, refit, predict with intervals."""

from __future__ import annotations

import functools
import logging
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from sklearn.base import clone

from tsautoml.backends.base import Backend, Failure
from tsautoml.config import Budget, CVConfig
from tsautoml.data.columns import ColumnSpec
from tsautoml.data.grouped import Panel
from tsautoml.data.validation import series_labels, shorten
from tsautoml.ensemble.blend import Component, blend, model_wins
from tsautoml.ensemble.conformal import ConformalIntervals, interval_buckets, series_scale
from tsautoml.ensemble.selection import OOFLayout, Selection, candidate_pool, combine
from tsautoml.exceptions import ConfigError, DataValidationError, NotFittedError
from tsautoml.many.chunk import SearchSpec
from tsautoml.many.engine import GroupSearch
from tsautoml.many.groups import GroupLayout
from tsautoml.many.runlog import RunLog, data_digest
from tsautoml.models.base import BaseLearner, Future
from tsautoml.models.registry import FORECAST_LEARNERS, select_learners
from tsautoml.search.loop import run_search
from tsautoml.search.space import ForecastContext, forecast_spaces
from tsautoml.search.splitters import RollingOriginSplitter, validation_splitter
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
    max_memory: int | None = None
    run_dir: str | None = None
    resume: bool = False


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
        if s.group_by:
            return self._fit_groups(panel, start)
        task = self._task(panel)
        spaces = self._spaces(panel, task.learners)
        search_budget = replace(s.budget, time_s=None if s.budget.time_s is None else s.budget.time_s * _SEARCH_SHARE)
        on_result, replay = self._run_log(panel, spaces)
        result = run_search(
            task, spaces, search_budget, self.backend, seed=s.seed, progress=s.progress, on_result=on_result, replay=replay
        )
        self.board_, self.stop_reason_ = result.leaderboard, result.stop_reason
        chosen = self._select(panel, task)
        self._fit_intervals(panel, task, chosen)
        self._refit(panel, task, chosen, start)
        self._remember(panel)
        self.fit_time_ = time.monotonic() - start
        return self

    def _run_log(self, panel: Panel, spaces: list) -> tuple[Callable[[TrialResult], None] | None, dict[int, TrialResult]]:
        """With ``run_dir``: save each trial as it finishes, and the trials of the run being resumed."""
        s = self.settings
        if s.run_dir is None:
            return None, {}
        fingerprint = {
            "data": data_digest(panel.target.values, panel.times.view(np.int64), panel.indptr),
            "settings": repr((s.horizon, s.metric, s.cv, s.freq, s.season_length, s.allowed_models, s.blocked_models,
                              s.holidays, s.seed, s.budget.max_trials, s.budget.exit_score, s.budget.patience)),
            "learners": [sp.learner for sp in spaces],
        }
        log = RunLog(s.run_dir, fingerprint, s.resume)

        def save(result: TrialResult) -> None:
            line = {"trial": result.trial.key, "model": result.trial.learner, "params": result.trial.params,
                    "status": result.status, "score": result.score, "window_scores": result.window_scores,
                    "error": result.error, "seconds": round(result.duration, 3)}
            log.save(f"trial-{result.trial.number}", result, "trials", [line])

        return save, {r.trial.number: r for r in log.load_all("trial-").values()}

    def _fit_groups(self, panel: Panel, start: float) -> Forecaster:
        """One search per ``group_by`` group under the one budget (see :mod:`tsautoml.many`)."""
        s = self.settings
        self._check_validation(panel)
        layout = GroupLayout.from_panel(panel, list(s.group_by or ()))
        learners = select_learners(FORECAST_LEARNERS, s.allowed_models, s.blocked_models)
        spec = SearchSpec(s.horizon, s.cv.n_windows, s.cv.step, s.metric, learners, self._context(panel))
        spaces = self._spaces(panel, learners)
        local = [sp for sp in spaces if not spec.is_global(sp.learner)]
        if layout.sizes.max() == 1 and local and len(local) < len(spaces):
            logger.info("Every group is one series: the global models %s, which learn across series, are left out.",
                        sorted({sp.learner for sp in spaces} - {sp.learner for sp in local}))
            spaces = local
        search = GroupSearch(
            spec, spaces, layout, self.backend,
            greater_is_better=spec.scorer.greater_is_better, time_budget=s.budget.time_s, max_trials=s.budget.max_trials,
            exit_score=s.budget.exit_score, patience=s.budget.patience, max_memory=s.max_memory, run_dir=s.run_dir,
            resume=s.resume, seed=s.seed, progress=s.progress,
        )
        result = search.run(panel, start=time.time() - (time.monotonic() - start))
        self.groups_, self.stop_reason_, self.selection_ = result, result.stop_reason, "per-group"
        self.components_ = result.components
        self.refit_failures_: dict[str, str] = result.refit_failures
        self.scale_ = series_scale(panel.target.values, panel.indptr, panel.freq.season_length)
        self.interval_groups_, n_buckets = interval_buckets(layout.codes, result.error_series, result.errors, s.horizon)
        h = s.horizon
        steps = np.tile(np.arange(h), result.errors.shape[1] // h)
        rows = np.repeat(result.error_series, result.errors.shape[1])
        self.conformal_ = ConformalIntervals.fit(
            result.errors.ravel(), self.scale_[rows], np.tile(steps, len(result.error_series)),
            self.interval_groups_[rows], n_buckets, h,
        )
        self._remember(panel)
        self.fit_time_ = time.monotonic() - start
        return self

    def _check_validation(self, panel: Panel) -> RollingOriginSplitter:
        s = self.settings
        splitter = validation_splitter(s.cv.n_windows, s.horizon, s.cv.step)
        self.unvalidated_ = splitter.excluded(panel.indptr)
        if self.unvalidated_.size == panel.n_series:
            raise DataValidationError(
                f"Every series is shorter than the {splitter.required_length(1)} points one validation "
                f"window of horizon {s.horizon} needs. Use a shorter horizon or longer series."
            )
        if self.unvalidated_.size:
            warnings.warn(
                f"{self.unvalidated_.size} series are too short to validate "
                f"({shorten(series_labels(panel.ids, self.unvalidated_))}); they get the "
                f"{'choice of their group' if s.group_by else 'panel-wide choice of models'}.",
                UserWarning,
                stacklevel=4,
            )
        return splitter

    def _context(self, panel: Panel) -> dict:
        s = self.settings
        return {"season_length": panel.freq.season_length, "horizon": s.horizon, "holidays": s.holidays, "seed": s.seed, "n_jobs": 1}

    def _task(self, panel: Panel) -> ForecastTask:
        s = self.settings
        splitter = self._check_validation(panel)
        self._units_of_series, self.unit_name_ = np.arange(panel.n_series), "series"
        learners = select_learners(FORECAST_LEARNERS, s.allowed_models, s.blocked_models)
        context = self._context(panel)
        return ForecastTask(panel, s.horizon, splitter.split(panel.indptr), s.metric, learners, context)

    def _spaces(self, panel: Panel, learners: Mapping[str, type]) -> list:
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
        )
        spaces = [sp for sp in forecast_spaces(ctx) if sp.learner in learners]
        if not spaces:
            raise ConfigError(f"None of the allowed models {sorted(learners)} apply to this data.")
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
        groups = np.zeros(panel.n_series, dtype=np.int64)
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
        self.refit_failures_ = {}
        kept, learners = [], []
        for (trial, series, _), m, outcome in zip(jobs, used, fitted, strict=True):
            if isinstance(outcome, Failure):
                self.refit_failures_[trial.key] = outcome.error
                continue
            kept.append((m, trial, series))
            learners.append(outcome)
        self.weights_ = weights[:, [m for m, _, _ in kept]]
        orphans = self._cover_orphans(panel, task)
        self.components_ = [
            Component(trial, series, self.weights_[series, k], learner)
            for k, ((_, trial, series), learner) in enumerate(zip(kept, learners, strict=True))
        ]
        if orphans is not None:
            self.components_.append(orphans)

    def _cover_orphans(self, panel: Panel, task: ForecastTask) -> Component | None:
        """Series whose chosen models all failed to refit get the cheapest baseline, recorded (its component)."""
        total = self.weights_.sum(axis=1)
        orphans = np.flatnonzero(total <= 0)
        self.weights_[total > 0] /= total[total > 0, None]
        if self.refit_failures_:
            warnings.warn(f"Refitting failed for {sorted(self.refit_failures_)}: {self.refit_failures_}", UserWarning, stacklevel=4)
        if not orphans.size:
            return None
        name = next(n for n in _FALLBACK_LEARNERS if n in FORECAST_LEARNERS)
        trial = Trial(-1, name, {})
        learner = task.make_learner(trial).fit(panel.select(orphans))
        column = np.zeros((panel.n_series, 1))
        column[orphans] = 1.0
        self.weights_ = np.hstack([self.weights_, column])
        return Component(trial, orphans, np.ones(orphans.size), learner)

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
        mean, native = blend(self.components_, len(self.ids_), future, levels)
        bounds = self.conformal_.levels(mean, self.scale_, self.interval_groups_, levels)
        for lv, (lo, hi) in native.items():
            use = np.isfinite(lo) & np.isfinite(hi)
            bounds[lv][0][use], bounds[lv][1][use] = lo[use], hi[use]
        return self._frame(future, mean, bounds, quantiles)

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
        """Every trial and combination, ranked (with ``group_by``: every trial over all groups)."""
        if hasattr(self, "groups_"):
            return self.groups_.leaderboard
        if not hasattr(self, "board_"):
            raise NotFittedError("This model is not fitted yet: call fit(df) first.")
        return self.board_.to_frame()

    def model_wins(self) -> pd.DataFrame:
        """How many series each model serves with the largest weight, and fallbacks."""
        top = model_wins(self.components_, len(self.ids_))
        names = [c.trial.learner for c in self.components_]
        wins = pd.Series([names[m] for m in top[top >= 0]]).value_counts()
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

