"""Hyperparameter proposals: Optuna's TPE, one study per tuned learner.

Why TPE: it is the well-kept, widely used sampler for mixed categorical / log-scale spaces
such as LightGBM's with its feature configuration, it handles conditional-free spaces of a
dozen parameters well after a handful of trials, and its ask/tell interface lets the loop
run trials in parallel batches and stay deterministic for a seed (results are told in
submission order). The starting points are told to the study first, so tuning starts
from what the cheap defaults already showed.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import optuna

from tsautoml.search.space import Choice, Domain, IntRange, LearnerSpace

__all__ = ["TPEOptimizer"]

_MAX_INVALID_DRAWS = 20


def _distribution(domain: Domain) -> optuna.distributions.BaseDistribution:
    if isinstance(domain, Choice):
        return optuna.distributions.CategoricalDistribution(domain.values)
    if isinstance(domain, IntRange):
        return optuna.distributions.IntDistribution(domain.low, domain.high, log=domain.log)
    return optuna.distributions.FloatDistribution(domain.low, domain.high, log=domain.log)


@contextlib.contextmanager
def _quiet_optuna() -> Iterator[None]:
    """Optuna logs every trial at INFO; silence it only while we talk to it."""
    logger = logging.getLogger("optuna")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


class TPEOptimizer:
    """Proposes parameters for the tuned learners and learns from their scores.

    The next learner to tune is drawn with probability decreasing with its rank (best
    loss so far), so the search spends most trials where it pays and still explores.

    Examples
    --------
    >>> from tsautoml.search.space import FloatRange
    >>> space = LearnerSpace("Ridge", 1.0, starts=({"alpha": 1.0},), domain={"alpha": FloatRange(0.1, 10, log=True)})
    >>> opt = TPEOptimizer([space], seed=0)
    >>> opt.tell_start("Ridge", {"alpha": 1.0}, loss=0.5)
    >>> learner, params, handle = opt.ask()
    >>> learner, 0.1 <= params["alpha"] <= 10
    ('Ridge', True)
    >>> opt.tell(handle, loss=0.4)
    """

    def __init__(self, spaces: list[LearnerSpace], seed: int) -> None:
        self.spaces = {s.learner: s for s in spaces if s.domain}
        self.rng = np.random.default_rng(seed)
        self.best: dict[str, float] = {name: math.inf for name in self.spaces}
        self.distributions = {
            name: {p: _distribution(d) for p, d in s.domain.items()} for name, s in self.spaces.items()
        }
        with _quiet_optuna():
            self.studies = {
                name: optuna.create_study(
                    sampler=optuna.samplers.TPESampler(seed=seed + i, multivariate=True, n_startup_trials=4)
                )
                for i, name in enumerate(self.spaces)
            }

    @property
    def exhausted(self) -> bool:
        """True when no learner is tuned."""
        return not self.spaces

    def tell_start(self, learner: str, params: dict[str, Any], loss: float) -> None:
        """Record the score of a starting point (outside the optimizer's own proposals)."""
        if learner not in self.spaces:
            return
        self._update_best(learner, loss)
        dists = {p: d for p, d in self.distributions[learner].items() if p in params}
        tuned = {p: params[p] for p in dists}
        state = optuna.trial.TrialState.COMPLETE if math.isfinite(loss) else optuna.trial.TrialState.FAIL
        with _quiet_optuna():
            self.studies[learner].add_trial(
                optuna.trial.create_trial(
                    state=state, value=loss if math.isfinite(loss) else None, params=tuned, distributions=dists
                )
            )

    def ask(self) -> tuple[str, dict[str, Any], Any]:
        """Next learner, its parameters, and a handle for :meth:`tell`."""
        learner = self._pick_learner()
        study, space = self.studies[learner], self.spaces[learner]
        with _quiet_optuna():
            for _ in range(_MAX_INVALID_DRAWS):
                handle = study.ask(self.distributions[learner])
                params = dict(handle.params)
                if space.valid is None or space.valid(params):
                    return learner, params, (learner, handle)
                study.tell(handle, state=optuna.trial.TrialState.PRUNED)
        return learner, params, (learner, handle)  # the trial records the learner's refusal

    def tell(self, handle: Any, loss: float) -> None:
        """Report the loss of a proposal (``inf``/NaN for a failed trial)."""
        learner, trial = handle
        self._update_best(learner, loss)
        with _quiet_optuna():
            if math.isfinite(loss):
                self.studies[learner].tell(trial, loss)
            else:
                self.studies[learner].tell(trial, state=optuna.trial.TrialState.FAIL)

    def _update_best(self, learner: str, loss: float) -> None:
        if math.isfinite(loss):
            self.best[learner] = min(self.best[learner], loss)

    def _pick_learner(self) -> str:
        names = sorted(self.spaces, key=lambda n: (self.best[n], self.spaces[n].cost))
        weights = 1.0 / (1.0 + np.arange(len(names))) ** 2
        return names[int(self.rng.choice(len(names), p=weights / weights.sum()))]
