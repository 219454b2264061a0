"""Search spaces: per learner, the tuned domain, the cheap starting points and the relative cost.

This is the one place that knows what each learner can be tuned on; the loop only reads
:class:`LearnerSpace` objects. Statistical ``Auto*`` models choose their own orders, so their
space is a single starting point; LightGBM and ridge are tuned (hyperparameters and the
feature configuration) by the optimizer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Choice",
    "Domain",
    "FloatRange",
    "ForecastContext",
    "IntRange",
    "LearnerSpace",
    "forecast_spaces",
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
class LearnerSpace:
    """What the search may try for one learner.

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
class ForecastContext:
    """Facts about the data that shape the forecasting spaces."""

    season_length: int
    horizon: int
    has_dates: bool
    nonnegative: bool
    intermittent: bool
    has_exogenous: bool
    has_groups: bool = False


_GBM_OBJECTIVES_ANY = ("l2", "l1")
_GBM_OBJECTIVES_COUNTS = ("l2", "l1", "poisson", "tweedie")


def _feature_domain(ctx: ForecastContext) -> dict[str, Domain]:
    lags = ("auto", "short", "seasonal", "long") if ctx.season_length > 1 else ("auto", "short", "long")
    strategies = ("recursive", "direct") if ctx.horizon <= 24 else ("recursive",)
    domain: dict[str, Domain] = {
        "strategy": Choice(strategies),
        "target_transform": Choice(("none", "scale", "diff")),
        "lags": Choice(lags),
    }
    domain["calendar"] = Choice((True, False)) if ctx.has_dates else Choice((False,))  # no dates, no calendar
    return domain


def _feature_start(ctx: ForecastContext) -> dict[str, Any]:
    return {"strategy": "recursive", "target_transform": "scale", "lags": "auto", "calendar": ctx.has_dates}


def _objective_fits_transform(params: dict[str, Any]) -> bool:
    return params.get("objective") in _GBM_OBJECTIVES_ANY or params.get("target_transform") != "diff"


def _lightgbm_space(ctx: ForecastContext) -> LearnerSpace:
    objectives = _GBM_OBJECTIVES_COUNTS if ctx.nonnegative else _GBM_OBJECTIVES_ANY
    domain: dict[str, Domain] = {
        **_feature_domain(ctx),
        "objective": Choice(objectives),
        "n_estimators": IntRange(50, 800, log=True),
        "learning_rate": FloatRange(0.01, 0.3, log=True),
        "num_leaves": IntRange(8, 128, log=True),
        "min_child_samples": IntRange(5, 100, log=True),
        "colsample_bytree": FloatRange(0.5, 1.0),
        "reg_lambda": FloatRange(1e-3, 10.0, log=True),
    }
    if ctx.has_groups:  # one model across all series, or one per group
        domain["per_group"] = Choice((False, True))
    start = {
        **_feature_start(ctx), "objective": "l2", "n_estimators": 200, "learning_rate": 0.05,
        "num_leaves": 31, "min_child_samples": 20, "colsample_bytree": 0.8, "reg_lambda": 0.1,
    }
    starts = (start, {**start, "per_group": True}) if ctx.has_groups else (start,)
    return LearnerSpace("LightGBM", cost=60.0, starts=starts, domain=domain, valid=_objective_fits_transform)


def _ridge_space(ctx: ForecastContext) -> LearnerSpace:
    domain: dict[str, Domain] = {**_feature_domain(ctx), "alpha": FloatRange(1e-3, 1e3, log=True)}
    start = {**_feature_start(ctx), "alpha": 1.0}
    return LearnerSpace("Ridge", cost=15.0, starts=(start,), domain=domain)


def forecast_spaces(ctx: ForecastContext) -> list[LearnerSpace]:
    """Every forecasting learner's space for data described by ``ctx``, cheapest first."""
    m = ctx.season_length
    spaces = [LearnerSpace("Naive", cost=1.0)]
    if m > 1:
        spaces.append(LearnerSpace("SeasonalNaive", cost=1.0))
    spaces += [
        LearnerSpace("HistoricAverage", cost=1.0),
        LearnerSpace("WindowAverage", cost=1.0, starts=({"window_size": m if m > 1 else 4},)),
    ]
    if ctx.intermittent:
        spaces += [
            LearnerSpace("CrostonOptimized", cost=3.0),
            LearnerSpace("ADIDA", cost=3.0),
            LearnerSpace("IMAPA", cost=4.0),
            LearnerSpace("TSB", cost=3.0, starts=({"alpha_d": 0.1, "alpha_p": 0.1},), domain={
                "alpha_d": FloatRange(0.01, 0.5, log=True), "alpha_p": FloatRange(0.01, 0.5, log=True),
            }),
        ]
    spaces += [
        LearnerSpace("AutoTheta", cost=10.0),
        LearnerSpace("AutoETS", cost=20.0),
        _ridge_space(ctx),
        LearnerSpace("AutoCES", cost=40.0),
        _lightgbm_space(ctx),
        LearnerSpace("AutoARIMA", cost=100.0 if m <= 12 else 400.0),
    ]
    return sorted(spaces, key=lambda s: s.cost)
