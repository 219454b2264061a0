"""The fitted members of a forecast and how their forecasts are blended, series by series."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tsautoml.models.base import BaseLearner, Future
from tsautoml.search.trial import Trial

__all__ = ["Component", "blend", "model_wins"]


@dataclass(eq=False)
class Component:
    """One refitted member: its trial, the series it serves (panel positions), their weights, the learner.

    ``learner`` was fitted on exactly ``series``, in that order.
    """

    trial: Trial
    series: np.ndarray
    weights: np.ndarray
    learner: BaseLearner


def blend(
    components: list[Component], n_series: int, future: Future, levels: list[float]
) -> tuple[np.ndarray, dict[float, tuple[np.ndarray, np.ndarray]]]:
    """The weighted mean forecast of every series, and the native intervals of series served by one member."""
    h = future.times.shape[1]
    mean = np.zeros((n_series, h))
    native = {lv: (np.full((n_series, h), np.nan), np.full((n_series, h), np.nan)) for lv in levels}
    for comp in components:
        forecast = comp.learner.predict(h, future.take(comp.series), levels)
        w = comp.weights
        mean[comp.series] += w[:, None] * forecast.mean
        alone = w == 1.0
        for lv, (lo, hi) in forecast.intervals.items():
            native[lv][0][comp.series[alone]], native[lv][1][comp.series[alone]] = lo[alone], hi[alone]
    return mean, native


def model_wins(components: list[Component], n_series: int) -> np.ndarray:
    """Index of the component with the largest weight for each series (-1: none)."""
    best = np.full(n_series, -1)
    top = np.zeros(n_series)
    for m, comp in enumerate(components):
        better = comp.weights > top[comp.series]
        best[comp.series[better]] = m
        top[comp.series[better]] = comp.weights[better]
    return best
