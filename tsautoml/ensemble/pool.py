"""The candidates of the tables' ensembles: each learner's best trial and the best overall."""

from __future__ import annotations

from tsautoml.search.trial import Leaderboard, TrialResult

__all__ = ["candidate_pool"]


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
