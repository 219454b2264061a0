"""The search clock and its stopping rules (monotonic time, trial count, exit score, patience)."""

from __future__ import annotations

import math
import time

from tsautoml.config import Budget

__all__ = ["ABANDON_AFTER", "SearchClock"]

#: Seconds past a deadline before a job still running is abandoned (its own deadline checks
#: stop it sooner unless it is stuck, e.g. in native code)
ABANDON_AFTER = 0.5


class SearchClock:
    """Tracks a :class:`Budget` while the search runs.

    Examples
    --------
    >>> clock = SearchClock(Budget(max_trials=2, exit_score=0.5), greater_is_better=False)
    >>> clock.record(0.9); clock.stop_reason() is None
    True
    >>> clock.record(0.4); clock.stop_reason()
    'exit_score 0.5 reached'
    """

    def __init__(self, budget: Budget, greater_is_better: bool) -> None:
        self.budget = budget
        self.greater_is_better = greater_is_better
        self.start = time.monotonic()
        self.n_trials = 0
        self.best_loss = math.inf
        self.since_improvement = 0

    def elapsed(self) -> float:
        """Seconds since the search started."""
        return time.monotonic() - self.start

    def remaining(self) -> float | None:
        """Seconds left (None without a time budget)."""
        if self.budget.time_s is None:
            return None
        return self.budget.time_s - self.elapsed()

    def abandon_at(self) -> float | None:
        """The ``time.time()`` at which work still running is abandoned (None without a time budget)."""
        left = self.remaining()
        return None if left is None else time.time() + left + ABANDON_AFTER

    def record(self, score: float) -> None:
        """Count a finished trial and its score (NaN for a failed one)."""
        self.n_trials += 1
        loss = -score if self.greater_is_better else score
        if math.isfinite(loss) and loss < self.best_loss:
            self.best_loss = loss
            self.since_improvement = 0
        else:
            self.since_improvement += 1

    def trials_left(self) -> int | None:
        """Trials the budget still allows (None without a trial limit)."""
        if self.budget.max_trials is None:
            return None
        return max(self.budget.max_trials - self.n_trials, 0)

    def stop_reason(self) -> str | None:
        """Why the search must stop now, or None to go on."""
        b = self.budget
        if b.exit_score is not None and math.isfinite(self.best_loss):
            exit_loss = -b.exit_score if self.greater_is_better else b.exit_score
            if self.best_loss <= exit_loss:
                return f"exit_score {b.exit_score} reached"
        if self.trials_left() == 0:
            return f"max_trials {b.max_trials} reached"
        remaining = self.remaining()
        if remaining is not None and remaining <= 0:
            return f"time_budget {b.time_s:g}s spent"
        if b.patience is not None and self.since_improvement >= b.patience:
            return f"{b.patience} trials without improvement"
        return None
