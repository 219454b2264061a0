"""Learner names -> classes, and building a learner from search parameters and data context."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any, TypeVar

from tsautoml.exceptions import ConfigError
from tsautoml.models.base import BaseLearner
from tsautoml.models.baselines import HistoricAverage, Naive, SeasonalNaive, WindowAverage
from tsautoml.models.gbm import LightGBM
from tsautoml.models.linear import Ridge
from tsautoml.models.spec import LearnerSpec
from tsautoml.models.stats import (
    ADIDA,
    IMAPA,
    TSB,
    AutoARIMA,
    AutoCES,
    AutoETS,
    AutoTheta,
    CrostonOptimized,
)

__all__ = ["FORECAST_LEARNERS", "build_learner", "select_learners", "spec_of"]

L = TypeVar("L")

_CLASSES: tuple[type[BaseLearner], ...] = (
    Naive, SeasonalNaive, HistoricAverage, WindowAverage, AutoETS, AutoTheta, AutoCES, AutoARIMA,
    CrostonOptimized, ADIDA, IMAPA, TSB, LightGBM, Ridge,
)
#: Every forecasting learner by its spec's name: adding a learner means its module and one entry here.
FORECAST_LEARNERS: dict[str, type[BaseLearner]] = {cls.spec.name: cls for cls in _CLASSES}


def spec_of(name: str) -> LearnerSpec:
    """The declaration of the forecasting learner ``name``."""
    return FORECAST_LEARNERS[name].spec


def build_learner(cls: type[BaseLearner], params: Mapping[str, Any], context: Mapping[str, Any]) -> BaseLearner:
    """``cls(**params)`` plus the ``context`` values (season length, horizon, seed...) it accepts.

    Examples
    --------
    >>> build_learner(SeasonalNaive, {}, {"season_length": 7, "horizon": 3})
    SeasonalNaive(season_length=7)
    """
    accepted = inspect.signature(cls.__init__).parameters
    kwargs = {k: v for k, v in context.items() if k in accepted}
    return cls(**kwargs, **params)


def select_learners(
    available: Mapping[str, L],
    allowed: list[str] | None,
    blocked: list[str] | None,
) -> dict[str, L]:
    """The learners left after ``allowed`` / ``blocked``; unknown names raise a clear error."""
    for option, names in (("allowed_models", allowed), ("blocked_models", blocked)):
        unknown = sorted(set(names or ()) - set(available))
        if unknown:
            raise ConfigError(f"{option} names unknown models {unknown}; known ones are {sorted(available)}.")
    chosen = {n: c for n, c in available.items() if (allowed is None or n in allowed) and n not in (blocked or ())}
    if not chosen:
        raise ConfigError(
            f"allowed_models={allowed} and blocked_models={blocked} leave no model to try. "
            f"Known models: {sorted(available)}."
        )
    return chosen
