"""Per-series / per-group model selection and ensembles over the search's out-of-fold forecasts.

Three ways to combine the trials are scored on the same validation windows as the trials
themselves, with weights chosen on the *other* windows (see
:func:`~tsautoml.ensemble.greedy.cross_fit_blend`), so their scores compare honestly with
every single model on the leaderboard:

* ``ensemble[all]``: one greedy ensemble for the whole panel;
* ``select[<unit>]``: the best model of each unit (a series, or a ``group_by`` group);
* ``ensemble[<unit>]``: a greedy ensemble per unit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tsautoml.ensemble.greedy import cross_fit_blend, greedy_weights
from tsautoml.search.splitters import Fold
from tsautoml.search.trial import Leaderboard, TrialResult

__all__ = ["OOFLayout", "Selection", "candidate_pool", "combine"]

_ENSEMBLE_ITERATIONS = 10


@dataclass(frozen=True, eq=False)
class OOFLayout:
    """Which series, window and horizon step every out-of-fold row belongs to."""

    series: np.ndarray
    window: np.ndarray
    step: np.ndarray

    @classmethod
    def from_folds(cls, folds: list[Fold], horizon: int) -> OOFLayout:
        """The layout of the folds' validation rows, fold after fold."""
        series = np.concatenate([np.repeat(f.series, horizon) for f in folds])
        window = np.concatenate([np.full(len(f.test_index), f.window) for f in folds])
        step = np.concatenate([np.tile(np.arange(horizon), f.series.size) for f in folds])
        return cls(series, window, step)


@dataclass(frozen=True, eq=False)
class Selection:
    """A way of combining trials: member trials, weights per series and honest OOF forecasts."""

    name: str
    members: list[TrialResult]
    weights: np.ndarray  # (n_series, n_members)
    oof: np.ndarray


def candidate_pool(board: Leaderboard, top: int = 5, max_models: int = 12) -> list[TrialResult]:
    """The best trial of every learner plus the ``top`` best overall, best first.

    Examples
    --------
    >>> from tsautoml.search.trial import Trial
    >>> board = Leaderboard("mae", greater_is_better=False)
    >>> for i, (name, score) in enumerate([("Naive", 3.0), ("Ridge", 1.0), ("Ridge", 1.5), ("Ridge", 2.0)]):
    ...     board.add(TrialResult(Trial(i, name), "ok", [score], score))
    >>> [r.trial.key for r in candidate_pool(board, top=2)]
    ['Ridge#1', 'Ridge#2', 'Naive#0']
    """
    ranked = board.ok()
    chosen: dict[int, TrialResult] = {r.trial.number: r for r in ranked[:top]}
    for r in ranked:
        if all(c.trial.learner != r.trial.learner for c in chosen.values()):
            chosen[r.trial.number] = r
    pool = sorted(chosen.values(), key=lambda r: (board.loss(r.score), r.trial.number))
    return pool[:max_models]


def combine(
    pool: list[TrialResult],
    y: np.ndarray,
    row_scale: np.ndarray,
    metric: str,
    layout: OOFLayout,
    unit_of_series: np.ndarray,
    unit_name: str,
) -> list[Selection]:
    """The three combinations of ``pool`` (see the module docstring), each with honest OOF forecasts.

    ``y`` and ``row_scale`` are the actuals and series scales of the OOF rows.
    """
    preds = np.stack([r.oof for r in pool])
    n_series = unit_of_series.size
    n_units = int(unit_of_series.max()) + 1 if n_series else 0
    one_unit = np.zeros(n_series, dtype=np.int64)
    ways = [
        ("ensemble[all]", one_unit, 1, _ENSEMBLE_ITERATIONS),
        (f"select[{unit_name}]", unit_of_series, n_units, 1),
        (f"ensemble[{unit_name}]", unit_of_series, n_units, _ENSEMBLE_ITERATIONS),
    ]
    out = []
    for name, units, count, n_iter in ways:
        row_unit = units[layout.series]
        oof = cross_fit_blend(preds, y, row_scale, metric, row_unit, count, layout.window, n_iter)
        unit_weights = greedy_weights(preds, y, row_scale, metric, row_unit, count, n_iter)
        out.append(Selection(name, pool, unit_weights[units], oof))
    return out
