"""check_learner: passes well-behaved learners (local and global) and catches broken ones."""

from __future__ import annotations

import itertools
import weakref
from typing import Any, ClassVar

import numpy as np
import pytest

from tsautoml.data.grouped import Panel
from tsautoml.exceptions import ConfigError
from tsautoml.models.base import BaseLearner, Capabilities, Forecast, Future, clean_series
from tsautoml.models.baselines import Naive
from tsautoml.testing import check_learner, make_panel


class _LastMinusPrice(BaseLearner):
    """A well-behaved global learner: last value, minus ``slope`` times the same step's price."""

    capabilities: ClassVar[Capabilities] = Capabilities(exogenous=True, intervals=True, scope="global")

    def __init__(self, slope: float = 2.0) -> None:
        self.slope = slope

    def _fit(self, panel: Panel, deadline: float | None) -> None:
        self.last_ = np.array([clean_series(panel.target.series(i))[-1] for i in range(panel.n_series)])

    def _mean(self, horizon: int, future: Future | None) -> np.ndarray:
        mean = np.repeat(self.last_[:, None], horizon, axis=1)
        if self.exogenous_ and future is not None:
            mean = mean - self.slope * future.exog["price"][:, :horizon]
        return mean

    def _predict(self, horizon: int, future: Future | None, level: list[float]) -> Forecast:
        mean = self._mean(horizon, future)
        return Forecast(mean, {lv: (mean - lv / 10, mean + lv / 10) for lv in level})


class _PeeksAtLaterExog(_LastMinusPrice):
    def _mean(self, horizon: int, future: Future | None) -> np.ndarray:
        assert future is not None
        return np.repeat(self.last_[:, None], horizon, axis=1) - future.exog["price"].mean(axis=1, keepdims=True)


class _ReadsExogWithoutCapability(_LastMinusPrice):
    capabilities: ClassVar[Capabilities] = Capabilities(exogenous=False, scope="global")

    def _mean(self, horizon: int, future: Future | None) -> np.ndarray:
        assert future is not None
        return np.repeat(self.last_[:, None], horizon, axis=1) - future.exog["price"]


class _MutatesParams(_LastMinusPrice):
    def _fit(self, panel: Panel, deadline: float | None) -> None:
        super()._fit(panel, deadline)
        self.slope = float(panel.n_series)


class _FitReturnsNone(_LastMinusPrice):
    def fit(self, panel: Panel, *, deadline: float | None = None) -> Any:
        super().fit(panel, deadline=deadline)
        return None


class _MutatesPanel(_LastMinusPrice):
    def _fit(self, panel: Panel, deadline: float | None) -> None:
        np.nan_to_num(panel.target.values, copy=False)
        super()._fit(panel, deadline)


class _Nondeterministic(_LastMinusPrice):
    _fits: ClassVar[itertools.count[int]] = itertools.count()

    def _fit(self, panel: Panel, deadline: float | None) -> None:
        super()._fit(panel, deadline)
        self.last_ = self.last_ + next(self._fits)


class _CachesByPanelIdentity(_LastMinusPrice):
    """Memoises fits by frequency object: a panel cut from a longer one reuses the longer fit."""

    _cache: ClassVar[dict[int, tuple[object, np.ndarray]]] = {}  # keeps the key alive: no id reuse

    def _fit(self, panel: Panel, deadline: float | None) -> None:
        if id(panel.freq) not in self._cache:
            super()._fit(panel, deadline)
            self._cache[id(panel.freq)] = (panel.freq, self.last_)
        self.last_ = self._cache[id(panel.freq)][1]


class _WrongHorizon(_LastMinusPrice):
    def _mean(self, horizon: int, future: Future | None) -> np.ndarray:
        return np.repeat(self.last_[:, None], horizon + 1, axis=1)


class _DependsOnHorizon(_LastMinusPrice):
    def _mean(self, horizon: int, future: Future | None) -> np.ndarray:
        return super()._mean(horizon, future) + horizon


class _IntervalsMissTheMean(_LastMinusPrice):
    def _predict(self, horizon: int, future: Future | None, level: list[float]) -> Forecast:
        mean = self._mean(horizon, future)
        return Forecast(mean, {lv: (mean + 1, mean + 2) for lv in level})


class _IntervalsDoNotNest(_LastMinusPrice):
    def _predict(self, horizon: int, future: Future | None, level: list[float]) -> Forecast:
        mean = self._mean(horizon, future)
        return Forecast(mean, {lv: (mean - 100 / lv, mean + 100 / lv) for lv in level})


class _NaNForecast(_LastMinusPrice):
    def _mean(self, horizon: int, future: Future | None) -> np.ndarray:
        mean = super()._mean(horizon, future)
        mean[1, -1] = np.nan
        return mean


class _PredictsUnfitted(_LastMinusPrice):
    def __init__(self, slope: float = 2.0) -> None:
        self.slope = slope
        self.n_series_ = 0
        self.exogenous_: list[str] = []
        self.last_ = np.zeros(0)

    def _mean(self, horizon: int, future: Future | None) -> np.ndarray:
        return np.zeros((self.last_.size, horizon))


_STATE: weakref.WeakKeyDictionary[BaseLearner, np.ndarray] = weakref.WeakKeyDictionary()


class _StateOutsideTheObject(_LastMinusPrice):
    def _fit(self, panel: Panel, deadline: float | None) -> None:
        super()._fit(panel, deadline)
        _STATE[self] = self.last_
        del self.last_

    def _mean(self, horizon: int, future: Future | None) -> np.ndarray:
        return np.repeat(_STATE[self][:, None], horizon, axis=1)


@pytest.fixture
def panel() -> Panel:
    return Panel.from_frame(make_panel(4, min_length=12, max_length=20, exogenous=True, seed=5))


def test_well_behaved_learners_pass(panel: Panel) -> None:
    check_learner(_LastMinusPrice(), panel, horizon=4)
    check_learner(Naive(), panel, horizon=1, level=())
    check_learner(_LastMinusPrice(), make_panel(3, freq=None, exogenous=True, seed=1))  # a frame with int times


BROKEN = [
    (_PeeksAtLaterExog(), "changing future exogenous values after step 1 \\(look-ahead\\)"),
    (_ReadsExogWithoutCapability(), "it declares exogenous=False"),
    (_MutatesParams(), "fit changed constructor parameters"),
    (_FitReturnsNone(), "fit returned NoneType object, not self"),
    (_MutatesPanel(), "fit modified the panel it was given \\(\\['target'\\]\\)"),
    (_Nondeterministic(), "refitting the same object gives a different mean forecast"),
    (_CachesByPanelIdentity(), "fitting on a panel cut by 3 points per series with Panel.take \\(look-ahead"),
    (_WrongHorizon(), "mean has shape \\(4, 4\\); expected \\(n_series, horizon\\) = \\(4, 3\\)"),
    (_DependsOnHorizon(), "predicting 2 steps instead of 3"),
    (_IntervalsMissTheMean(), "the 80.0 interval does not contain the mean"),
    (_IntervalsDoNotNest(), "the 95.0 interval does not contain the mean \\(or the narrower intervals\\)"),
    (_NaNForecast(), "series at positions \\[1\\] are not finite"),
    (_PredictsUnfitted(), "predict before fit returned forecasts"),
    (_StateOutsideTheObject(), "predicting after a pickle round trip raised KeyError"),
]


@pytest.mark.parametrize(("learner", "message"), BROKEN, ids=[type(b[0]).__name__.strip("_") for b in BROKEN])
def test_broken_learners_are_caught(learner: BaseLearner, message: str, panel: Panel) -> None:
    with pytest.raises(AssertionError, match=message):
        check_learner(learner, panel)


def test_future_exog_values_are_used_and_checked(panel: Panel) -> None:
    prices = np.linspace(1, 3, panel.n_series * 3).reshape(panel.n_series, 3)
    check_learner(_LastMinusPrice(), panel, future_exog={"price": prices})
    with pytest.raises(ConfigError, match=r"future_exog\['price'\] has shape \(4, 2\); expected \(4, 3\)"):
        check_learner(_LastMinusPrice(), panel, future_exog={"price": prices[:, :2]})
    with pytest.raises(ConfigError, match="columns \\['promo'\\] that the panel lacks"):
        check_learner(_LastMinusPrice(), panel, future_exog={"promo": prices})
