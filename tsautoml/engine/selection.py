"""The one selection step: ways of combining each group's trials compete on the same held-out windows.

Every strategy turns a chunk's out-of-fold forecasts into weights per group or per series
(:mod:`tsautoml.ensemble.greedy`), and is scored honestly: each validation window is
blended with the weights chosen on the other windows, then scored with the primary metric
per group. One strategy is chosen for the whole run (one choice for all groups is far less
noisy than one per group): ``mean[classic]``, the combination with the strongest prior, is
kept unless another strategy has a lower mean loss over the groups *and* beats it clearly on
the paired (series, window) losses (by more than :data:`CLEAR_WIN` standard errors), so that a
short validation does not overfit the choice. The chosen strategy's weights are then refitted
on every window.

============================  ===========================================================
``mean[classic]``             the equal-weight mean of the best trial of each classic
                              statistical learner (AutoETS, AutoTheta, AutoARIMA, AutoCES:
                              ``LearnerSpec.classic``) in the group, at no extra fit
``best``                      each group's best trial
``top-2``, ``top-3``          the equal-weight mean of each group's best two / three trials
``ensemble``                  a greedy (Caruana) ensemble per group
``select[series]``            each series' best trial (groups of several series only)
``ensemble[series]``          a greedy ensemble per series (groups of several series only)
``ensemble[series,shrunk]``   half a series' greedy weights, half its group's
============================  ===========================================================

Each group's candidates are its five best trials and the best trial of every learner.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tsautoml.engine.chunk import (
    ChunkData,
    SearchSpec,
    TrialScores,
    group_window_scores,
    window_mean,
)
from tsautoml.ensemble.greedy import Method, cross_fit_blend, unit_weights
from tsautoml.search.trial import Trial

logger = logging.getLogger(__name__)

__all__ = [
    "CLEAR_WIN", "PRIOR", "STRATEGIES", "ChunkChoice", "Strategy", "StrategyLosses", "chunk_choice", "choose_strategy",
    "strategies_for", "strategy_losses",
]

_TOP = 5  # best trials of a group among its candidates
_GREEDY_STEPS = 10
CLEAR_WIN = 2.0  # standard errors of the paired loss difference needed to leave the prior strategy


@dataclass(frozen=True, slots=True)
class Strategy:
    """A way of combining trials: per ``unit`` (``"group"`` or ``"series"``), ``method`` with ``k``.

    ``shrink`` (series units only) is the share of the group's own weights in each series' weights.
    """

    name: str
    unit: str
    method: Method
    k: int
    shrink: float = 0.0


PRIOR = Strategy("mean[classic]", "group", "family", 0)
STRATEGIES: tuple[Strategy, ...] = (
    PRIOR,
    Strategy("best", "group", "top", 1),
    Strategy("top-2", "group", "top", 2),
    Strategy("top-3", "group", "top", 3),
    Strategy("ensemble", "group", "greedy", _GREEDY_STEPS),
    Strategy("select[series]", "series", "top", 1),
    Strategy("ensemble[series]", "series", "greedy", _GREEDY_STEPS),
    Strategy("ensemble[series,shrunk]", "series", "greedy", _GREEDY_STEPS, shrink=0.5),
)


def strategies_for(largest_group: int) -> tuple[Strategy, ...]:
    """The strategies worth scoring: the per-series ones only where a group has several series."""
    return tuple(s for s in STRATEGIES if s.unit == "group" or largest_group > 1)


@dataclass(frozen=True, eq=False)
class ChunkChoice:
    """The chosen combination on a chunk.

    ``weights[i, m]`` is the weight of ``members[m]`` for the chunk's series ``i`` (rows sum
    to 1, or are 0 for a group served by ``fallback``); ``honest`` is the honest out-of-fold
    blend, ``(n_search, windows x horizon)``; ``scores`` each group's
    honest validation score (NaN: none).
    """

    members: list[Trial]
    weights: np.ndarray
    honest: np.ndarray
    scores: np.ndarray


@dataclass(frozen=True, eq=False)
class _Pool:
    """A chunk's candidates and the flat out-of-fold rows they are compared on."""

    trials: list[Trial]
    preds: np.ndarray  # (n_candidates, n_rows), NaN where a trial is not a candidate of the row's group
    family: np.ndarray  # (n_candidates,) code of a classic learner, -1 for the others
    y: np.ndarray
    scale: np.ndarray
    row_series: np.ndarray
    row_group: np.ndarray
    row_window: np.ndarray

    @classmethod
    def build(cls, chunk: ChunkData, spec: SearchSpec, scores: list[TrialScores], oof: dict[int, np.ndarray], sign: float) -> _Pool:
        candidates = _candidates(scores, chunk.n_groups, sign)
        numbers = sorted({n for group in candidates for n in group})
        trials = [{s.trial.number: s.trial for s in scores}[n] for n in numbers]
        n_search, width = chunk.search.size, spec.width
        member = np.zeros((len(numbers), chunk.n_groups), dtype=bool)
        position = {n: m for m, n in enumerate(numbers)}
        for g, group in enumerate(candidates):
            member[[position[n] for n in group], g] = True
        row_series = np.repeat(np.arange(n_search), width)
        row_group = chunk.search_group[row_series]
        preds = np.full((len(numbers), n_search * width), np.nan)
        for m, n in enumerate(numbers):
            preds[m] = np.where(member[m, row_group], oof[n].ravel(), np.nan)
        classic = sorted({t.learner for t in trials if spec.learners[t.learner].spec.classic})
        family = np.array([classic.index(t.learner) if t.learner in classic else -1 for t in trials], dtype=np.int64)
        panel = chunk.search_panel
        season = int(spec.context.get("season_length", 1))
        scale = spec.scorer.series_scale(panel.target.values, panel.indptr, season)[row_series]
        y = chunk.validation_layout(spec, chunk.search_panel.target.values).ravel()
        return cls(trials, preds, family, y, scale, row_series, row_group, np.tile(np.arange(width) // spec.horizon, n_search))

    def units(self, chunk: ChunkData, strategy: Strategy) -> tuple[np.ndarray, int]:
        """Each row's unit under ``strategy``, and the number of units."""
        if strategy.unit == "group":
            return self.row_group, chunk.n_groups
        return self.row_series, chunk.search.size

    def weigher(self, chunk: ChunkData, spec: SearchSpec, strategy: Strategy) -> Callable[[np.ndarray], np.ndarray]:
        """``weigh(rows)``: the strategy's ``(n_units, n_candidates)`` weights chosen on the ``rows`` mask."""
        row_unit, n_units = self.units(chunk, strategy)

        def weigh(rows: np.ndarray) -> np.ndarray:
            args = (self.preds[:, rows], self.y[rows], self.scale[rows], spec.scorer)
            weights = unit_weights(*args, row_unit[rows], n_units, strategy.method, strategy.k, self.family)
            if strategy.shrink:
                group = unit_weights(*args, self.row_group[rows], chunk.n_groups, strategy.method, strategy.k, self.family)
                weights = (1 - strategy.shrink) * weights + strategy.shrink * group[chunk.search_group]
            unserved = weights.sum(axis=1) == 0  # e.g. no classic learner ran: the unit's best trial
            if unserved.any() and strategy.method == "family":
                weights[unserved] = unit_weights(*args, row_unit[rows], n_units, "top", 1)[unserved]
            return weights

        return weigh

    def honest(self, chunk: ChunkData, spec: SearchSpec, strategy: Strategy) -> np.ndarray:
        """The strategy's cross-fitted out-of-fold forecasts, ``(n_search, windows x horizon)``."""
        row_unit, _ = self.units(chunk, strategy)
        flat = cross_fit_blend(self.preds, row_unit, self.row_window, self.weigher(chunk, spec, strategy))
        return flat.reshape(chunk.search.size, spec.width)

    def row_losses(self, spec: SearchSpec, honest: np.ndarray) -> np.ndarray:
        """Mean pointwise loss of ``honest`` per (series, window), ``(n_search * windows,)`` (NaN: no actual)."""
        loss = spec.scorer.pointwise_loss(self.y, honest.ravel(), self.scale).reshape(-1, spec.horizon)
        has_actual = np.isfinite(self.y).reshape(-1, spec.horizon).any(axis=1)
        with np.errstate(invalid="ignore"):
            return np.where(has_actual, loss.mean(axis=1), np.nan)


@dataclass(frozen=True, eq=False)
class StrategyLosses:
    """Each strategy's honest loss per group, ``(n_groups, n_strategies)``, and per (series, window)."""

    groups: np.ndarray
    rows: np.ndarray


def strategy_losses(
    chunk: ChunkData, spec: SearchSpec, scores: list[TrialScores], oof: dict[int, np.ndarray], sign: float,
    strategies: tuple[Strategy, ...],
) -> StrategyLosses:
    """The honest validation loss of each strategy on each group and each (series, window) (NaN: none)."""
    pool = _Pool.build(chunk, spec, scores, oof, sign)
    groups = np.full((chunk.n_groups, len(strategies)), np.nan)
    rows = np.full((chunk.search.size * spec.n_windows, len(strategies)), np.nan)
    if not pool.trials:
        return StrategyLosses(groups, rows)
    for j, strategy in enumerate(strategies):
        if strategy.method == "family" and not (pool.family >= 0).any():
            continue  # no classic learner ran: nothing to combine
        honest = pool.honest(chunk, spec, strategy)
        groups[:, j] = sign * _group_scores(chunk, spec, honest)
        rows[:, j] = pool.row_losses(spec, honest)
    return StrategyLosses(groups, rows)


def choose_strategy(strategies: tuple[Strategy, ...], losses: list[StrategyLosses]) -> tuple[Strategy, dict[str, float]]:
    """The prior strategy unless another one is better on the groups and clearly so on the paired rows.

    Returns the choice and each scored strategy's mean loss over the groups every scored strategy covers.
    """
    groups = np.vstack([part.groups for part in losses])
    rows = np.vstack([part.rows for part in losses])
    scored = np.flatnonzero(np.isfinite(groups).any(axis=0))
    complete = np.isfinite(groups[:, scored]).all(axis=1)
    if not scored.size or not complete.any():
        return strategies[0], {}
    mean = groups[complete][:, scored].mean(axis=0)
    means = {strategies[j].name: float(m) for j, m in zip(scored, mean, strict=True)}
    best = int(scored[np.argmin(mean)])
    prior = strategies.index(PRIOR) if PRIOR in strategies else -1
    if prior in scored and best != prior and not _clear_win(rows[:, prior], rows[:, best]):
        logger.info("%s scores best in validation but not clearly better than %s; keeping %s.",
                    strategies[best].name, PRIOR.name, PRIOR.name)
        best = prior
    return strategies[best], means


def _clear_win(prior: np.ndarray, other: np.ndarray) -> bool:
    """Whether ``other``'s losses are lower than ``prior``'s by more than CLEAR_WIN standard errors."""
    both = np.isfinite(prior) & np.isfinite(other)
    gain = prior[both] - other[both]
    if gain.size < 2:
        return bool(gain.size and gain[0] > 0)
    return bool(gain.mean() > CLEAR_WIN * gain.std(ddof=1) / np.sqrt(gain.size))


def chunk_choice(
    chunk: ChunkData, spec: SearchSpec, scores: list[TrialScores], oof: dict[int, np.ndarray], sign: float,
    strategy: Strategy,
) -> ChunkChoice:
    """The weights of ``strategy`` fitted on every window, for every series of the chunk."""
    pool = _Pool.build(chunk, spec, scores, oof, sign)
    n_series = chunk.panel.n_series
    if not pool.trials:
        empty = np.full((chunk.search.size, spec.width), np.nan)
        return ChunkChoice(members=[], weights=np.zeros((n_series, 0)), honest=empty, scores=np.full(chunk.n_groups, np.nan))
    weights = pool.weigher(chunk, spec, strategy)(np.ones(len(pool.y), dtype=bool))
    if strategy.unit == "group":
        per_series = weights[chunk.local_group]
    else:
        per_series = _spread(chunk, weights, np.isfinite(pool.y.reshape(chunk.search.size, -1)).any(axis=1))
    honest = pool.honest(chunk, spec, strategy)
    return ChunkChoice(members=pool.trials, weights=per_series, honest=honest, scores=_group_scores(chunk, spec, honest))


def _spread(chunk: ChunkData, weights: np.ndarray, validated: np.ndarray) -> np.ndarray:
    """Per-series weights for every series of the chunk: a series not validated gets its group's mean."""
    out = np.zeros((chunk.panel.n_series, weights.shape[1]))
    out[chunk.search[validated]] = weights[validated]
    for g in range(chunk.n_groups):
        mine = chunk.search_group == g
        known = weights[mine & validated]
        mean = known.mean(axis=0) if len(known) else weights[validated].mean(axis=0) if validated.any() else 0.0
        rows = np.arange(chunk.group_ptr[g], chunk.group_ptr[g + 1])
        unset = np.setdiff1d(rows, chunk.search[mine & validated])
        out[unset] = mean
    return out


def _candidates(scores: list[TrialScores], n_groups: int, sign: float) -> list[list[int]]:
    """Per group, the trial numbers of its candidates: its best trials and each learner's best."""
    ranked: list[list[tuple[float, int, str]]] = [[] for _ in range(n_groups)]
    for s in scores:
        for g, status, mean in zip(s.groups, s.status, s.score, strict=True):
            if status == "ok" and np.isfinite(mean):
                ranked[g].append((sign * float(mean), s.trial.number, s.trial.learner))
    out = []
    for group in ranked:
        group.sort()
        chosen = {n: loss for loss, n, _ in group[:_TOP]}
        seen = {learner for _, _, learner in group[:_TOP]}
        for loss, n, learner in group[_TOP:]:  # best first: the first of a learner is its best
            if learner not in seen:
                chosen[n] = loss
                seen.add(learner)
        out.append(sorted(chosen, key=lambda n: (chosen[n], n)))
    return out


def _group_scores(chunk: ChunkData, spec: SearchSpec, matrix: np.ndarray) -> np.ndarray:
    """Each group's primary metric of the forecasts ``matrix``, the mean over its windows."""
    groups = np.arange(chunk.n_groups)
    window = group_window_scores(chunk.search_panel, chunk.search_folds(spec), matrix, chunk.search_group, groups, spec)
    return window_mean(window)
