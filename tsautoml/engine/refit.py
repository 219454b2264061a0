"""The one refit: every chosen member fitted on all the series it serves, with one fallback chain.

Workers fit the members (:func:`refit_members`): local learners once on all the chunk's
series that give them weight, global learners once per group that uses them. The driver
then assembles each chunk (:func:`assemble_chunk`): a member that failed to refit loses its
weight and the other members' weights are renormalised; a series left with none gets the
fallback trial, recorded with a note on its group. If the fallback fails too, a clear
error names the groups.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from sklearn.base import clone

from tsautoml.backends.base import Failure, call_before
from tsautoml.data.grouped import Panel, concat_ranges
from tsautoml.engine.chunk import ChunkData, SearchSpec
from tsautoml.ensemble.blend import Component
from tsautoml.exceptions import DataValidationError
from tsautoml.models.base import BaseLearner
from tsautoml.search.budget import ABANDON_AFTER
from tsautoml.search.trial import Trial

__all__ = ["ChunkModel", "FittedMembers", "GroupChoice", "RefitJob", "assemble_chunk", "refit_members"]


@dataclass(frozen=True)
class GroupChoice:
    """What serves a group: member trials and their mean weights, the validation score, and any note."""

    group: int
    members: tuple[Trial, ...]
    weights: tuple[float, ...]
    score: float
    note: str = ""


@dataclass(frozen=True)
class RefitJob:
    """Refit some of a chunk's chosen members on all the series they serve before ``deadline`` (epoch seconds).

    ``weights[i, m]`` is ``members[m]``'s weight for the chunk's series ``i``; ``max_history``
    caps the points of a group's (chunk position's) global refits.
    """

    chunk: Any  # ChunkData (None while the job is shipped apart from the chunk)
    spec: SearchSpec
    members: list[Trial]
    weights: np.ndarray
    deadline: float | None = None
    max_history: dict[int, int] = field(default_factory=dict)


@dataclass
class FittedMembers:
    """A refit job's outcome: ``(member trial, chunk series, learner)`` fitted, and ``(trial, series, error)`` failed."""

    fitted: list[tuple[Trial, np.ndarray, BaseLearner]]
    failed: list[tuple[Trial, np.ndarray, str]]


@dataclass
class ChunkModel:
    """A refitted chunk: each group's choice, the fitted components (chunk positions), the failures."""

    chunk: int
    choices: list[GroupChoice]
    components: list[Component]
    failures: dict[str, str]


def refit_members(job: RefitJob) -> FittedMembers:
    """Fit every member of ``job`` on the series it serves (runs on a worker); a failure is recorded."""
    chunk: ChunkData = job.chunk
    out = FittedMembers([], [])
    for m, trial in enumerate(job.members):  # cheapest first: trials are numbered up the ladder
        users = np.flatnonzero(job.weights[:, m] > 0)
        for key, series in _units(chunk, job.spec, trial, users) if users.size else []:
            fit = functools.partial(_fit, chunk, _spec_for(job, key), trial, series, job.deadline)
            try:
                fitted = call_before(fit, None if job.deadline is None else job.deadline + ABANDON_AFTER)
            except Exception as exc:  # a member that cannot be refitted gives way
                out.failed.append((trial, series, f"{type(exc).__name__}: {exc}"[:300]))
                continue
            if isinstance(fitted, Failure):  # stuck past the deadline: left behind
                out.failed.append((trial, series, fitted.error))
            else:
                out.fitted.append((trial, series, fitted))
    return out


def assemble_chunk(
    chunk: ChunkData, spec: SearchSpec, members: list[Trial], weights: np.ndarray, scores: np.ndarray,
    outcomes: list[FittedMembers], fallback: Trial, notes: dict[int, str],
) -> ChunkModel:
    """Drop the members that failed, renormalise, and fit the fallback on the series nothing serves."""
    weights = weights.copy()
    for g in notes:
        weights[chunk.group_ptr[g] : chunk.group_ptr[g + 1]] = 0.0
    column = {t.number: m for m, t in enumerate(members)}
    failures: dict[str, str] = {}
    for outcome in outcomes:
        for trial, series, error in outcome.failed:
            failures[trial.key] = error
            weights[series, column[trial.number]] = 0.0
    total = weights.sum(axis=1)
    weights[total > 0] /= total[total > 0, None]
    components = [
        Component(trial=trial, series=series, weights=weights[series, column[trial.number]], learner=learner)
        for outcome in outcomes for trial, series, learner in outcome.fitted
    ]
    orphans = np.flatnonzero(total <= 0)
    if orphans.size:
        components += _fit_fallback(chunk, spec, fallback, orphans)
    choices = _choices(chunk, members, weights, scores, orphans, notes, failures, fallback)
    return ChunkModel(chunk=chunk.index, choices=choices, components=components, failures=failures)


def _units(chunk: ChunkData, spec: SearchSpec, trial: Trial, users: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """(group position or -1: several groups, chunk series) of each fit of ``trial``: global ones per group."""
    if not spec.is_global(trial.learner):
        return [(-1, users)]
    groups = np.unique(chunk.local_group[users])
    return [(int(g), np.arange(chunk.group_ptr[g], chunk.group_ptr[g + 1])) for g in groups]


def _spec_for(job: RefitJob, key: int) -> SearchSpec:
    """The spec of a group's global refit, with the memory plan's cap on its history."""
    if key in job.max_history:  # the memory plan shrank this group's global refit
        return replace(job.spec, context={**job.spec.context, "max_history": job.max_history[key]})
    return job.spec


def _fit_fallback(chunk: ChunkData, spec: SearchSpec, fallback: Trial, orphans: np.ndarray) -> list[Component]:
    """The fallback, without a deadline, on the series no member serves."""
    units = _units(chunk, spec, fallback, orphans)
    try:
        return [Component(trial=fallback, series=series, weights=np.ones(series.size),
                          learner=_fit(chunk, spec, fallback, series, None)) for _, series in units]
    except Exception as exc:
        labels = ", ".join(str(chunk.groups[g]) for g in np.unique(chunk.local_group[orphans])[:5])
        raise DataValidationError(
            f"Group(s) {labels} could not be fitted at all: their chosen models failed and so did the fallback "
            f"{fallback.key} ({type(exc).__name__}: {exc}). Check their series (length, missing values)."
        ) from exc


def _fit(chunk: ChunkData, spec: SearchSpec, trial: Trial, series: np.ndarray, deadline: float | None) -> BaseLearner:
    """``trial`` fitted on ``series``: on all their data, or (``spec.refit`` False) up to the last cutoff and carried."""
    panel = chunk.panel if series.size == chunk.panel.n_series else chunk.panel.select(series)
    monotonic = None if deadline is None else time.monotonic() + max(deadline - time.time(), 0.1)
    learner = clone(spec.make_learner(trial))
    if spec.refit:
        return learner.fit(panel, deadline=monotonic)
    return learner.fit(_to_last_cutoff(panel, spec), deadline=monotonic).carried(panel, np.arange(panel.n_series), monotonic)


def _to_last_cutoff(panel: Panel, spec: SearchSpec) -> Panel:
    """Each series up to its last validation window's cutoff (a series too short to validate: whole)."""
    lengths = panel.target.lengths
    validated = spec.splitter().windows_available(lengths) > 0
    keep = np.where(validated, lengths - spec.horizon, lengths)
    return panel.take(np.arange(panel.n_series), concat_ranges(panel.indptr[:-1], keep), keep)


def _choices(
    chunk: ChunkData, members: list[Trial], weights: np.ndarray, scores: np.ndarray, orphans: np.ndarray,
    notes: dict[int, str], failures: dict[str, str], fallback: Trial,
) -> list[GroupChoice]:
    """Per group: the members it uses with their mean weights over its series, its score and note."""
    orphan_groups = set(chunk.local_group[orphans].tolist())
    lost = sorted({t.key for t in members if t.key in failures})
    choices = []
    for g in range(chunk.n_groups):
        rows = slice(chunk.group_ptr[g], chunk.group_ptr[g + 1])
        code = int(chunk.groups[g])
        if g in notes or g in orphan_groups:
            note = notes.get(g) or (f"fallback: the refit of {', '.join(lost)} failed" if lost else "fallback: no trial succeeded")
            choices.append(GroupChoice(group=code, members=(fallback,), weights=(1.0,), score=np.nan, note=note))
            continue
        mean = weights[rows].mean(axis=0)
        used = np.flatnonzero(mean > 0)
        note = f"the refit of {', '.join(lost)} failed; the other members' weights renormalised" if lost else ""
        choices.append(GroupChoice(group=code, members=tuple(members[m] for m in used),
                                   weights=tuple(float(mean[m]) for m in used), score=float(scores[g]), note=note))
    return choices
