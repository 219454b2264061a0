"""Work shipped to a worker: a chunk of whole groups, the trials to score on it, the refit of its choices.

A chunk's data is shipped once (``Backend.put``) and reused by every job on it. Local
learners (one model per series) are scored once on all the chunk's groups that run them;
global learners (one model across series) once per group. Every score is per group and
per validation window.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from tsautoml.backends.base import Failure, call_before
from tsautoml.data.grouped import Panel, concat_ranges, offsets
from tsautoml.metrics import get_metric
from tsautoml.metrics.base import ForecastMetric
from tsautoml.models.base import BaseLearner
from tsautoml.models.registry import build_learner
from tsautoml.search.budget import ABANDON_AFTER
from tsautoml.search.splitters import Fold, RollingOriginSplitter, validation_splitter
from tsautoml.search.tasks import ForecastTask
from tsautoml.search.trial import Trial

__all__ = ["ChunkData", "SearchSpec", "TrialsJob", "TrialsOutcome", "TrialScores", "group_window_scores", "merge_shards", "run_trials", "uniform_scores", "window_mean"]


@dataclass(frozen=True)
class SearchSpec:
    """What every job needs besides the data: horizon, validation, metric, learners, context.

    ``carry_forward``: learners whose spec says ``forward`` fit the first window only
    (:class:`~tsautoml.config.CVConfig`). ``refit``: the chosen models are re-estimated on all
    data (False: fitted up to the last validation cutoff and carried to the end).
    """

    horizon: int
    n_windows: int
    step: int | None
    metric: str
    learners: Mapping[str, type[BaseLearner]]
    context: dict[str, Any] = field(default_factory=dict)
    carry_forward: bool = True
    refit: bool = True

    @functools.cached_property
    def scorer(self) -> ForecastMetric:
        """The primary metric."""
        return get_metric(self.metric, "forecast")

    @property
    def width(self) -> int:
        """Out-of-fold points per series: windows x horizon."""
        return self.n_windows * self.horizon

    def splitter(self) -> RollingOriginSplitter:
        """The rolling-origin validation windows."""
        return validation_splitter(self.n_windows, self.horizon, self.step)

    def make_learner(self, trial: Trial) -> BaseLearner:
        """The unfitted learner of ``trial``."""
        return build_learner(self.learners[trial.learner], trial.params, self.context)

    def is_global(self, learner: str) -> bool:
        """Whether ``learner`` fits one model across the series it is given."""
        return self.learners[learner].capabilities.scope == "global"


@dataclass(eq=False)
class ChunkData:
    """Whole groups of series: the unit of work and of data shipping.

    ``series`` are panel positions, group after group (``group_ptr`` delimits them);
    ``search`` are the positions within the chunk the search scores on (all of them unless
    the memory plan subsampled a group); ``panel`` holds exactly ``series``.
    """

    index: int
    series: np.ndarray
    groups: np.ndarray
    group_ptr: np.ndarray
    search: np.ndarray
    panel: Panel

    @property
    def n_groups(self) -> int:
        """Groups in the chunk."""
        return len(self.groups)

    @functools.cached_property
    def local_group(self) -> np.ndarray:
        """Position (within the chunk) of the group of each of the chunk's series."""
        return np.repeat(np.arange(self.n_groups), np.diff(self.group_ptr))

    @functools.cached_property
    def search_panel(self) -> Panel:
        """The series the search scores on."""
        return self.panel if self.search.size == self.panel.n_series else self.panel.select(self.search)

    @functools.cached_property
    def search_group(self) -> np.ndarray:
        """Local group position of each search series."""
        return self.local_group[self.search]

    def search_folds(self, spec: SearchSpec) -> list[Fold]:
        """The validation windows of the search series."""
        return spec.splitter().split(self.search_panel.indptr)

    def validation_layout(self, spec: SearchSpec, values: np.ndarray, fill: Any = np.nan) -> np.ndarray:
        """A per-row array of the search panel (target, times) at its validation points, ``(n_search, windows x horizon)``.

        ``fill`` where a series has no such window.
        """
        h = spec.horizon
        out = np.full((self.search.size, spec.width), fill, dtype=values.dtype)
        for fold in self.search_folds(spec):
            out[fold.series, fold.window * h : (fold.window + 1) * h] = values[fold.test_index].reshape(-1, h)
        return out


@dataclass(frozen=True)
class TrialsJob:
    """Score ``trials`` on the chunk's groups ``groups`` (local positions) before ``deadline`` (epoch seconds).

    ``shard = (k, n)`` scores local trials on every ``n``-th search series from the ``k``-th only,
    so that the workers share one big group; :func:`merge_shards` joins the ``n`` outcomes.
    """

    chunk: Any  # ChunkData (None while the job is shipped apart from the chunk)
    spec: SearchSpec
    trials: tuple[Trial, ...]
    groups: np.ndarray
    deadline: float | None
    shard: tuple[int, int] = (0, 1)


@dataclass
class TrialScores:
    """One trial on some groups of a chunk: per group status, window scores and mean."""

    trial: Trial
    groups: np.ndarray
    status: list[str]
    window_scores: np.ndarray
    score: np.ndarray
    error: list[str]
    duration: float
    fit_time: float = 0.0  # inside learner fit and predict
    fit_seconds: float = 0.0  # the estimated time of one fit on all the data (the refit)
    hurried: bool = False  # the time left made it carry its first window's models over the others


@dataclass
class TrialsOutcome:
    """A job's result: the scores, and each trial's out-of-fold forecasts ``(n_search, windows x horizon)``."""

    chunk: int
    scores: list[TrialScores]
    oof: dict[int, np.ndarray]


def run_trials(job: TrialsJob) -> TrialsOutcome:
    """Score every trial of ``job`` (runs on a worker); trials past the deadline are ``skipped``."""
    chunk: ChunkData = job.chunk
    spec = job.spec
    folds = chunk.search_folds(spec)
    groups = np.asarray(job.groups, dtype=np.int64)
    rows = np.flatnonzero(np.isin(chunk.search_group, groups))  # search series of these groups
    first, every = job.shard
    scores, oof = [], {}
    for trial in job.trials:
        time_left = None if job.deadline is None else job.deadline - time.time()
        if time_left is not None and time_left <= 0:
            scores.append(uniform_scores(trial, groups, spec, "skipped", "the time budget ran out before it started", 0.0))
            continue
        matrix = np.full((chunk.search.size, spec.width), np.nan)
        start = time.monotonic()

        def evaluate(trial: Trial = trial, matrix: np.ndarray = matrix, time_left: float | None = time_left) -> tuple:
            if spec.is_global(trial.learner):
                parts = [_evaluate(chunk, spec, trial, rows[chunk.search_group[rows] == g], matrix, _left(job.deadline))
                         for g in groups]
                total = _Evaluated("", "", sum(p.fit_time for p in parts), sum(p.fit_seconds for p in parts),
                                   any(p.hurried for p in parts))
                return [p.status for p in parts], [p.error for p in parts], total
            one = _evaluate(chunk, spec, trial, rows[first::every], matrix, time_left)
            return [one.status] * groups.size, [one.error] * groups.size, one

        outcome = call_before(evaluate, None if job.deadline is None else job.deadline + ABANDON_AFTER)
        if isinstance(outcome, Failure):  # stuck past the deadline: left behind, with the forecasts it writes
            scores.append(uniform_scores(trial, groups, spec, outcome.status, outcome.error, time.monotonic() - start))
            continue
        status, error, cost = outcome
        scores.append(_scored(chunk, spec, folds, trial, groups, status, error, matrix, time.monotonic() - start,
                              cost.fit_time, cost.fit_seconds, cost.hurried))
        oof[trial.number] = matrix
    return TrialsOutcome(chunk=chunk.index, scores=scores, oof=oof)


def merge_shards(chunk: ChunkData, spec: SearchSpec, parts: list[TrialsOutcome]) -> TrialsOutcome:
    """One outcome from the shards of the same trials and groups: forecasts joined, scores recomputed.

    A trial is ``ok`` on a group only where every shard is; otherwise it takes the first
    other status and its error. Durations add up.
    """
    folds = chunk.search_folds(spec)
    scores, oof = [], {}
    for k, first in enumerate(parts[0].scores):
        shards = [part.scores[k] for part in parts]
        number = first.trial.number
        matrix = np.full((chunk.search.size, spec.width), np.nan)
        for part in parts:
            if number in part.oof:
                rows = np.isfinite(part.oof[number]).any(axis=1)
                matrix[rows] = part.oof[number][rows]
        status, error = [], []
        for g in range(first.groups.size):
            bad = next((s for s in shards if s.status[g] != "ok"), None)
            status.append("ok" if bad is None else bad.status[g])
            error.append("" if bad is None else bad.error[g])
        if all(st == "skipped" for s in shards for st in s.status):
            scores.append(first)
            continue
        scores.append(_scored(chunk, spec, folds, first.trial, first.groups, status, error, matrix,
                              sum(s.duration for s in shards), sum(s.fit_time for s in shards),
                              sum(s.fit_seconds for s in shards), any(s.hurried for s in shards)))
        oof[number] = matrix
    return TrialsOutcome(chunk=chunk.index, scores=scores, oof=oof)


def _scored(
    chunk: ChunkData, spec: SearchSpec, folds: list[Fold], trial: Trial, groups: np.ndarray, status: list[str],
    error: list[str], matrix: np.ndarray, duration: float, fit_time: float, fit_seconds: float, hurried: bool,
) -> TrialScores:
    """A trial's scores per group and window from its out-of-fold forecasts ``matrix``."""
    window = group_window_scores(chunk.search_panel, folds, matrix, chunk.search_group, groups, spec)
    ok = np.array([s == "ok" for s in status])
    window[~ok] = np.nan
    mean = window_mean(window)
    unscored = ok & ~np.isfinite(mean)
    status = ["unvalidated" if u else s for s, u in zip(status, unscored, strict=True)]
    return TrialScores(trial=trial, groups=groups, status=status, window_scores=window, score=mean, error=error,
                       duration=duration, fit_time=fit_time, fit_seconds=fit_seconds, hurried=hurried)


def window_mean(window: np.ndarray) -> np.ndarray:
    """Mean over the scored windows of each row of ``window`` (NaN: none scored)."""
    finite = np.isfinite(window)
    count = finite.sum(axis=1)
    return np.where(count > 0, np.where(finite, window, 0.0).sum(axis=1) / np.maximum(count, 1), np.nan)


def _left(deadline: float | None) -> float | None:
    return None if deadline is None else deadline - time.time()


def uniform_scores(trial: Trial, groups: np.ndarray, spec: SearchSpec, status: str, error: str, duration: float) -> TrialScores:
    """The same status and error for every group (nothing scored)."""
    n = groups.size
    return TrialScores(trial=trial, groups=groups, status=[status] * n, window_scores=np.full((n, spec.n_windows), np.nan),
                       score=np.full(n, np.nan), error=[error] * n, duration=duration)


class _Evaluated(NamedTuple):
    """One cross-validation: status, error, seconds inside the learner, estimated seconds of one fit, hurried."""

    status: str
    error: str
    fit_time: float = 0.0
    fit_seconds: float = 0.0
    hurried: bool = False


def _evaluate(
    chunk: ChunkData, spec: SearchSpec, trial: Trial, rows: np.ndarray, matrix: np.ndarray, time_left: float | None
) -> _Evaluated:
    """Cross-validate ``trial`` on the search series ``rows``, writing its forecasts into ``matrix``."""
    if rows.size == 0:
        return _Evaluated("unvalidated", "no series long enough to validate")
    if time_left is not None and time_left <= 0:
        return _Evaluated("skipped", "the time budget ran out before it started")
    panel = chunk.search_panel if rows.size == chunk.search.size else chunk.search_panel.select(rows)
    folds = [f for f in spec.splitter().split(panel.indptr) if f.series.size]  # short groups: fewer windows
    if not folds:
        return _Evaluated("unvalidated", "no series long enough to validate")
    task = ForecastTask(panel, spec.horizon, folds, spec.metric, spec.learners, spec.context, spec.carry_forward)
    result = task.evaluate(trial, time_left)
    if result.status != "ok":
        return _Evaluated(result.status, result.error, result.fit_time)
    h = spec.horizon
    for k, fold in enumerate(folds):
        block = result.oof[task.fold_offsets[k] : task.fold_offsets[k + 1]].reshape(-1, h)
        matrix[rows[fold.series], fold.window * h : (fold.window + 1) * h] = block
    return _Evaluated("ok", "", result.fit_time, float(result.info["fit_seconds"]), bool(result.info["hurried"]))


def group_window_scores(
    panel: Panel, folds: list[Fold], matrix: np.ndarray, series_group: np.ndarray, groups: np.ndarray, spec: SearchSpec
) -> np.ndarray:
    """``(len(groups), windows)`` primary metric of the forecasts ``matrix`` per group and window (NaN: none)."""
    h, y = spec.horizon, panel.target.values
    season = int(spec.context.get("season_length", 1))
    out = np.full((groups.size, spec.n_windows), np.nan)
    position = np.full(int(series_group.max(initial=-1)) + 1, -1)
    position[groups] = np.arange(groups.size)
    for fold in folds:
        pred = matrix[fold.series, fold.window * h : (fold.window + 1) * h]
        keep = np.isfinite(pred).all(axis=1) & (position[series_group[fold.series]] >= 0)
        if not keep.any():
            continue
        sub = _subfold(fold, np.flatnonzero(keep))
        label = position[series_group[fold.series[keep]]]
        args = (y[sub.test_index], pred[keep].ravel(), sub.test_indptr)
        kwargs = {"y_train": y[sub.train_index], "train_indptr": sub.train_indptr, "season_length": season}
        if spec.scorer.aggregation == "series_mean":
            per_series = spec.scorer.evaluate(*args, **kwargs).per_series
            finite = np.isfinite(per_series)
            total = np.bincount(label[finite], per_series[finite], minlength=groups.size)
            count = np.bincount(label[finite], minlength=groups.size)
            with np.errstate(all="ignore"):
                out[:, fold.window] = np.where(count > 0, total / np.maximum(count, 1), np.nan)
        else:  # pooled metrics: one sum per group
            kept = pred[keep]
            for g in np.unique(label):
                mine = np.flatnonzero(label == g)
                one = _subfold(sub, mine)
                out[g, fold.window] = spec.scorer.score(
                    y[one.test_index], kept[mine].ravel(), one.test_indptr,
                    y_train=y[one.train_index], train_indptr=one.train_indptr, season_length=season,
                )
    return out


def _subfold(fold: Fold, keep: np.ndarray) -> Fold:
    """The fold restricted to its series at positions ``keep`` (within the fold)."""
    return Fold(
        fold.window,
        fold.series[keep],
        _rows(fold.train_index, fold.train_indptr, keep),
        offsets(np.diff(fold.train_indptr)[keep]),
        _rows(fold.test_index, fold.test_indptr, keep),
        offsets(np.diff(fold.test_indptr)[keep]),
    )


def _rows(index: np.ndarray, indptr: np.ndarray, keep: np.ndarray) -> np.ndarray:
    return index[concat_ranges(indptr[:-1][keep], np.diff(indptr)[keep])]
