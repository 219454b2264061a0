"""Baselines: vectorised fit equals statsforecast and the per-series path; fallbacks are recorded."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from statsforecast import models as sf

from tsautoml.data.grouped import GroupedArray, Panel
from tsautoml.exceptions import ConfigError, DataValidationError, TrialTimeout
from tsautoml.models.base import clean_series
from tsautoml.models.baselines import (
    HistoricAverage,
    Naive,
    SeasonalNaive,
    WindowAverage,
    _Baseline,
    _clean_grouped,
)
from tsautoml.testing import check_learner, make_panel

BASELINES = [Naive(), SeasonalNaive(season_length=7), WindowAverage(window_size=5), HistoricAverage()]


def _reference(learner: _Baseline) -> object:
    if isinstance(learner, SeasonalNaive):
        return sf.SeasonalNaive(season_length=learner.season_length)
    if isinstance(learner, WindowAverage):
        return sf.WindowAverage(window_size=learner.window_size)
    return {"Naive": sf.Naive, "HistoricAverage": sf.HistoricAverage}[type(learner).__name__]()


@pytest.fixture(scope="module")
def panel() -> Panel:
    return Panel.from_frame(make_panel(6, min_length=10, max_length=40, seed=4))


@pytest.mark.parametrize("learner", BASELINES, ids=lambda x: type(x).__name__)
def test_forecasts_equal_statsforecast(learner: _Baseline, panel: Panel) -> None:
    forecast = learner.fit(panel).predict(10)
    for i in range(panel.n_series):
        y = clean_series(panel.target.series(i))
        expected = _reference(learner).fit(y).predict(10)["mean"]  # type: ignore[attr-defined]
        np.testing.assert_allclose(forecast.mean[i], expected, rtol=1e-12)


@pytest.mark.parametrize("learner", BASELINES, ids=lambda x: type(x).__name__)
def test_vectorised_fit_equals_per_series_path(learner: _Baseline, panel: Panel) -> None:
    forecast = learner.fit(panel).predict(9)
    for i in range(panel.n_series):
        state = learner._fit_series(clean_series(panel.target.series(i)), None)
        np.testing.assert_allclose(forecast.mean[i], learner._predict_series(state, 9, None, []).mean, rtol=1e-12)


@pytest.mark.parametrize("learner", BASELINES, ids=lambda x: type(x).__name__)
def test_passes_check_learner(learner: _Baseline) -> None:
    check_learner(learner, make_panel(4, min_length=8, max_length=20, exogenous=True, seed=2))


def test_clean_grouped_equals_clean_series() -> None:
    rng = np.random.default_rng(0)
    lengths = rng.integers(0, 12, 300)
    values = rng.normal(size=lengths.sum())
    values[rng.random(values.size) < 0.3] = np.nan
    target = GroupedArray(values, np.r_[0, np.cumsum(lengths)])
    cleaned = _clean_grouped(target)
    for i in range(target.n_series):
        np.testing.assert_array_equal(cleaned.series(i), clean_series(target.series(i)))


def test_nan_inside_a_series_is_interpolated() -> None:
    df = pd.DataFrame({"unique_id": "a", "ds": np.arange(1, 6), "y": [1.0, 2.0, np.nan, 4.0, np.nan]})
    learner = SeasonalNaive(season_length=4).fit(Panel.from_frame(df, freq=1))
    np.testing.assert_array_equal(learner.predict(4).mean, [[2.0, 3.0, 4.0, 4.0]])
    np.testing.assert_array_equal(HistoricAverage().fit(Panel.from_frame(df, freq=1)).predict(1).mean, [[2.8]])


def test_short_series_fall_back_and_are_recorded() -> None:
    df = pd.DataFrame({"unique_id": ["a"] * 3 + ["b"] * 8, "ds": np.r_[1:4, 1:9], "y": np.arange(11.0)})
    panel = Panel.from_frame(df, freq=1)
    seasonal = SeasonalNaive(season_length=7).fit(panel)
    assert seasonal.fallbacks_ == {0: ("Naive", "3 points < 7 needed")}
    np.testing.assert_array_equal(seasonal.predict(2).mean, [[2.0, 2.0], [4.0, 5.0]])
    window = WindowAverage(window_size=4).fit(panel)
    assert window.fallbacks_ == {0: ("HistoricAverage", "3 points < 4 needed")}
    np.testing.assert_array_equal(window.predict(1).mean, [[1.0], [8.5]])


def test_all_missing_series_is_an_error() -> None:
    df = make_panel(2, min_length=5, max_length=5, nan_fraction=0.0)
    panel = Panel.from_frame(df)
    values = panel.target.values.copy()
    values[:5] = np.nan
    broken = Panel(GroupedArray(values, panel.indptr), panel.times, panel.ids, panel.columns, panel.freq)
    with pytest.raises(DataValidationError, match="no observed value: \\['10'\\]"):
        Naive().fit(broken)


def test_deadline_in_the_past_raises() -> None:
    panel = Panel.from_frame(make_panel(20, min_length=5, max_length=10))
    with pytest.raises(TrialTimeout):
        Naive().fit(panel, deadline=time.monotonic() - 1)


INVALID = [SeasonalNaive(season_length=0), WindowAverage(window_size=2.5)]  # type: ignore[arg-type]


@pytest.mark.parametrize("learner", INVALID, ids=repr)
def test_invalid_parameters_raise_config_error(learner: _Baseline, panel: Panel) -> None:
    with pytest.raises(ConfigError, match="must be an integer >= 1"):
        learner.fit(panel)


def test_scales_to_many_series() -> None:
    lengths = np.full(20_000, 30)
    rng = np.random.default_rng(1)
    target = GroupedArray(rng.normal(size=lengths.sum()), np.r_[0, np.cumsum(lengths)])
    panel = Panel.from_frame(make_panel(1, min_length=30, max_length=30))
    times = np.tile(panel.times, lengths.size)
    ids = pd.DataFrame({"unique_id": np.arange(lengths.size)})
    big = Panel(target, times, ids, panel.columns, panel.freq)
    forecast = SeasonalNaive(season_length=7).fit(big).predict(7)
    np.testing.assert_array_equal(forecast.mean[-1], target.values[-7:])
