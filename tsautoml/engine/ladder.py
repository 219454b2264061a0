"""The ladder of trials every group climbs: cheap models everywhere, dearer ones where they can still win.

1. ``cheap``: the naive family, intermittent-demand models and Theta, on every group.
2. ``ets``: ETS and ridge regression, then ``standard``: CES and LightGBM (one global model
   per group), each on every group the budget reaches.
3. ``arima``: ARIMA, on the better half of the groups where the dearer models paid.
4. ``tuned-k``: hyperparameters of the tuned learners proposed by the TPE optimizer from
   the results so far, on half as many groups again, rung after rung (successive halving
   across groups), until the budget, ``max_trials`` or ``patience`` ends the climb.

A learner's rung follows from the relative cost its spec declares.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from tsautoml.search.optimizer import TPEOptimizer
from tsautoml.search.space import LearnerSpace
from tsautoml.search.trial import Trial

__all__ = ["HALVING", "TUNED_TRIALS", "Rung", "Tuner", "build_ladder", "relative_losses"]

CHEAP_COST = 10.0  # up to Theta
ETS_COST = 20.0  # up to ETS
STANDARD_COST = 60.0  # up to LightGBM
HALVING = 0.5  # share of the promoted groups kept by each later rung
TUNED_TRIALS = 4  # proposals per tuned rung, whatever the number of workers (so results do not depend on it)


@dataclass(frozen=True)
class Rung:
    """One step of the ladder: its trials and the share of the previous rung's groups it keeps."""

    name: str
    trials: tuple[Trial, ...]
    keep: float


def build_ladder(spaces: list[LearnerSpace]) -> tuple[list[Rung], dict[int, float]]:
    """The fixed rungs for ``spaces`` and each trial's relative cost, numbered in climbing order.

    Examples
    --------
    >>> from tsautoml.search.space import ForecastContext, forecast_spaces
    >>> ctx = ForecastContext(12, 6, True, True, False, False)
    >>> rungs, _ = build_ladder(forecast_spaces(ctx))
    >>> [(r.name, len(r.trials)) for r in rungs]
    [('cheap', 5), ('ets', 2), ('standard', 3), ('arima', 1)]
    """
    ordered = sorted(spaces, key=lambda s: s.cost)
    cost: dict[int, float] = {}
    rungs: list[Rung] = []

    def add(name: str, chosen: list[LearnerSpace], keep: float) -> None:
        entries = [(s, p) for s in chosen for p in s.starts]
        if not entries:
            return
        first = len(cost)
        trials = tuple(Trial(first + i, space.learner, params) for i, (space, params) in enumerate(entries))
        cost.update({t.number: space.cost for t, (space, _) in zip(trials, entries, strict=True)})
        rungs.append(Rung(name, trials, keep))

    add("cheap", [s for s in ordered if s.cost <= CHEAP_COST], 1.0)
    add("ets", [s for s in ordered if CHEAP_COST < s.cost <= ETS_COST], 1.0)
    add("standard", [s for s in ordered if ETS_COST < s.cost <= STANDARD_COST], 1.0)
    add("arima", [s for s in ordered if s.cost > STANDARD_COST], HALVING)
    return rungs, cost


class Tuner:
    """Proposes the trials of the tuned rungs with TPE, told each trial's mean loss over its groups.

    A trial's loss on a group is divided by the group's best cheap loss, so that trials run
    on different groups compare; with one group this is the plain loss, rescaled.
    """

    def __init__(self, spaces: list[LearnerSpace], seed: int) -> None:
        self.spaces = {s.learner: s for s in spaces if s.domain}
        self.optimizer = TPEOptimizer(list(self.spaces.values()), seed)
        self.handles: dict[int, Any] = {}
        self.rungs = 0

    @property
    def exhausted(self) -> bool:
        """True when no learner is tuned."""
        return self.optimizer.exhausted

    def tell(self, trial: Trial, loss: float) -> None:
        """Record a trial's relative loss (``inf``: it failed everywhere)."""
        handle = self.handles.pop(trial.number, None)
        if handle is not None:
            self.optimizer.tell(handle, loss)
        elif trial.learner in self.spaces:
            self.optimizer.tell_start(trial.learner, trial.params, loss)

    def rung(self, first: int, size: int) -> tuple[Rung, dict[int, float]]:
        """The next tuned rung: ``size`` proposals numbered from ``first``, and their costs."""
        self.rungs += 1
        trials = []
        for i in range(size):
            learner, params, handle = self.optimizer.ask()
            trial = Trial(first + i, learner, params)
            self.handles[trial.number] = handle
            trials.append(trial)
        costs = {t.number: self.spaces[t.learner].cost for t in trials}
        return Rung(f"tuned-{self.rungs}", tuple(trials), HALVING), costs


def relative_losses(loss: np.ndarray, cheap: np.ndarray) -> float:
    """Mean of ``loss / cheap`` over the groups where both are finite (``inf`` if none)."""
    ok = np.isfinite(loss) & np.isfinite(cheap) & (np.abs(cheap) > 1e-12)
    return float(np.mean(loss[ok] / np.abs(cheap[ok]))) if ok.any() else float("inf")
