"""Each group's choice (its best trial, or the mean of its best two or three) and the refit of a chunk's choices."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field, replace

import numpy as np
from sklearn.base import clone

from tsautoml.ensemble.blend import Component
from tsautoml.exceptions import DataValidationError
from tsautoml.many.chunk import ChunkData, SearchSpec, TrialScores, group_window_scores, window_mean
from tsautoml.models.base import BaseLearner
from tsautoml.search.trial import Trial

__all__ = ["TOP_K", "ChunkModel", "GroupChoice", "RefitJob", "blend_losses", "choose", "refit_chunk"]

TOP_K = 3  # blends of the best two and three trials are scored next to the best one


@dataclass(frozen=True)
class GroupChoice:
    """What serves a group: member trials and weights, the blend's validation score, and any note."""

    group: int
    members: tuple[Trial, ...]
    weights: tuple[float, ...]
    score: float
    note: str = ""


@dataclass(frozen=True)
class RefitJob:
    """Choose and refit every group of a chunk on all its series, before ``deadline`` (epoch seconds)."""

    chunk: object  # ChunkData (None while the job is shipped apart from the chunk)
    spec: SearchSpec
    scores: list[TrialScores]
    oof: dict[int, np.ndarray]
    fallback: Trial
    notes: dict[int, str] = field(default_factory=dict)  # group position -> why it gets the fallback
    greater_is_better: bool = False
    deadline: float | None = None
    max_history: dict[int, int] = field(default_factory=dict)  # group position -> points kept by global refits
    blend_size: int | None = None  # every group blends its best this many trials (None: each group's best blend)


@dataclass
class ChunkModel:
    """A refitted chunk: its choices, fitted components (chunk positions) and the blend's out-of-fold errors."""

    chunk: int
    choices: list[GroupChoice]
    components: list[Component]
    errors: np.ndarray
    failures: dict[str, str]


def _ranked(
    scores: list[TrialScores], n_groups: int, sign: float, windows: slice = slice(None)
) -> list[list[tuple[float, int]]]:
    """Per group, its scored trials as (loss over ``windows``, trial number), best first."""
    ranked: list[list[tuple[float, int]]] = [[] for _ in range(n_groups)]
    for s in scores:
        means = window_mean(s.window_scores[:, windows])
        for g, status, mean in zip(s.groups, s.status, means, strict=True):
            if status == "ok" and np.isfinite(mean):
                ranked[g].append((sign * float(mean), s.trial.number))
    for r in ranked:
        r.sort()
    return ranked


def blend_losses(
    chunk: ChunkData, spec: SearchSpec, scores: list[TrialScores], oof: dict[int, np.ndarray], greater_is_better: bool,
    *, honest: bool = False,
) -> np.ndarray:
    """``(n_groups, TOP_K)`` validation loss of each group's best trial and of the mean of its best 2, 3 (NaN: too few).

    ``honest``: rank the trials on every window but the last and score the blends on the
    last one only, so the best single trial is not favoured by having been picked on the
    windows that score it (needs two windows or more).
    """
    sign = -1.0 if greater_is_better else 1.0
    honest = honest and spec.n_windows >= 2
    ranked = _ranked(scores, chunk.n_groups, sign, slice(0, spec.n_windows - 1) if honest else slice(None))
    losses = np.full((chunk.n_groups, TOP_K), np.nan)
    folds = chunk.search_folds(spec)
    for k in range(1, TOP_K + 1):
        groups = np.array([g for g in range(chunk.n_groups) if len(ranked[g]) >= k], dtype=np.int64)
        if groups.size:
            matrix = _blend_oof(chunk, groups, [[n for _, n in ranked[g][:k]] for g in groups], oof, spec)
            window = group_window_scores(chunk.search_panel, folds, matrix, chunk.search_group, groups, spec)
            losses[groups, k - 1] = sign * (window[:, -1] if honest else window_mean(window))
    return losses


def choose(chunk: ChunkData, spec: SearchSpec, job: RefitJob) -> list[GroupChoice]:
    """Per group: the mean of its best ``job.blend_size`` trials (fewer if it has fewer), else its best blend."""
    sign = -1.0 if job.greater_is_better else 1.0
    ranked = _ranked(job.scores, chunk.n_groups, sign)
    losses = blend_losses(chunk, spec, job.scores, job.oof, job.greater_is_better)
    trials = {s.trial.number: s.trial for s in job.scores}
    choices = []
    for g in range(chunk.n_groups):
        code = int(chunk.groups[g])
        if g in job.notes or not ranked[g]:
            note = job.notes.get(g, "fallback: no trial succeeded")
            choices.append(GroupChoice(code, (job.fallback,), (1.0,), np.nan, note))
            continue
        finite = np.flatnonzero(np.isfinite(losses[g]))
        k = min(job.blend_size, len(ranked[g])) if job.blend_size else int(finite[np.argmin(losses[g, finite])]) + 1
        members = tuple(trials[n] for _, n in ranked[g][:k])
        choices.append(GroupChoice(code, members, (1.0 / k,) * k, sign * float(losses[g, k - 1])))
    return choices


def _blend_oof(
    chunk: ChunkData, groups: np.ndarray, members: list[list[int]], oof: dict[int, np.ndarray], spec: SearchSpec
) -> np.ndarray:
    """Out-of-fold forecasts of each group's equal-weight blend of ``members`` (other rows NaN)."""
    matrix = np.full((chunk.search.size, spec.width), np.nan)
    for g, numbers in zip(groups, members, strict=True):
        rows = np.flatnonzero(chunk.search_group == g)
        matrix[rows] = np.mean([oof[n][rows] for n in numbers], axis=0)
    return matrix


def refit_chunk(job: RefitJob) -> ChunkModel:
    """Choose per group, refit every member on all the group's series, blend (runs on a worker).

    Local learners are fitted once on all the series of the groups that chose them, global
    learners once per group. A member that fails to refit is dropped and the weights
    renormalised; a group left with none gets the fallback trial, with a note.
    """
    chunk: ChunkData = job.chunk  # type: ignore[assignment]
    spec = job.spec
    choices = choose(chunk, spec, job)
    users: dict[int, list[int]] = defaultdict(list)  # trial number -> group positions using it
    trials: dict[int, Trial] = {}
    for g, choice in enumerate(choices):
        for trial in choice.members:
            users[trial.number].append(g)
            trials[trial.number] = trial
    fitted: dict[tuple[int, int], tuple[np.ndarray, BaseLearner]] = {}  # (trial, group position or -1: all users)
    failures: dict[str, str] = {}
    for number, groups in sorted(users.items()):  # cheapest first (trials are numbered up the ladder)
        trial = trials[number]
        units = [(g, [g]) for g in groups] if spec.is_global(trial.learner) else [(-1, groups)]
        for key, unit in units:
            series = np.flatnonzero(np.isin(chunk.local_group, unit))
            unit_spec = spec
            if key in job.max_history:  # the memory plan shrank this group's global refit
                unit_spec = replace(spec, context={**spec.context, "max_history": job.max_history[key]})
            try:
                fitted[(number, key)] = (series, _fit(chunk, unit_spec, trial, series, job.deadline))
            except Exception as exc:  # a member that cannot be refitted gives way
                failures[trial.key] = f"{type(exc).__name__}: {exc}"[:300]
    final = [_renormalise(g, c, fitted, job.fallback) for g, c in enumerate(choices)]
    _fit_orphans(chunk, spec, job.fallback, final, fitted, users)
    return ChunkModel(chunk.index, final, _components(chunk, final, fitted), _errors(chunk, spec, final, job.oof), failures)


def _fit_orphans(
    chunk: ChunkData, spec: SearchSpec, fallback: Trial, final: list[GroupChoice], fitted: dict, users: dict[int, list[int]]
) -> None:
    """Fit the fallback, without a deadline, on the groups it serves that no fitted unit covers yet."""
    number = fallback.number
    covered = set(users.get(number, [])) if (number, -1) in fitted else set()
    orphans = [g for g, c in enumerate(final) if c.members == (fallback,) and g not in covered and (number, g) not in fitted]
    if not orphans:
        return
    units = [(g, [g]) for g in orphans] if spec.is_global(fallback.learner) else [(-2, orphans)]
    for key, unit in units:
        series = np.flatnonzero(np.isin(chunk.local_group, unit))
        try:
            fitted[(number, key)] = (series, _fit(chunk, spec, fallback, series, None))
        except Exception as exc:
            labels = ", ".join(str(chunk.groups[g]) for g in unit[:5])
            raise DataValidationError(
                f"Group(s) {labels} could not be fitted at all: their chosen models failed and so did the fallback "
                f"{fallback.key} ({type(exc).__name__}: {exc}). Check their series (length, missing values)."
            ) from exc


def _fit(chunk: ChunkData, spec: SearchSpec, trial: Trial, series: np.ndarray, deadline: float | None) -> BaseLearner:
    panel = chunk.panel if series.size == chunk.panel.n_series else chunk.panel.select(series)
    monotonic = None if deadline is None else time.monotonic() + max(deadline - time.time(), 0.1)
    return clone(spec.make_learner(trial)).fit(panel, deadline=monotonic)


def _renormalise(g: int, choice: GroupChoice, fitted: dict, fallback: Trial) -> GroupChoice:
    kept = [(t, w) for t, w in zip(choice.members, choice.weights, strict=True)
            if (t.number, -1) in fitted or (t.number, g) in fitted]
    if len(kept) == len(choice.members):
        return choice
    dropped = ", ".join(t.key for t in choice.members if all(t is not k for k, _ in kept))
    if not kept:
        return GroupChoice(choice.group, (fallback,), (1.0,), np.nan, f"fallback: the refit of {dropped} failed")
    total = sum(w for _, w in kept)
    return GroupChoice(choice.group, tuple(t for t, _ in kept), tuple(w / total for _, w in kept), choice.score,
                       f"the refit of {dropped} failed; the other members' weights renormalised")


def _components(chunk: ChunkData, choices: list[GroupChoice], fitted: dict) -> list[Component]:
    """One component per fitted learner, with each served series' weight (chunk positions)."""
    trials = {t.number: t for c in choices for t in c.members}
    weight = {n: np.zeros(chunk.n_groups) for n in trials}  # trial -> weight in each group
    for g, choice in enumerate(choices):
        for trial, w in zip(choice.members, choice.weights, strict=True):
            weight[trial.number][g] = w
    return [
        Component(trials[number], series, weight[number][chunk.local_group[series]], learner)
        for (number, _), (series, learner) in fitted.items()
    ]


def _errors(chunk: ChunkData, spec: SearchSpec, choices: list[GroupChoice], oof: dict[int, np.ndarray]) -> np.ndarray:
    """Actual minus the chosen blend's out-of-fold forecast, ``(n_search, windows x horizon)`` (NaN: none)."""
    blend = np.full((chunk.search.size, spec.width), np.nan)
    for g, choice in enumerate(choices):
        if not np.isfinite(choice.score):
            continue
        rows = np.flatnonzero(chunk.search_group == g)
        blend[rows] = sum(w * oof[t.number][rows] for t, w in zip(choice.members, choice.weights, strict=True))
    actual = np.full_like(blend, np.nan)
    y, h = chunk.search_panel.target.values, spec.horizon
    for fold in chunk.search_folds(spec):
        actual[fold.series, fold.window * h : (fold.window + 1) * h] = y[fold.test_index].reshape(-1, h)
    return actual - blend
