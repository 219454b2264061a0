"""One forecasting search per group, scheduled under one time budget across all groups.

The groups climb the ladder of :mod:`~tsautoml.engine.ladder` together: every rung is
shipped as one job per chunk of groups, results stream back as chunks finish, and the
next rung goes to the groups where the out-of-fold error says dearer models can still
win, as many as the time left allows. Groups the budget never reached get the cheap
model that did best elsewhere, and are listed. With a run directory every finished job
is written at once, and a resumed run loads it instead of running it again. After the
search, :mod:`~tsautoml.engine.selection` chooses how each group's trials are combined
and :mod:`~tsautoml.engine.refit` refits the choice on the workers.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from tsautoml.backends.base import Backend, Failure
from tsautoml.backends.local import LocalBackend
from tsautoml.config import Budget
from tsautoml.data.grouped import Panel, offsets
from tsautoml.engine.backtest import Backtest, chunk_backtest
from tsautoml.engine.chunk import (
    ChunkData,
    SearchSpec,
    TrialScores,
    TrialsJob,
    TrialsOutcome,
    merge_shards,
    run_trials,
    uniform_scores,
)
from tsautoml.engine.fitted import SearchReport
from tsautoml.engine.groups import GroupLayout
from tsautoml.engine.ladder import (
    TUNED_TRIALS,
    Rung,
    Tuner,
    build_ladder,
    relative_losses,
)
from tsautoml.engine.memory import (
    FITTED_SERIES_BYTES,
    RUNTIME_BYTES,
    WORKER_PROCESS_BYTES,
    MemoryPlan,
    feature_count,
    plan_memory,
)
from tsautoml.engine.refit import (
    ChunkModel,
    FittedMembers,
    GroupChoice,
    RefitJob,
    assemble_chunk,
    refit_members,
)
from tsautoml.engine.report import choices_frame, group_trials, leaderboard, learner_notes
from tsautoml.engine.runlog import RunLog, data_digest
from tsautoml.engine.selection import (
    ChunkChoice,
    Strategy,
    choose_strategy,
    chunk_choice,
    strategies_for,
    strategy_losses,
)
from tsautoml.ensemble.blend import Component
from tsautoml.exceptions import TsAutoMLWarning
from tsautoml.models.baselines import Naive
from tsautoml.search.budget import ABANDON_AFTER
from tsautoml.search.progress import progress_bar
from tsautoml.search.space import LearnerSpace
from tsautoml.search.trial import Trial

__all__ = ["ForecastSearch", "SearchResult"]

logger = logging.getLogger(__name__)

#: The one place that sets the search's share of the time budget: the first rung's
#: deadline; later rungs stop when the refit needs the rest, never past ``MAX_SEARCH_SHARE``.
SEARCH_SHARE = 0.8
MAX_SEARCH_SHARE = 0.9
REFIT_SAFETY = 1.5  # margin on the refit's estimated time
ABANDON_SHARE = 0.05  # of the budget: trial jobs still running this long before its end are abandoned
MIN_SEARCH_SHARE = 0.5  # the selection's estimate never moves the first rung's deadline before this share
#: The selection's seconds per out-of-fold value (series x trial x window step): 1.7M values of
#: M4 Yearly took 1.5 s on one core here
SELECTION_SECONDS_PER_VALUE = 1e-6
_CHUNKS_PER_WORKER = 4  # enough chunks for load balance and streaming
_SERIES_PER_CHUNK = 500  # and small enough that a lost or unfinished chunk costs little
_SERIES_PER_SHARD = 50  # a local trial on one big group is split across the workers above this many series each
_REFIT_MEMBERS = 3  # the refit estimate: each chunk's most expensive trials fitted once more


@dataclass
class SearchResult:
    """What the engine hands back to the forecaster: the fitted choice and the search's reports."""

    components: list[Component]
    choices: list[GroupChoice]
    backtest: Backtest  # out-of-fold forecasts per learner and of the chosen combination
    report: SearchReport


@dataclass
class _GroupState:
    """Per group: its best loss, the cheap rung's best loss, trials run, trials since it last improved."""

    best: np.ndarray
    cheap: np.ndarray
    done: np.ndarray
    stale: np.ndarray

    @classmethod
    def empty(cls, n: int) -> _GroupState:
        return cls(np.full(n, np.inf), np.full(n, np.inf), np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64))


class ForecastSearch:
    """Search each group of a panel under one budget; see the module docstring.

    Parameters
    ----------
    spec
        Horizon, validation, metric, learners and their context.
    spaces
        The learners' spaces (the ladder is built from them).
    layout
        Which series form each group.
    backend
        Where chunks run.
    budget
        Seconds for the whole run; per group, trials, the score that ends its climb, and
        trials without improvement that end it.
    max_memory
        Bytes the run may use (None: half the machine's memory).
    run_dir, resume
        Where finished jobs are written, and whether to load them from an earlier run.
    """

    def __init__(
        self,
        spec: SearchSpec,
        spaces: list[LearnerSpace],
        layout: GroupLayout,
        backend: Backend,
        *,
        budget: Budget,
        max_memory: int | None = None,
        run_dir: str | None = None,
        resume: bool = False,
        seed: int = 0,
        progress: bool = True,
    ) -> None:
        self.spec, self.layout, self.backend = spec, layout, backend
        self.rungs, self.cost = build_ladder(spaces)
        self.tuner = Tuner(spaces, seed)
        self.sign = -1.0 if spec.scorer.greater_is_better else 1.0
        self.time_budget, self.max_trials = budget.time_s, budget.max_trials
        self.exit_score, self.patience = budget.exit_score, budget.patience
        self.max_memory, self.run_dir, self.resume, self.seed, self.progress = max_memory, run_dir, resume, seed, progress

    # ------------------------------------------------------------------ run
    def run(self, panel: Panel, start: float | None = None) -> SearchResult:
        """Plan, search every rung, choose and refit per group; ``start`` (epoch seconds) starts the budget."""
        start = time.time() if start is None else start
        self.deadline = None if self.time_budget is None else start + self.time_budget * SEARCH_SHARE
        self.end = None if self.time_budget is None else start + self.time_budget
        self.log = None if self.run_dir is None else RunLog(self.run_dir, self._fingerprint(panel), self.resume)
        plan = None if self.log is None else self.log.load("plan")  # a resumed run keeps its chunks
        if plan is None:
            plan = self._plan(panel)
            if self.log is not None:
                self.log.save("plan", plan, "trials", [])
        self.plan = plan
        season = int(self.spec.context.get("season_length", 1))
        carried = self.spec.n_windows - 1 if self.spec.carry_forward else 0
        self._model_notes = learner_notes(self.spec.learners, season, panel.target.lengths, carried)
        chunks = self.chunks = self._chunks(panel, plan)
        handles = [self.backend.put(c) for c in chunks]
        self._series_per_group = np.zeros(self.layout.n_groups)  # series each group's search scores on
        for c in chunks:
            self._series_per_group[c.groups] = np.bincount(c.search_group, minlength=c.n_groups)
        state = _GroupState.empty(self.layout.n_groups)
        self.scores: list[list[TrialScores]] = [[] for _ in chunks]
        self.oof: list[dict[int, np.ndarray]] = [{} for _ in chunks]
        if self.deadline is not None and self.time_budget is not None:  # leave the first rung's selection its time
            first = start + self.time_budget - self._selection_seconds(len(self.rungs[0].trials))
            self.deadline = min(self.deadline, max(first, start + MIN_SEARCH_SHARE * self.time_budget))
        self._rung_seconds: dict[int, float] = {}
        self._units: dict[int, float] = {}
        self.climbed: list[Rung] = []
        self.bar = progress_bar(self.progress, total=0, desc="groups x trials", unit="trial")
        reason = self._climb(chunks, handles, state, start)
        n_trials = sum(len(r.trials) for r in self.climbed)
        logger.info("Search stopped after %d trials (%.1fs): %s.", n_trials, time.time() - start, reason)
        result = self._refit(chunks, handles, reason, plan)
        self.bar.close()
        return result

    def _climb(self, chunks: list[ChunkData], handles: list[Any], state: _GroupState, start: float) -> str:
        """Run the rungs, fixed then tuned, until the ladder, the groups or the budget end; say why."""
        promoted = np.arange(self.layout.n_groups)
        for r, rung in enumerate(self._rungs()):
            candidates = self._promote(r, rung, state, promoted)
            promoted = np.sort(self._affordable(rung, candidates, fixed=r < len(self.rungs)))
            if promoted.size == 0 and candidates.size:
                return f"the time left pays for no group at rung {rung.name!r}"
            if promoted.size == 0:
                return f"no group left to promote to rung {rung.name!r}"
            if self.deadline is not None and time.time() >= self.deadline:
                return f"time budget reached before rung {rung.name!r}"
            self.climbed.append(rung)
            tic = time.time()
            jobs = self._trial_jobs(r, rung, promoted, state, chunks, handles)
            for job, outcome in self._joined(self._stream(jobs, run_trials, "trials", self._abandon_trials_at())):
                self._record(job, outcome, state, r)
            self._rung_seconds[r] = time.time() - tic
            logger.info("Rung %r: %d groups in %.1fs.", rung.name, promoted.size, self._rung_seconds[r])
            self._tell(rung, state)
            self._move_deadline(start)
            if self.log is not None:
                self.log.write_frame("leaderboard", self._leaderboard([], None))
        return "every rung climbed"

    def _rungs(self) -> Iterator[Rung]:
        """The fixed rungs, then tuned rungs proposed from the results so far."""
        yield from self.rungs
        while not self.tuner.exhausted:
            rung, costs = self.tuner.rung(len(self.cost), TUNED_TRIALS)
            self.cost.update(costs)
            yield rung

    def _tell(self, rung: Rung, state: _GroupState) -> None:
        """Tell the tuner each trial's loss relative to the cheap rung's, over the groups it ran on."""
        parts: dict[int, tuple[list[np.ndarray], list[np.ndarray]]] = {t.number: ([], []) for t in rung.trials}
        for chunk_scores, chunk in zip(self.scores, self.chunks, strict=True):
            for s in chunk_scores:
                if s.trial.number in parts:
                    ok = np.array([st == "ok" for st in s.status]) & np.isfinite(s.score)
                    parts[s.trial.number][0].append(np.where(ok, self.sign * s.score, np.inf))
                    parts[s.trial.number][1].append(state.cheap[chunk.groups[s.groups]])
        for trial in rung.trials:
            losses, cheap = parts[trial.number]
            self.tuner.tell(trial, relative_losses(np.concatenate(losses), np.concatenate(cheap)) if losses else np.inf)

    def _move_deadline(self, start: float) -> None:
        """Leave the refit the time it will take: each chunk's most expensive trials fitted once more.

        A member is one job on one worker, except a local member when there are fewer chunks than
        workers: its refit is then split by series across the workers.
        """
        if self.time_budget is None or self.end is None:
            return
        dearest = [sorted(chunk, key=lambda s: s.fit_seconds, reverse=True)[:_REFIT_MEMBERS] for chunk in self.scores]
        total = sum(s.fit_seconds for d in dearest for s in d)
        split = self.backend.n_workers if len(self.scores) < self.backend.n_workers else 1
        largest = max((s.fit_seconds / (1 if self.spec.is_global(s.trial.learner) else split)
                       for d in dearest for s in d), default=0.0)
        refit = REFIT_SAFETY * self._wall_units(total, largest)
        reserve = max(refit + self._selection_seconds(), (1.0 - MAX_SEARCH_SHARE) * self.time_budget)
        self.deadline = min(start + MAX_SEARCH_SHARE * self.time_budget, self.end - reserve)

    def _selection_seconds(self, more_trials: int = 0) -> float:
        """Estimated time of the selection over the out-of-fold forecasts kept (and ``more_trials`` to come)."""
        values = sum(matrix.size for kept in self.oof for matrix in kept.values())
        values += more_trials * sum(chunk.search.size for chunk in self.chunks) * self.spec.width
        return REFIT_SAFETY * SELECTION_SECONDS_PER_VALUE * values

    # --------------------------------------------------------------- memory
    def _plan(self, panel: Panel) -> MemoryPlan:
        ctx = self.spec.context
        season = int(ctx.get("season_length", 1))
        n_features = feature_count(
            panel.freq, self.spec.horizon, season_length=season, n_exogenous=len(panel.exog), holidays=bool(ctx.get("holidays"))
        )
        data_bytes = panel.target.values.nbytes + panel.times.nbytes + sum(v.nbytes for v in panel.exog.values())
        n_trials = sum(len(r.trials) for r in self.rungs)
        kept = panel.n_series * (self.spec.width * 8 * n_trials + FITTED_SERIES_BYTES)  # forecasts and models kept here
        in_process = isinstance(self.backend, LocalBackend) and self.backend.n_workers == 1
        processes = 0 if in_process else self.backend.n_workers
        base = _process_memory() + data_bytes + kept + RUNTIME_BYTES + processes * WORKER_PROCESS_BYTES
        plan = plan_memory(
            panel.target.lengths, self.layout.codes, n_features, max_memory=self.max_memory,
            n_workers=self.backend.n_workers, base_bytes=base,
            min_chunks=max(_CHUNKS_PER_WORKER * self.backend.n_workers, math.ceil(panel.n_series / _SERIES_PER_CHUNK)),
            horizon=self.spec.horizon, season_length=season,
            seed=self.seed, learners=[n for n in self.spec.learners if self.spec.is_global(n)], label=self.layout.label,
        )
        logger.info("%s", plan.describe())
        for change in plan.changes:
            warnings.warn(f"Memory plan: {change}", TsAutoMLWarning, stacklevel=4)
        return plan

    def _chunks(self, panel: Panel, plan: MemoryPlan) -> list[ChunkData]:
        chunks = []
        for index, groups in enumerate(plan.chunks):
            sizes = self.layout.sizes[groups]
            series = self.layout.series_of(groups)
            ptr = offsets(sizes)
            search = [
                ptr[k] + plan.search_series[int(g)] if int(g) in plan.search_series else np.arange(ptr[k], ptr[k + 1])
                for k, g in enumerate(groups)
            ]
            chunks.append(ChunkData(index=index, series=series, groups=np.asarray(groups), group_ptr=ptr,
                                    search=np.concatenate(search), panel=panel.select(series)))
        return chunks

    # ------------------------------------------------------------- schedule
    def _promote(self, r: int, rung: Rung, state: _GroupState, previous: np.ndarray) -> np.ndarray:
        """The groups that may climb rung ``r``, most promising first.

        Those still climbing; for the later rungs, the better half of those where the dearer
        models paid.
        """
        if r == 0:
            return previous
        alive = previous[np.isfinite(state.best[previous])]
        if self.max_trials is not None:
            alive = alive[state.done[alive] < self.max_trials]
        if self.exit_score is not None:
            alive = alive[state.best[alive] > self.sign * self.exit_score]  # best is a loss
        if self.patience is not None:
            alive = alive[state.stale[alive] < self.patience]
        if rung.keep < 1.0 and r > 1:  # later rungs: only where the dearer models paid, the better share of them
            gain = (state.cheap[alive] - state.best[alive]) / np.maximum(np.abs(state.cheap[alive]), 1e-12)
            order = np.lexsort((alive, -gain))
            alive = alive[order][gain[order] > 0]
            alive = alive[: math.ceil(rung.keep * previous.size)]
        elif rung.keep < 1.0:  # no dearer model has run yet: the worse-forecast share, with the most room
            alive = alive[np.lexsort((alive, -state.best[alive]))][: math.ceil(rung.keep * previous.size)]
        else:  # bigger groups first
            alive = alive[np.lexsort((alive, -self.layout.sizes[alive]))]
        return alive

    def _affordable(self, rung: Rung, groups: np.ndarray, fixed: bool) -> np.ndarray:
        """The leading ``groups`` the time left can pay for, from the pace of the rungs so far.

        When not one group can pay for a ``fixed`` rung (the learners with the strongest prior),
        it still runs on the first group: the relative costs are rough, and a trial too slow for
        the time left stops itself early (its folds' deadlines and the learners' pace checks) or
        carries its first window forward. A tuned rung that no group can pay for ends the search.
        """
        if self.deadline is None or not self._rung_seconds or groups.size == 0:
            return groups
        spent = sum(self._rung_seconds.values())
        pace = spent / max(sum(self._units[k] for k in self._rung_seconds), 1e-9)  # seconds per unit of wall time
        left = self.deadline - time.time()
        costs = np.array([self.cost[t.number] for t in rung.trials])
        with_refit = pace * (1 + REFIT_SAFETY / self.spec.n_windows)
        series = self._series_per_group[groups]
        need = self._wall_units(np.cumsum(series) * costs.sum(), np.maximum.accumulate(series) * costs.max()) * with_refit
        return groups[need <= left] if need[0] <= left else groups[: int(fixed)]

    def _wall_units(self, total: Any, largest: Any) -> Any:
        """Wall-time units of work ``total`` (series x cost) shared by the workers, never below its ``largest`` job."""
        return np.maximum(total / self.backend.n_workers, largest)

    def _trial_jobs(
        self, r: int, rung: Rung, promoted: np.ndarray, state: _GroupState, chunks: list[ChunkData], handles: list[Any]
    ) -> list[_Job]:
        """One job per chunk (and per trial count, when ``max_trials`` cuts a rung short for some groups).

        When that makes fewer jobs than workers (a few big groups, or one), every trial is a job
        of its own, so the workers share the rung.
        """
        allowed = np.full(self.layout.n_groups, len(rung.trials))
        if self.max_trials is not None:
            allowed = np.minimum(allowed, np.maximum(self.max_trials - state.done, 0))
        cost = np.cumsum([0.0] + [self.cost[t.number] for t in rung.trials])
        series = self._series_per_group[promoted]
        member = np.zeros(self.layout.n_groups, dtype=bool)
        member[promoted] = True
        work: list[tuple[ChunkData, Any, np.ndarray, tuple[Trial, ...]]] = []
        for chunk, handle in zip(chunks, handles, strict=True):
            local = np.flatnonzero(member[chunk.groups])
            for count in np.unique(allowed[chunk.groups[local]]):
                groups = local[allowed[chunk.groups[local]] == count]
                if count > 0 and groups.size:
                    work.append((chunk, handle, groups, rung.trials[:count]))
        shards: list[int] = [1] * len(work)
        if len(work) < self.backend.n_workers:  # dearest first, so the cheap ones fill the other workers
            work = [(c, h, g, (t,)) for c, h, g, trials in work for t in sorted(trials, key=lambda t: -self.cost[t.number])]
            shards = [self._shards(trials[0], int(np.isin(c.search_group, g).sum())) for c, _, g, trials in work]
        jobs = []
        for (chunk, handle, groups, trials), n in zip(work, shards, strict=True):
            key = f"r{r}-c{chunk.index}-t{trials[0].number}-{len(trials)}-{data_digest(chunk.groups[groups])[:8]}"
            for k in range(n):
                job = TrialsJob(chunk=None, spec=self.spec, trials=trials, groups=groups, deadline=self.deadline, shard=(k, n))
                jobs.append(_Job(key=key + (f"-s{k}of{n}" if n > 1 else ""), chunk=chunk, rung=r, work=job, handle=handle))
            self.bar.total += groups.size * len(trials)
        largest = max(float(self._series_per_group[c.groups[g]].sum()) * sum(self.cost[t.number] for t in trials) / n
                      for (c, _, g, trials), n in zip(work, shards, strict=True)) if work else 0.0
        self._units[r] = float(self._wall_units(np.sum(series * cost[allowed[promoted]]), largest))
        self.bar.refresh()
        return jobs

    def _shards(self, trial: Trial, n_series: int) -> int:
        """Into how many jobs a local trial (or refit) on ``n_series`` of few big groups is split by series."""
        if self.spec.is_global(trial.learner):
            return 1
        return max(1, min(self.backend.n_workers, n_series // _SERIES_PER_SHARD))

    def _joined(self, outcomes: Iterator[tuple[_Job, Any]]) -> Iterator[tuple[_Job, TrialsOutcome | Failure]]:
        """The jobs' outcomes, a split trial's shards joined into one (:func:`merge_shards`) once all have finished."""
        waiting: dict[tuple[int, int, bytes], list[tuple[_Job, TrialsOutcome]]] = {}
        for job, outcome in outcomes:
            n = job.work.shard[1]
            if n == 1:
                yield job, outcome
                continue
            if isinstance(outcome, Failure):  # the shard's worker was lost twice or it was abandoned: its series say so
                failed = [uniform_scores(t, job.work.groups, self.spec, outcome.status, outcome.error, 0.0) for t in job.work.trials]
                outcome = TrialsOutcome(chunk=job.chunk.index, scores=failed, oof={})
            parts = waiting.setdefault((job.chunk.index, job.work.trials[0].number, job.work.groups.tobytes()), [])
            parts.append((job, outcome))
            if len(parts) == n:
                parts.sort(key=lambda part: part[0].work.shard[0])
                yield parts[0][0], merge_shards(job.chunk, self.spec, [part[1] for part in parts])

    def _abandon_trials_at(self) -> float | None:
        """When trial jobs still running are abandoned: as late as the refit allows, never before the deadline's grace.

        By then a job's own watchdog has given up any stuck trial, so only a worker stuck
        beyond its reach (or still starting up) is lost.
        """
        if self.deadline is None or self.end is None or self.time_budget is None:
            return None
        return max(self.deadline + 2 * ABANDON_AFTER, self.end - ABANDON_SHARE * self.time_budget)

    def _stream(self, jobs: list[_Job], fn: Any, log: str, abandon_at: float | None) -> Iterator[tuple[_Job, Any]]:
        """Each job's outcome as it finishes: loaded from the run directory, or run on the backend and saved.

        A job still running at ``abandon_at`` is abandoned (a timed-out failure).
        """
        pending = []
        for job in jobs:
            saved = None if self.log is None else self.log.load(job.key)
            if saved is not None:
                yield job, saved
            else:
                pending.append(job)
        # Dask resolves handles inside a tuple on the worker; a job's large fields are shipped the same way
        items = [(job.handle, None if job.payload is None else self.backend.put(job.payload), job.work) for job in pending]
        for i, outcome in self.backend.imap_unordered(functools.partial(_with_chunk, fn), items, abandon_at):
            job = pending[i]
            if self.log is not None and not isinstance(outcome, Failure):
                self.log.save(job.key, outcome, log, self._lines(job, outcome))
            yield job, outcome

    def _lines(self, job: _Job | ChunkData, outcome: Any) -> list[dict[str, Any]]:
        """The JSON lines of a finished trials job (one per group and trial) or refitted chunk (one per group)."""
        if isinstance(outcome, TrialsOutcome):
            assert isinstance(job, _Job)
            codes = job.chunk.groups
            return [
                {"rung": job.rung, "chunk": job.chunk.index, "group": self.layout.label(int(codes[g])), "trial": s.trial.key,
                 "model": s.trial.learner, "params": s.trial.params, "status": st, "score": _json_float(sc),
                 "window_scores": [_json_float(v) for v in ws], "error": err, "job_seconds": round(s.duration, 3),
                 "shard": "{}/{}".format(*job.work.shard)}
                for s in outcome.scores
                for g, st, sc, ws, err in zip(s.groups, s.status, s.score, s.window_scores, s.error, strict=True)
            ]
        if isinstance(outcome, ChunkModel):
            return [
                {"group": self.layout.label(c.group), "members": [t.key for t in c.members], "weights": list(c.weights),
                 "params": [t.params for t in c.members], "score": _json_float(c.score), "note": c.note}
                for c in outcome.choices
            ]
        return []

    def _record(self, job: _Job, outcome: TrialsOutcome | Failure, state: _GroupState, r: int) -> None:
        """Keep a chunk's scores and forecasts and update its groups' state (a lost chunk records failures)."""
        work: TrialsJob = job.work
        if isinstance(outcome, Failure):  # the chunk's worker was lost twice or it was abandoned: its groups say so
            failed = [uniform_scores(t, work.groups, self.spec, outcome.status, outcome.error, 0.0) for t in work.trials]
            outcome = TrialsOutcome(chunk=job.chunk.index, scores=failed, oof={})
        self.scores[job.chunk.index].extend(outcome.scores)
        kept = self.oof[job.chunk.index]
        for number, matrix in outcome.oof.items():  # two jobs of a rung on one chunk fill different rows
            if number in kept:
                rows = np.isfinite(matrix).any(axis=1)
                kept[number][rows] = matrix[rows]
            else:
                kept[number] = matrix
        for s in outcome.scores:
            g = job.chunk.groups[s.groups]
            ok = np.array([st == "ok" for st in s.status]) & np.isfinite(s.score)
            loss = np.where(ok, self.sign * s.score, np.inf)
            improved = loss < state.best[g]
            state.best[g] = np.minimum(state.best[g], loss)
            state.stale[g] = np.where(improved, 0, state.stale[g] + 1)
            state.done[g] += np.array([st != "skipped" for st in s.status], dtype=np.int64)
            if r == 0:
                state.cheap[g] = np.minimum(state.cheap[g], loss)
        self.bar.update(work.groups.size * len(work.trials))
        self.bar.set_postfix_str(f"rung {self.climbed[r].name}")

    # ------------------------------------------------------------ selection
    def _select(self, chunks: list[ChunkData]) -> tuple[Strategy, dict[str, float]]:
        """The strategy chosen on the honest losses of every chunk (:func:`choose_strategy`)."""
        strategies = strategies_for(int(self.layout.sizes.max(initial=1)))
        losses = [strategy_losses(c, self.spec, self.scores[c.index], self.oof[c.index], self.sign, strategies) for c in chunks]
        strategy, means = choose_strategy(strategies, losses)
        if means:
            logger.info("Honest validation loss of each way of combining trials: %s; chosen: %s.",
                        {k: round(v, 4) for k, v in means.items()}, strategy.name)
        return strategy, {name: self.sign * m for name, m in means.items()}

    # ---------------------------------------------------------------- refit
    def _refit(self, chunks: list[ChunkData], handles: list[Any], reason: str, plan: MemoryPlan) -> SearchResult:
        """Choose how to combine the trials, refit the chosen members on the workers, assemble every chunk."""
        fallback, fallback_note = self._fallback()
        started = np.zeros(self.layout.n_groups, dtype=bool)
        for chunk_scores, chunk in zip(self.scores, chunks, strict=True):
            for s in chunk_scores:
                started[chunk.groups[s.groups[[st != "skipped" for st in s.status]]]] = True
        strategy, strategy_scores = self._select(chunks)
        picks = {c.index: chunk_choice(c, self.spec, self.scores[c.index], self.oof[c.index], self.sign, strategy) for c in chunks}
        notes = {c.index: {g: "fallback: the time budget ran out before the group started" for g in range(c.n_groups)
                           if not started[c.groups[g]]} for c in chunks}
        outcomes: dict[int, list[FittedMembers]] = {c.index: [] for c in chunks}
        for job, outcome in self._stream(self._refit_jobs(chunks, handles, picks, plan), refit_members, "groups",
                                        None if self.end is None else self.end + 2 * ABANDON_AFTER):
            if isinstance(outcome, Failure):  # the job's worker was lost twice or it was abandoned: its members failed
                assert job.payload is not None  # every refit job carries its weights
                served = job.payload["weights"] > 0  # the series this job refits each member on
                outcome = FittedMembers([], [(t, np.flatnonzero(served[:, m]), outcome.error)
                                             for m, t in enumerate(job.work.members)])
            outcomes[job.chunk.index].append(outcome)
        models = {}
        for c in chunks:
            pick = picks[c.index]
            model = models[c.index] = assemble_chunk(c, self.spec, pick.members, pick.weights, pick.scores, outcomes[c.index],
                                                     fallback, notes[c.index])
            if self.log is not None:
                self.log.append("groups", self._lines(c, model))
            self.bar.update(c.n_groups)
        result = self._assemble(chunks, models, picks, started, reason, fallback_note, strategy, strategy_scores)
        if self.log is not None:
            self.log.write_frame("leaderboard", result.report.leaderboard)
        return result

    def _refit_jobs(
        self, chunks: list[ChunkData], handles: list[Any], picks: dict[int, ChunkChoice], plan: MemoryPlan
    ) -> list[_Job]:
        """One job per chunk; when that makes fewer jobs than workers, one per chunk and member."""
        per_member = len(chunks) < self.backend.n_workers
        jobs = []
        for chunk, handle in zip(chunks, handles, strict=True):
            pick = picks[chunk.index]
            shrunk = [g for g in range(chunk.n_groups) if int(chunk.groups[g]) in plan.search_series]
            history = {g: plan.max_history for g in shrunk} if plan.max_history else {}
            parts = [[m] for m in range(len(pick.members))] if per_member else [list(range(len(pick.members)))]
            for part in parts:
                work = RefitJob(chunk=None, spec=self.spec, members=[pick.members[m] for m in part], weights=np.empty((0, 0)),
                                deadline=self.end, max_history=history)
                key = f"refit-c{chunk.index}" + (f"-t{pick.members[part[0]].number}" if per_member else "")
                weights = pick.weights[:, part]
                users = np.flatnonzero(weights.sum(axis=1) > 0)
                n = self._shards(pick.members[part[0]], users.size) if per_member else 1
                for k in range(n):  # a local member serving many series: each shard refits every n-th of them
                    shard = np.zeros_like(weights)
                    shard[users[k::n]] = weights[users[k::n]]
                    jobs.append(_Job(key=key + (f"-s{k}of{n}" if n > 1 else ""), chunk=chunk, rung=-1, work=work,
                                     handle=handle, payload={"weights": shard if n > 1 else weights}))
        self.bar.total += self.layout.n_groups
        return jobs

    def _fallback(self) -> tuple[Trial, str]:
        """The cheap trial with the best mean loss over the groups it ran on.

        When none ran (all abandoned or failed), plain :class:`Naive` if the rung has it, else the rung's first.
        """
        cheap = self.rungs[0].trials
        totals = {t.number: [0.0, 0] for t in cheap}
        for chunk_scores in self.scores:
            for s in chunk_scores:
                if s.trial.number in totals:
                    ok = np.array([st == "ok" for st in s.status]) & np.isfinite(s.score)
                    totals[s.trial.number][0] += float(np.sum(self.sign * s.score[ok]))
                    totals[s.trial.number][1] += int(ok.sum())
        ranked = sorted(cheap, key=lambda t: (totals[t.number][0] / totals[t.number][1] if totals[t.number][1] else math.inf,
                                              self.spec.learners[t.learner] is not Naive, t.number))
        best = ranked[0]
        if not totals[best.number][1]:
            return best, f"{best.key} (no cheap model finished on any group)"
        return best, f"{best.key} (the best cheap model over the groups that ran)"

    def _assemble(
        self, chunks: list[ChunkData], models: dict[int, ChunkModel], picks: dict[int, ChunkChoice], started: np.ndarray,
        reason: str, fallback_note: str, strategy: Strategy, strategy_scores: dict[str, float],
    ) -> SearchResult:
        components, choices, backtests, failures = [], [], [], {}
        for chunk in chunks:
            model = models[chunk.index]
            for comp in model.components:
                components.append(Component(trial=comp.trial, series=chunk.series[comp.series], weights=comp.weights,
                                            learner=comp.learner))
            choices.extend(model.choices)
            backtests.append(chunk_backtest(chunk, self.spec, self.scores[chunk.index], self.oof[chunk.index], self.sign,
                                            picks[chunk.index].honest))
            failures.update(model.failures)
        unstarted = np.flatnonzero(~started)
        listed = self.layout.frame(unstarted)
        listed["model"] = fallback_note
        if unstarted.size:
            warnings.warn(
                f"{unstarted.size} of {self.layout.n_groups} groups were never started within the time budget; "
                f"they get {fallback_note}. See unstarted_groups().", TsAutoMLWarning, stacklevel=4,
            )
        report = SearchReport(
            leaderboard=self._leaderboard(choices, strategy_scores, strategy.name),
            group_choices=choices_frame(self.layout, choices, self.spec.metric),
            group_trials=group_trials(self.layout, chunks, self.scores, self.spec.metric), unstarted=listed, plan=self.plan,
            stop_reason=reason, selection=strategy.name, refit_failures=failures,
        )
        return SearchResult(components=components, choices=choices, backtest=Backtest.concat(backtests), report=report)

    def _leaderboard(self, choices: list[GroupChoice], strategies: dict[str, float] | None, chosen: str = "") -> pd.DataFrame:
        return leaderboard(self.scores, self.climbed, choices, strategies or {}, self.spec.metric, self.sign,
                           self.layout, self._plan_note(), chosen, self._model_notes)

    def _plan_note(self) -> str:
        """What the memory plan shrank, for the leaderboard ("" when nothing)."""
        plan = self.plan
        if not plan.search_series and plan.max_history is None:
            return ""
        note = f"memory plan: {len(plan.search_series)} group(s) scored on a subsample of their series"
        if plan.max_history is not None:
            note += f"; their global-model refits keep the last {plan.max_history} points"
        return note + " (see memory_plan().changes)"

    def _fingerprint(self, panel: Panel) -> dict[str, Any]:
        """What a resumed run must share with the first: settings and data (it reuses the first run's plan)."""
        data = data_digest(panel.target.values, panel.times.view(np.int64), panel.indptr, self.layout.codes)
        spec = {k: v for k, v in self.spec.context.items() if k != "n_jobs"}
        return {
            "data": data, "horizon": self.spec.horizon, "metric": self.spec.metric,
            "n_windows": self.spec.n_windows, "step": self.spec.step, "carry_forward": self.spec.carry_forward,
            "learners": sorted(self.spec.learners),
            "context": json.dumps(spec, sort_keys=True, default=str), "max_trials": self.max_trials,
            "exit_score": self.exit_score, "patience": self.patience, "seed": self.seed,
            "ladder": [[t.key for t in r.trials] for r in self.rungs],
        }


@dataclass(frozen=True)
class _Job:
    """A unit of work: its run-directory key, chunk, rung (-1: refit), job, and what is shipped apart.

    ``handle`` is the chunk's data on the backend; ``payload`` the job's large fields.
    """

    key: str
    chunk: ChunkData
    rung: int
    work: Any
    handle: Any
    payload: dict[str, Any] | None = None


def _with_chunk(fn: Callable[[Any], Any], item: tuple[ChunkData, dict[str, Any] | None, Any]) -> Any:
    """``fn(job)`` with the job's chunk and large fields filled in from the shipped data (runs on a worker)."""
    chunk, payload, work = item
    return fn(replace(work, chunk=chunk, **(payload or {})))


def _json_float(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def _process_memory() -> int:
    """Resident bytes of this process."""
    import psutil

    return int(psutil.Process().memory_info().rss)
