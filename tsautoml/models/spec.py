"""What a forecasting learner declares about itself, next to its class: :class:`LearnerSpec`.

A spec names the learner and says, for data described by a :class:`ForecastContext`,
whether it applies, what one trial costs relative to the naive forecast, where the
search starts and what it may tune, which parameter combinations it refuses, and how
much memory one fit takes per row. The registry (:mod:`tsautoml.models.registry`)
collects the classes; the search space, the ladder, the scheduler and the memory planner
read their specs and never test a learner's name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "MIN_HISTORY",
    "Choice",
    "Domain",
    "FitMemory",
    "FloatRange",
    "ForecastContext",
    "IntRange",
    "LearnerSpace",
    "LearnerSpec",
]


@dataclass(frozen=True, slots=True)
class Choice:
    """One of ``values``."""

    values: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class IntRange:
    """An integer in ``[low, high]``, sampled on a log scale if ``log``."""

    low: int
    high: int
    log: bool = False


@dataclass(frozen=True, slots=True)
class FloatRange:
    """A float in ``[low, high]``, sampled on a log scale if ``log``."""

    low: float
    high: float
    log: bool = False


Domain = Choice | IntRange | FloatRange


@dataclass(frozen=True, slots=True)
class ForecastContext:
    """Facts about the data that decide which learners apply and how they are searched."""

    season_length: int
    horizon: int
    has_dates: bool
    nonnegative: bool
    intermittent: bool
    has_exogenous: bool


@dataclass(frozen=True, slots=True)
class LearnerSpace:
    """What the search may try for one learner on one dataset.

    Parameters
    ----------
    learner
        Registry name.
    cost
        Relative cost per trial (the naive forecast is 1); cheap learners run first.
    starts
        Starting points, evaluated before any tuning.
    domain
        Tuned parameters; empty when the learner is not tuned beyond its starts.
    valid
        Rejects parameter combinations the learner refuses (never evaluated).
    """

    learner: str
    cost: float
    starts: tuple[dict[str, Any], ...] = ({},)
    domain: dict[str, Domain] = field(default_factory=dict)
    valid: Callable[[dict[str, Any]], bool] | None = None


@dataclass(frozen=True, slots=True)
class FitMemory:
    """Bytes one fit of a feature-matrix learner needs beyond the matrix itself.

    For ``R`` training rows of ``F`` features of ``itemsize`` bytes:
    ``fixed * F + R * (copies * itemsize * F + cell * F + row) + sample * F * min(R, sample_rows)``.
    """

    copies: float = 0.0
    cell: float = 0.0
    row: float = 0.0
    fixed: float = 0.0
    sample: float = 0.0
    sample_rows: int = 200_000


#: A fit with a history limit still sees at least this many points of a series.
MIN_HISTORY = 200


def _always(ctx: ForecastContext) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class LearnerSpec:
    """A learner's declaration.

    Parameters
    ----------
    name
        Registry name, used in ``allowed_models`` and on the leaderboard.
    cost
        Relative cost of one trial per series (naive = 1), or a function of the context.
    starts
        Starting points, as a function of the context (default: the learner's defaults).
    domain
        Tuned parameters, as a function of the context (default: not tuned).
    valid
        Rejects parameter combinations the learner refuses.
    applies
        Whether the learner is worth trying on data like ``ctx`` (e.g. intermittent data).
    across_series
        The learner learns from several series at once (a global model): it is left out of
        groups of one series, where it could only overfit that series.
    memory
        Per-fit memory of a learner that builds a feature matrix (None: it builds none).
    classic
        One of the classic statistical models whose equal-weight combination is a strong
        default forecast (Makridakis et al., M4): the selection always scores that
        combination and leaves it only for a clearly better one.
    history_seasons
        Fits use only the last ``history_seasons`` seasons of a longer series (never fewer than
        :data:`MIN_HISTORY` points): older history costs fit time and, for models that adapt
        their level and season, adds little (None: the whole series).
    forward
        Validation fits this learner on the first window only and carries the fitted models to
        the later windows (statsforecast's ``forward``: the same parameters run over the longer
        history), one fit per trial instead of one per window. Only where measured not to bias
        the validation (``CVConfig(carry_forward=False)`` fits every window anew).
    """

    name: str
    cost: float | Callable[[ForecastContext], float]
    starts: Callable[[ForecastContext], tuple[dict[str, Any], ...]] | None = None
    domain: Callable[[ForecastContext], dict[str, Domain]] | None = None
    valid: Callable[[dict[str, Any]], bool] | None = None
    applies: Callable[[ForecastContext], bool] = _always
    across_series: bool = False
    memory: FitMemory | None = None
    classic: bool = False
    history_seasons: int | None = None
    forward: bool = False

    def history_limit(self, season_length: int) -> int | None:
        """The most recent points of a series that one fit uses (None: all of them)."""
        if self.history_seasons is None:
            return None
        return max(self.history_seasons * max(int(season_length), 1), MIN_HISTORY)

    def space(self, ctx: ForecastContext) -> LearnerSpace:
        """What the search may try for this learner on data like ``ctx``."""
        cost = self.cost(ctx) if callable(self.cost) else self.cost
        starts = self.starts(ctx) if self.starts is not None else ({},)
        domain = self.domain(ctx) if self.domain is not None else {}
        return LearnerSpace(self.name, float(cost), starts, domain, self.valid)
