"""A default time budget from the data and measured costs, for a fit given no ``time_budget`` or ``max_trials``.

The yardstick is what a user would otherwise run: the classic statistical models
(``LearnerSpec.classic``: ETS, Theta, ARIMA, CES) fitted once on every series. Each is timed on
a seeded sample of series; the search must validate them (a fit per window, or one fit carried
over the windows for a learner whose spec says ``forward``: ``search.tasks.window_work``) and
fit them once more for the refit, so the budget is

    ``SAFETY * sum(fits * seconds per series) * n_series / n_workers``,

clipped to ``[MIN_BUDGET, MAX_BUDGET]``. Each learner is first fitted on one series, untimed
(it compiles its kernels there). The probe stops once it has spent ``PROBE_SECONDS``; a learner
that fails or is cut short on the sample counts at its declared relative cost against the ones
measured; when none could be measured there is no default from the data (None). Without a
classic learner among those allowed, the dearest allowed learner is the yardstick.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from tsautoml.data.grouped import Panel
from tsautoml.models.base import BaseLearner
from tsautoml.models.registry import build_learner
from tsautoml.search.space import LearnerSpace
from tsautoml.search.tasks import window_work

__all__ = ["MAX_BUDGET", "MIN_BUDGET", "PROBE_SERIES", "SAFETY", "DefaultBudget", "default_budget"]

PROBE_SERIES = 8
PROBE_SECONDS = 10.0
SAFETY = 1.5
MIN_BUDGET = 30.0
MAX_BUDGET = 1800.0


@dataclass(frozen=True, slots=True)
class DefaultBudget:
    """The chosen budget, the estimated time of the classic models fitted once and validated then refitted, and how."""

    seconds: float
    classic_seconds: float
    validation_seconds: float
    note: str


def default_budget(
    panel: Panel, spaces: list[LearnerSpace], learners: Mapping[str, type[BaseLearner]], context: Mapping[str, Any],
    n_windows: int, n_workers: int, seed: int, carry_forward: bool = True,
) -> DefaultBudget | None:
    """Time the classic learners among ``spaces`` on a sample of ``panel`` and size the search from it."""
    classic = [sp for sp in spaces if learners[sp.learner].spec.classic] or [max(spaces, key=lambda sp: sp.cost)]
    rng = np.random.default_rng(seed)
    sample = np.sort(rng.choice(panel.n_series, size=min(PROBE_SERIES, panel.n_series), replace=False))
    probe = panel.select(sample)
    horizon = int(context.get("horizon", 1))
    measured: dict[str, float] = {}
    started = time.monotonic()
    for space in sorted(classic, key=lambda sp: sp.cost):  # the cheapest first: the most get measured in time
        left = PROBE_SECONDS - (time.monotonic() - started)
        if left <= 0:
            break
        try:
            _fit(learners[space.learner], space, context, probe.select(np.arange(1)), horizon, left)  # compiles, untimed
            t0 = time.monotonic()
            _fit(learners[space.learner], space, context, probe, horizon, PROBE_SECONDS - (time.monotonic() - started))
        except Exception:  # an unfit learner is estimated from its declared cost below
            continue
        measured[space.learner] = (time.monotonic() - t0) / sample.size
    if not measured:
        return None
    per_cost = float(np.mean([measured[sp.learner] / sp.cost for sp in classic if sp.learner in measured]))
    per_series = {sp.learner: measured.get(sp.learner, per_cost * sp.cost) for sp in classic}
    fits = {sp.learner: window_work(n_windows, carry_forward and learners[sp.learner].spec.forward).sum() + 1.0
            for sp in classic}
    share = panel.n_series / max(n_workers, 1)
    once = sum(per_series.values()) * share
    validation = sum(fits[name] * per_series[name] for name in per_series) * share
    seconds = float(np.clip(SAFETY * validation, MIN_BUDGET, MAX_BUDGET))
    names = ", ".join(sp.learner for sp in classic)
    note = (f"No time_budget or max_trials given: searching for {seconds:.0f} s ({SAFETY:g} x the {validation:.1f} s "
            f"that validating {names} on {n_windows} window(s) and refitting them takes; they take {once:.1f} s once "
            f"on all {panel.n_series} series with {n_workers} worker(s), timed on {sample.size} series).")
    return DefaultBudget(seconds, once, validation, note)


def _fit(cls: type[BaseLearner], space: LearnerSpace, context: Mapping[str, Any], panel: Panel, horizon: int,
         seconds: float) -> None:
    """Fit and forecast within ``seconds`` (learners take monotonic deadlines)."""
    build_learner(cls, space.starts[0], context).fit(panel, deadline=time.monotonic() + seconds).predict(horizon)
