"""The search loop: task-agnostic, budgeted, parallel in deterministic batches.

1. The cheapest starting point (a baseline) runs first and without a deadline, so the
   search always ends with a model.
2. The other starting points follow, cheapest first, ``n_workers`` at a time.
3. Then the optimizer proposes tuned trials until the budget, ``max_trials``, the exit
   score or the patience stops the search.

Results are handled in submission order, so a seed and ``max_trials`` give the same
search whatever the timing. A trial that raises, times out or scores NaN is recorded as
failed with its reason and the search goes on.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from tsautoml.backends.base import Backend, Failure
from tsautoml.config import Budget
from tsautoml.search.budget import SearchClock
from tsautoml.search.optimizer import TPEOptimizer
from tsautoml.search.progress import progress_bar
from tsautoml.search.space import LearnerSpace
from tsautoml.search.trial import Leaderboard, Trial, TrialResult

__all__ = ["SearchResult", "Task", "run_search"]

logger = logging.getLogger(__name__)


class Task(Protocol):
    """What the loop needs from a task: the metric and a way to score a trial."""

    metric: str
    greater_is_better: bool
    split_name: str  # what a validation split is called on the leaderboard: "window", "fold"

    def evaluate(self, trial: Trial, time_left: float | None) -> TrialResult:
        """Score ``trial`` by cross-validation within ``time_left`` seconds (None: no limit)."""
        ...


@dataclass(slots=True)
class SearchResult:
    """The leaderboard, why the search stopped, and its wall time."""

    leaderboard: Leaderboard
    stop_reason: str
    elapsed: float


def run_search(
    task: Task,
    spaces: list[LearnerSpace],
    budget: Budget,
    backend: Backend,
    *,
    seed: int = 0,
    progress: bool = True,
    on_result: Callable[[TrialResult], None] | None = None,
    replay: Mapping[int, TrialResult] | None = None,
) -> SearchResult:
    """Search ``spaces`` for ``task`` under ``budget``; see the module docstring.

    ``on_result`` sees every new result as it is recorded; ``replay`` holds results of an
    earlier run of the same search, by trial number, used instead of evaluating again.
    """
    board = Leaderboard(task.metric, task.greater_is_better, task.split_name)
    clock = SearchClock(budget, task.greater_is_better)
    optimizer = TPEOptimizer(spaces, seed)
    starts = [(s.learner, params) for s in sorted(spaces, key=lambda s: s.cost) for params in s.starts]
    if not starts:
        raise ValueError("run_search needs at least one learner space.")
    bar = progress_bar(progress, total=budget.max_trials, desc="search", unit="trial")
    handles: dict[int, Any] = {}
    first, *queue = starts
    batch = [Trial(0, *first)]
    reason: str | None = None
    while batch:
        opening = batch[0].number == 0  # the first trial always finishes, so that there is a model
        time_left = None if opening else clock.remaining()
        known = {t.number: replay[t.number] for t in batch if replay and _same(replay.get(t.number), t)}
        fresh = [t for t in batch if t.number not in known]
        evaluate = functools.partial(task.evaluate, time_left=time_left)
        outcomes = dict(zip([t.number for t in fresh], backend.map(evaluate, fresh, None if opening else clock.abandon_at()), strict=True))
        for trial in batch:
            result = known.get(trial.number) or _as_result(trial, outcomes[trial.number])
            _record(result, board, clock, optimizer, handles.pop(trial.number, None))
            bar.update(1)
            bar.set_postfix_str(_postfix(board))
            if on_result is not None and trial.number not in known:
                on_result(result)
        reason = clock.stop_reason()
        if reason:
            break
        batch = _next_batch(queue, optimizer, handles, len(board), backend.n_workers, clock)
    bar.close()
    reason = reason or "every starting point tried and nothing left to tune"
    logger.info("Search stopped after %d trials (%.1fs): %s.", len(board), clock.elapsed(), reason)
    return SearchResult(board, reason, clock.elapsed())


def _next_batch(
    queue: list[tuple[str, dict[str, Any]]],
    optimizer: TPEOptimizer,
    handles: dict[int, Any],
    number: int,
    n_workers: int,
    clock: SearchClock,
) -> list[Trial]:
    size = n_workers if clock.trials_left() is None else min(n_workers, clock.trials_left() or 0)
    batch: list[Trial] = []
    while len(batch) < size and queue:
        batch.append(Trial(number + len(batch), *queue.pop(0)))
    while len(batch) < size and not optimizer.exhausted:
        learner, params, handle = optimizer.ask()
        trial = Trial(number + len(batch), learner, params)
        handles[trial.number] = handle
        batch.append(trial)
    return batch


def _same(result: TrialResult | None, trial: Trial) -> bool:
    return result is not None and result.trial.learner == trial.learner and result.trial.params == trial.params


def _as_result(trial: Trial, outcome: TrialResult | Failure) -> TrialResult:
    if isinstance(outcome, Failure):
        return TrialResult(trial, outcome.status, error=outcome.error)
    if outcome.status == "ok" and not math.isfinite(outcome.score):
        outcome.status, outcome.error = "failed", outcome.error or "the score is NaN"
    return outcome


def _record(
    result: TrialResult, board: Leaderboard, clock: SearchClock, optimizer: TPEOptimizer, handle: Any
) -> None:
    board.add(result)
    score = result.score if result.status == "ok" else math.nan
    clock.record(score)
    loss = board.loss(score)
    if handle is not None:
        optimizer.tell(handle, loss)
    else:
        optimizer.tell_start(result.trial.learner, result.trial.params, loss)
    if result.status != "ok":
        logger.info("Trial %s %s: %s", result.trial.key, result.status, result.error)


def _postfix(board: Leaderboard) -> str:
    best = board.best()
    return "" if best is None else f"best {board.metric}={best.score:.4g} ({best.trial.learner})"


