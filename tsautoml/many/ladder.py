"""The ladder of trials every group climbs: cheap models everywhere, dearer ones where they can still win.

1. ``cheap``: the naive family, intermittent-demand models and Theta, on every group.
2. ``ets``: ETS and ridge regression, then ``standard``: CES and LightGBM (one global model
   per group), each on every group the budget reaches.
3. ``arima``: ARIMA, on the better half of the groups where the dearer models paid.
4. ``tuned-k``: sampled hyperparameters of the tuned learners, on half as many groups again,
   rung after rung (successive halving across groups).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from tsautoml.search.space import Choice, Domain, FloatRange, IntRange, LearnerSpace
from tsautoml.search.trial import Trial

__all__ = ["Rung", "build_ladder", "sample_params"]

CHEAP_COST = 10.0  # up to Theta
ETS_COST = 20.0  # up to ETS
STANDARD_COST = 60.0  # up to LightGBM
HALVING = 0.5  # share of the promoted groups kept by each later rung


@dataclass(frozen=True)
class Rung:
    """One step of the ladder: its trials and the share of the previous rung's groups it keeps."""

    name: str
    trials: tuple[Trial, ...]
    keep: float


def build_ladder(spaces: list[LearnerSpace], seed: int, tuned_rungs: int = 3) -> tuple[list[Rung], dict[int, float]]:
    """The rungs for ``spaces`` and each trial's relative cost, numbered in climbing order.

    Examples
    --------
    >>> from tsautoml.search.space import ForecastContext, forecast_spaces
    >>> ctx = ForecastContext(12, 6, True, True, False, False)
    >>> rungs, _ = build_ladder(forecast_spaces(ctx), seed=0)
    >>> [(r.name, len(r.trials)) for r in rungs]
    [('cheap', 5), ('ets', 2), ('standard', 2), ('arima', 1), ('tuned-1', 2), ('tuned-2', 2), ('tuned-3', 2)]
    """
    ordered = sorted(spaces, key=lambda s: s.cost)
    cost: dict[int, float] = {}
    rungs: list[Rung] = []

    def add(name: str, entries: list[tuple[LearnerSpace, dict[str, Any]]], keep: float) -> None:
        if not entries:
            return
        first = len(cost)
        trials = tuple(Trial(first + i, space.learner, params) for i, (space, params) in enumerate(entries))
        cost.update({t.number: space.cost for t, (space, _) in zip(trials, entries, strict=True)})
        rungs.append(Rung(name, trials, keep))

    add("cheap", [(s, p) for s in ordered if s.cost <= CHEAP_COST for p in s.starts], 1.0)
    add("ets", [(s, p) for s in ordered if CHEAP_COST < s.cost <= ETS_COST for p in s.starts], 1.0)
    add("standard", [(s, p) for s in ordered if ETS_COST < s.cost <= STANDARD_COST for p in s.starts], 1.0)
    add("arima", [(s, p) for s in ordered if s.cost > STANDARD_COST for p in s.starts], HALVING)
    rng = np.random.default_rng(seed)
    tuned = [s for s in ordered if s.domain]
    for k in range(1, tuned_rungs + 1):
        add(f"tuned-{k}", [(s, sample_params(s, rng)) for s in tuned], HALVING)
    return rungs, cost


def sample_params(space: LearnerSpace, rng: np.random.Generator, tries: int = 100) -> dict[str, Any]:
    """Random parameters from ``space.domain`` that ``space.valid`` accepts (its first start if none does)."""
    for _ in range(tries):
        params = {**space.starts[0], **{name: _draw(domain, rng) for name, domain in space.domain.items()}}
        if space.valid is None or space.valid(params):
            return params
    return dict(space.starts[0])


def _draw(domain: Domain, rng: np.random.Generator) -> Any:
    if isinstance(domain, Choice):
        return domain.values[int(rng.integers(len(domain.values)))]
    low, high = float(domain.low), float(domain.high)
    value = math.exp(rng.uniform(math.log(low), math.log(high))) if domain.log else rng.uniform(low, high)
    if isinstance(domain, IntRange):
        return int(min(max(round(value), domain.low), domain.high))
    assert isinstance(domain, FloatRange)
    return float(f"{value:.4g}")
