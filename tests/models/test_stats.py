"""statsforecast adapters: equal to direct statsforecast calls, with recorded fallbacks."""

from __future__ import annotations

import time
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from statsforecast import models as sf

from tsautoml.data.grouped import Panel
from tsautoml.exceptions import ConfigError, DataValidationError, NotFittedError, TrialTimeout
from tsautoml.models.base import Future, LocalLearner, clean_series
from tsautoml.models.baselines import SeasonalNaive
from tsautoml.models.spec import MIN_HISTORY
from tsautoml.models.stats import (
    ADIDA,
    HISTORY_SEASONS,
    IMAPA,
    TSB,
    AutoARIMA,
    AutoCES,
    AutoETS,
    AutoTheta,
    CrostonOptimized,
)
from tsautoml.testing import check_learner, make_panel

LEVELS = [80.0, 95.0]


def _frame(series: dict[str, np.ndarray], **exog: dict[str, np.ndarray]) -> pd.DataFrame:
    """A long frame with integer times from per-series values (and exogenous columns)."""
    frames = []
    for uid, y in series.items():
        frame = pd.DataFrame({"unique_id": uid, "ds": np.arange(1, y.size + 1), "y": y})
        for name, values in exog.items():
            frame[name] = values[uid]
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _panel(series: dict[str, np.ndarray], **exog: dict[str, np.ndarray]) -> Panel:
    return Panel.from_frame(_frame(series, **exog), freq=1)


def _seasonal(n: int, m: int, seed: int) -> np.ndarray:
    """An AirPassengers-like series: trend times a season, with noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return (100 + 2 * t) * (1 + 0.2 * np.sin(2 * np.pi * t / m + seed)) + rng.normal(0, 3, n)


def _intermittent(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.poisson(2.0, n) * (rng.random(n) < 0.3).astype(float)


def _direct(
    model: Any, y: np.ndarray, h: int, level: list[int] | None, X: Any = None, X_future: Any = None
) -> dict[str, np.ndarray]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = model.fit(y, X).predict(h, X=X_future, level=level)
    return {k: np.asarray(v, dtype=np.float64) for k, v in out.items()}


@pytest.fixture(scope="module")
def seasonal_panel() -> Panel:
    return _panel({"a": _seasonal(48, 12, 0), "b": _seasonal(40, 12, 1)})


@pytest.fixture(scope="module")
def intermittent_panel() -> Panel:
    return _panel({"a": _intermittent(40, 0), "b": _intermittent(30, 1), "c": np.zeros(12)})


CASES = [
    (AutoETS(season_length=12), lambda: sf.AutoETS(season_length=12)),
    (AutoETS(season_length=12, model="MAM", damped=True),
     lambda: sf.AutoETS(season_length=12, model="MAM", damped=True)),
    (AutoTheta(season_length=12), lambda: sf.AutoTheta(season_length=12)),
    (AutoTheta(season_length=12, decomposition_type="additive"),
     lambda: sf.AutoTheta(season_length=12, decomposition_type="additive")),
    (AutoCES(season_length=12), lambda: sf.AutoCES(season_length=12)),
    (AutoARIMA(season_length=12, approximation=True), lambda: sf.AutoARIMA(season_length=12, approximation=True)),
]


@pytest.mark.parametrize(("learner", "reference"), CASES, ids=[repr(c[0]) for c in CASES])
def test_forecasts_and_intervals_equal_statsforecast(
    learner: LocalLearner, reference: Any, seasonal_panel: Panel
) -> None:
    forecast = learner.fit(seasonal_panel).predict(6, level=LEVELS)
    assert learner.fallbacks_ == {}
    for i in range(seasonal_panel.n_series):
        expected = _direct(reference(), seasonal_panel.target.series(i), 6, [80, 95])
        np.testing.assert_allclose(forecast.mean[i], expected["mean"], rtol=1e-10)
        for lv in LEVELS:
            np.testing.assert_allclose(forecast.intervals[lv][0][i], expected[f"lo-{lv:g}"], rtol=1e-6)
            np.testing.assert_allclose(forecast.intervals[lv][1][i], expected[f"hi-{lv:g}"], rtol=1e-6)


@pytest.mark.parametrize(
    ("learner", "reference"),
    [(CrostonOptimized(), sf.CrostonOptimized), (ADIDA(), sf.ADIDA), (IMAPA(), sf.IMAPA),
     (TSB(alpha_d=0.2, alpha_p=0.05), lambda: sf.TSB(alpha_d=0.2, alpha_p=0.05))],
    ids=["Croston", "ADIDA", "IMAPA", "TSB"],
)
def test_intermittent_models_equal_statsforecast(
    learner: LocalLearner, reference: Any, intermittent_panel: Panel
) -> None:
    forecast = learner.fit(intermittent_panel).predict(4, level=LEVELS)
    assert forecast.intervals == {} and learner.fallbacks_ == {}
    for i in range(intermittent_panel.n_series):
        expected = _direct(reference(), intermittent_panel.target.series(i), 4, None)
        np.testing.assert_allclose(forecast.mean[i], expected["mean"], rtol=1e-12)
    np.testing.assert_array_equal(forecast.mean[2], 0.0)  # an all-zero series forecasts zero


def test_nan_inside_a_series_is_interpolated() -> None:
    y = _seasonal(30, 4, 3)
    gappy = y.copy()
    gappy[[5, 6, 20]] = np.nan
    forecast = AutoTheta(season_length=4).fit(_panel({"a": np.r_[np.nan, np.nan, gappy]})).predict(3)
    filled = clean_series(gappy)
    assert np.isclose(filled[6], y[4] + 2 * (y[7] - y[4]) / 3)
    np.testing.assert_allclose(forecast.mean[0], _direct(sf.AutoTheta(season_length=4), filled, 3, None)["mean"])


@pytest.mark.parametrize("learner", [AutoETS(season_length=4), AutoTheta(season_length=4), AutoARIMA(season_length=4)],
                         ids=repr)
def test_long_series_are_fitted_on_their_last_seasons_only(learner: LocalLearner) -> None:
    limit = learner.history_limit()
    assert limit == max(HISTORY_SEASONS * 4, MIN_HISTORY)
    long, short = _seasonal(limit + 37, 4, 0), _seasonal(60, 4, 1)
    forecast = learner.fit(_panel({"long": long, "short": short})).predict(5)
    assert learner.history_cut_ == 1
    reference = {"AutoETS": sf.AutoETS, "AutoTheta": sf.AutoTheta, "AutoARIMA": sf.AutoARIMA}[type(learner).__name__]
    np.testing.assert_allclose(forecast.mean[0], _direct(reference(season_length=4), long[-limit:], 5, None)["mean"])
    np.testing.assert_allclose(forecast.mean[1], _direct(reference(season_length=4), short, 5, None)["mean"])


def _forward(model: Any, y_fit: np.ndarray, y: np.ndarray, h: int, X: Any = None, X_future: Any = None) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = model.fit(y_fit, X if X is None else X[: y_fit.size])
        return np.asarray(fitted.forward(y, h, X=X, X_future=X_future)["mean"], dtype=np.float64)


@pytest.mark.parametrize(("learner", "reference"), [(AutoTheta(season_length=4), sf.AutoTheta),
                                                    (AutoARIMA(season_length=4), sf.AutoARIMA)], ids=repr)
def test_carried_models_run_over_the_longer_history_without_refitting(learner: LocalLearner, reference: Any) -> None:
    a, b, c = _seasonal(60, 4, 0), _seasonal(50, 4, 1), _seasonal(40, 4, 2)
    fitted = learner.fit(_panel({"a": a[:52], "b": b[:42]}))
    carried = fitted.carried(_panel({"p": b, "q": c, "r": a}), np.array([1, -1, 0]))  # ids sort as p, q, r
    forecast = carried.predict(5)
    np.testing.assert_allclose(forecast.mean[2], _forward(reference(season_length=4), a[:52], a, 5))
    np.testing.assert_allclose(forecast.mean[0], _forward(reference(season_length=4), b[:42], b, 5))
    np.testing.assert_allclose(forecast.mean[1], _direct(reference(season_length=4), c, 5, None)["mean"])  # new: fitted
    assert carried.n_series_ == 3 and fitted.predict(5).mean.shape == (2, 5)  # the source is left as it was


def test_a_carried_series_keeps_the_start_of_its_first_fit() -> None:
    learner = AutoTheta(season_length=4)
    limit = learner.history_limit()
    y = _seasonal(limit + 30, 4, 0)
    fitted = learner.fit(_panel({"a": y[:-10]}))
    carried = fitted.carried(_panel({"a": y}), np.array([0]))
    assert fitted.origins_[0] == carried.origins_[0] == 20  # the last `limit` of limit + 20 points
    start = int(fitted.origins_[0])
    np.testing.assert_allclose(carried.predict(3).mean[0], _forward(sf.AutoTheta(season_length=4), y[start:-10], y[start:], 3))


def test_a_series_that_fell_back_is_fitted_anew_when_carried() -> None:
    fitted = AutoETS(season_length=4).fit(_panel({"a": np.arange(5.0)}))  # too short: seasonal naive
    assert fitted.fallbacks_
    y = _seasonal(40, 4, 3)
    carried = fitted.carried(_panel({"a": y}), np.array([0]))
    assert not carried.fallbacks_
    np.testing.assert_allclose(carried.predict(4).mean[0], _direct(sf.AutoETS(season_length=4), y, 4, None)["mean"])


def test_carried_auto_arima_uses_the_exogenous_columns_it_was_fitted_with(exog_panel: Panel, fitted_arima: AutoARIMA) -> None:
    position = np.arange(exog_panel.n_series)
    carried = fitted_arima.carried(exog_panel, position)  # the same history: the same forecasts
    future = _future(exog_panel, 3, price=np.array([[2.9, 1.1, 2.5], [1.0, 2.8, 1.6]]))
    np.testing.assert_allclose(carried.predict(3, future).mean, fitted_arima.predict(3, future).mean, rtol=1e-8)


def test_carrying_needs_a_fitted_learner() -> None:
    with pytest.raises(NotFittedError, match="not fitted"):
        AutoTheta().carried(_panel({"a": _seasonal(30, 4, 0)}), np.array([0]))


def test_auto_ces_keeps_the_whole_history() -> None:
    learner = AutoCES(season_length=4)
    assert learner.history_limit() is None
    learner.fit(_panel({"a": _seasonal(MIN_HISTORY + 50, 4, 0)}))
    assert learner.history_cut_ == 0


def test_short_series_fall_back_and_are_recorded() -> None:
    panel = _panel({"a": _seasonal(30, 4, 0), "b": np.array([1.0, 2.0, 3.0]), "c": np.arange(5.0)})
    learner = AutoETS(season_length=4).fit(panel)
    assert learner.fallbacks_ == {1: ("Naive", "3 points < 7 needed"), 2: ("SeasonalNaive", "5 points < 7 needed")}
    forecast = learner.predict(4, level=LEVELS)
    np.testing.assert_array_equal(forecast.mean[1:], [[3.0, 3.0, 3.0, 3.0], [1.0, 2.0, 3.0, 4.0]])
    assert np.isnan(forecast.intervals[80.0][0][1:]).all() and np.isfinite(forecast.intervals[80.0][0][0]).all()


def test_fallback_chain_depends_on_the_season() -> None:
    assert repr(AutoTheta().fallback_chain()) == "[Naive()]"
    assert repr(AutoETS(season_length=7).fallback_chain()) == "[SeasonalNaive(season_length=7), Naive()]"
    assert isinstance(AutoCES(season_length=7).fallback_chain()[0], SeasonalNaive)


def test_a_series_whose_model_raises_falls_back() -> None:
    panel = _panel({"neg": -np.arange(1.0, 11.0), "pos": _intermittent(20, 2) + 1})
    learner = TSB().fit(panel)
    used, reason = learner.fallbacks_[0]
    assert used == "Naive" and reason.startswith("ValueError:") and list(learner.fallbacks_) == [0]
    np.testing.assert_array_equal(learner.predict(2).mean[0], [-10.0, -10.0])
    ets = AutoETS(model="MNN").fit(_panel({"zero": np.r_[0.0, _seasonal(19, 4, 1)]}))
    assert ets.fallbacks_[0][1] == "ValueError: Inappropriate model for data with negative or zero values"


def test_a_non_finite_fit_falls_back() -> None:
    huge = 1e200 * (1 + np.random.default_rng(0).random(30))
    learner = AutoETS().fit(_panel({"huge": huge}))
    assert learner.fallbacks_ == {0: ("Naive", "DataValidationError: the fitted model's one-step forecast "
                                           "is not finite (hi-80, lo-80)")}
    np.testing.assert_array_equal(learner.predict(2).mean, [[huge[-1], huge[-1]]])


def test_intervals_contain_the_mean_where_statsforecast_misses_it() -> None:
    y = np.array([12.04, 9.49, 9.9, 9.34, 8.88])  # simulated Theta intervals miss the mean here
    raw = _direct(sf.AutoTheta(), y, 4, [80, 95])
    assert (raw["lo-80"] > raw["mean"]).any()
    forecast = AutoTheta().fit(_panel({"a": y})).predict(4, level=LEVELS)
    lo80, hi80 = forecast.intervals[80.0]
    lo95, hi95 = forecast.intervals[95.0]
    assert (lo95 <= lo80).all() and (lo80 <= forecast.mean).all()
    assert (forecast.mean <= hi80).all() and (hi80 <= hi95).all()
    np.testing.assert_allclose(hi95, np.maximum(raw["hi-95"], hi80))


def test_levels_may_be_floats_or_ints_but_within_0_and_100(seasonal_panel: Panel) -> None:
    learner = AutoTheta(season_length=12).fit(seasonal_panel)
    as_float = learner.predict(2, level=[80.0, 97.5])
    as_int = learner.predict(2, level=[80, 97.5])
    np.testing.assert_array_equal(as_float.intervals[80.0][0], as_int.intervals[80][0])
    assert set(as_float.intervals) == {80.0, 97.5}
    with pytest.raises(ConfigError, match="between 0 and 100"):
        learner.predict(2, level=[100.0])


@pytest.fixture(scope="module")
def exog_panel() -> Panel:
    return Panel.from_frame(make_panel(2, min_length=24, max_length=30, exogenous=True, nan_fraction=0.0, seed=6))


def _future(panel: Panel, h: int, **exog: np.ndarray) -> Future:
    times = panel.freq.future_times(panel.times[panel.indptr[1:] - 1], h).reshape(panel.n_series, h)
    return Future(times, exog)


@pytest.fixture(scope="module")
def fitted_arima(exog_panel: Panel) -> AutoARIMA:
    return AutoARIMA().fit(exog_panel)


def test_auto_arima_uses_exogenous_columns_as_statsforecast_does(exog_panel: Panel, fitted_arima: AutoARIMA) -> None:
    learner = fitted_arima
    assert learner.exogenous_ == ["price"]
    low, high = np.full((2, 3), 1.2), np.array([[2.9, 1.1, 2.5], [1.0, 2.8, 1.6]])
    forecast = learner.predict(3, _future(exog_panel, 3, price=high), level=[80.0])
    assert not np.allclose(forecast.mean, learner.predict(3, _future(exog_panel, 3, price=low)).mean)
    for i in range(2):
        lo, hi = exog_panel.indptr[i], exog_panel.indptr[i + 1]
        X = exog_panel.exog["price"][lo:hi, None]
        expected = _direct(sf.AutoARIMA(), exog_panel.target.values[lo:hi], 3, [80], X, high[i][:, None])
        np.testing.assert_allclose(forecast.mean[i], expected["mean"], rtol=1e-10)
        np.testing.assert_allclose(forecast.intervals[80.0][1][i], expected["hi-80"], rtol=1e-10)


def test_auto_arima_drops_a_constant_exogenous_column(exog_panel: Panel, fitted_arima: AutoARIMA) -> None:
    frame = exog_panel.to_frame().assign(flag=1.0)
    with_flag = AutoARIMA().fit(Panel.from_frame(frame))
    future = _future(exog_panel, 3, price=np.full((2, 3), 2.0))
    flagged = Future(future.times, {**future.exog, "flag": np.full((2, 3), 5.0)})
    np.testing.assert_allclose(with_flag.predict(3, flagged).mean, fitted_arima.predict(3, future).mean)


def test_auto_arima_rejects_missing_future_exogenous_values(exog_panel: Panel, fitted_arima: AutoARIMA) -> None:
    learner = fitted_arima
    with pytest.raises(DataValidationError, match="'price'"):
        learner.predict(3, _future(exog_panel, 3, price=np.full((2, 3), np.nan)))
    with pytest.raises(DataValidationError, match="future values"):
        learner.predict(3)


def test_learner_without_exogenous_capability_ignores_them(exog_panel: Panel) -> None:
    plain = Panel.from_frame(exog_panel.to_frame().drop(columns="price"))
    learner = AutoTheta(season_length=7).fit(exog_panel)
    assert learner.exogenous_ == []
    np.testing.assert_array_equal(learner.predict(3).mean, AutoTheta(season_length=7).fit(plain).predict(3).mean)


def test_deadline_in_the_past_raises() -> None:
    panel = Panel.from_frame(make_panel(20, min_length=10, max_length=12))
    with pytest.raises(TrialTimeout):
        AutoTheta().fit(panel, deadline=time.monotonic() - 1)


def test_statsforecast_noise_is_silenced() -> None:
    panel = _panel({"flat": np.full(30, 5.0), "zero": np.zeros(30)})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        AutoTheta(season_length=7).fit(panel).predict(3, level=LEVELS)
        AutoETS(season_length=12).fit(_panel({"a": _seasonal(18, 12, 0)})).predict(2, level=LEVELS)


@pytest.mark.parametrize(
    ("learner", "expected"),
    [(AutoETS(), 7), (AutoETS(model="AAN"), 9), (AutoETS(season_length=4, model="AAA", damped=True), 12),
     (AutoCES(), 10), (AutoTheta(), 5), (AutoARIMA(), 3), (TSB(), 1)],
    ids=repr,
)
def test_min_length(learner: LocalLearner, expected: int) -> None:
    assert learner.min_length() == expected


def test_min_length_is_what_statsforecast_needs() -> None:
    y = _seasonal(AutoETS().min_length(), 4, 2)
    _direct(sf.AutoETS(), y, 1, [80])
    with pytest.raises(NotImplementedError, match="tiny datasets"):
        _direct(sf.AutoETS(), y[:-1], 1, [80])
    with pytest.raises(Exception, match="no model able to be fitted"):  # CES fits from 5 points
        _direct(sf.AutoCES(), y[:4], 1, None)


@pytest.mark.parametrize(
    ("learner", "match"),
    [(AutoETS(model="ZZ"), "not an ETS model"), (AutoETS(model="ANN", damped=True), "needs a trend"),
     (AutoETS(model="ANA"), "seasonal but season_length=1"),
     (AutoTheta(decomposition_type="mult"), "decomposition_type"),
     (AutoCES(model="X"), "model='X'"), (AutoARIMA(season_length=0), "season_length"),
     (TSB(alpha_d=0.0), "alpha_d"), (AutoARIMA(approximation="yes"), "approximation")],  # type: ignore[arg-type]
    ids=repr,
)
def test_invalid_parameters_raise_config_error(learner: LocalLearner, match: str, seasonal_panel: Panel) -> None:
    with pytest.raises(ConfigError, match=match):
        learner.fit(seasonal_panel)


STATS_LEARNERS = [
    AutoETS(season_length=7), AutoTheta(season_length=7), AutoCES(season_length=7),
    CrostonOptimized(), ADIDA(), IMAPA(), TSB(),
]


@pytest.mark.parametrize("learner", STATS_LEARNERS, ids=repr)
def test_passes_check_learner(learner: LocalLearner) -> None:
    check_learner(learner, make_panel(3, min_length=20, max_length=40, seed=3))


def test_auto_arima_passes_check_learner_with_exogenous_columns(exog_panel: Panel) -> None:
    check_learner(AutoARIMA(), exog_panel, horizon=3)
