"""Global regression machinery: strategies, transforms, presets, look-ahead, deadlines, persistence.

Most tests run on both learners (LightGBM with few trees, Ridge); the simulated panels
here are reused by ``test_gbm.py`` and ``test_linear.py``.
"""

from __future__ import annotations

import pickle
import time
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from tsautoml.data.grouped import GroupedArray, Panel
from tsautoml.exceptions import ConfigError, DataValidationError, NotFittedError, TrialTimeout
from tsautoml.features.lags import Lag
from tsautoml.models import regression
from tsautoml.models.base import Future
from tsautoml.models.gbm import LightGBM
from tsautoml.models.linear import Ridge
from tsautoml.models.regression import GlobalRegressionLearner, preset_target_features
from tsautoml.testing import make_panel

FAST_GBM = {"n_estimators": 30, "learning_rate": 0.2, "min_child_samples": 5}


def learners(**params: object) -> list[GlobalRegressionLearner]:
    """A small LightGBM and a Ridge with the same shared parameters."""
    return [LightGBM(**FAST_GBM, **params), Ridge(**params)]  # type: ignore[arg-type]


def price_frame(n: int = 10, length: int = 150, beta: float = -2.0, seed: int = 0) -> pd.DataFrame:
    """Daily series ``level + beta * price + AR(1) noise`` with a same-day price column."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2023-01-02", periods=length, freq="D")
    frames = []
    for i in range(n):
        price = rng.uniform(1, 3, length).round(2)
        noise = np.zeros(length)
        for t in range(1, length):
            noise[t] = 0.5 * noise[t - 1] + rng.normal(0, 0.5)
        y = rng.uniform(20, 40) + beta * price + noise
        frames.append(pd.DataFrame({"unique_id": f"s{i:02d}", "ds": ds, "y": y, "price": price}))
    return pd.concat(frames, ignore_index=True)


def future_of(panel: Panel, horizon: int, **exog: np.ndarray) -> Future:
    """The next ``horizon`` times of every series with the given exogenous arrays."""
    last = panel.times[panel.indptr[1:] - 1]
    times = panel.freq.future_times(last, horizon).reshape(panel.n_series, horizon)
    return Future(times, dict(exog))


@pytest.fixture(scope="module")
def panel() -> Panel:
    return Panel.from_frame(make_panel(6, min_length=60, max_length=100, seed=1))


@pytest.fixture(scope="module")
def price_panel() -> Panel:
    return Panel.from_frame(price_frame())


# ----------------------------------------------------------------------------- presets
@pytest.mark.parametrize("preset", ["short", "seasonal", "long"])
@pytest.mark.parametrize("m", [1, 7, 12, 24])
def test_presets_start_with_lag1_and_grow(preset: str, m: int) -> None:
    specs = preset_target_features(preset, season_length=m, horizon=14)
    names = [s.name for s in specs]
    assert names[0] == "lag1" and len(set(names)) == len(names)
    if preset == "seasonal" and m > 1:
        assert f"lag{m}" in names and f"lag{2 * m}" in names
        assert f"seasonal_rolling_mean_lag{m}_season{m}_window4_min1" in names
    longest = max(s.history or 0 for s in specs)
    short = max(s.history or 0 for s in preset_target_features("short", m, 14))
    assert longest >= short


def test_unknown_preset_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="lags='medium'"):
        preset_target_features("medium", 7, 7)


def test_presets_are_pruned_to_the_shortest_series(panel: Panel) -> None:
    model = Ridge(lags="long", horizon=7, season_length=7, calendar=False).fit(panel)
    budget = (int(panel.target.lengths.min()) - 7) // 2
    needs = [f.history for f in model.pipeline_.target_features_]
    assert all(h is None or h <= budget for h in needs) and Lag(1) in model.pipeline_.target_features_


# ---------------------------------------------------------------------------- strategies
@pytest.mark.parametrize("model", learners(target_transform="scale", horizon=5, season_length=7))
def test_recursive_equals_a_hand_written_loop(model: GlobalRegressionLearner, panel: Panel) -> None:
    model.fit(panel)
    pipe, regressor = model.pipeline_, model.models_[0]
    y = panel.target
    scales = np.array([np.nanmean(np.abs(y.series(i))) for i in range(panel.n_series)])
    history = GroupedArray(y.values / np.repeat(scales, y.lengths), y.indptr)
    times = future_of(panel, 5).times
    expected = np.empty((panel.n_series, 5))
    for k in range(5):
        row = pipe.update(history, times[:, k])
        expected[:, k] = regressor.predict(row)
        history = history.append(expected[:, k])
    np.testing.assert_allclose(model.predict(5).mean, expected * scales[:, None], rtol=1e-10)


@pytest.mark.parametrize("model", learners(strategy="direct", lags="short", calendar=False,
                                           target_transform="none", horizon=5))
def test_direct_uses_the_exogenous_value_of_the_target_time(
    model: GlobalRegressionLearner, price_panel: Panel
) -> None:
    model.fit(price_panel)
    n = price_panel.n_series
    base = model.predict(5, future_of(price_panel, 5, price=np.full((n, 5), 2.0))).mean
    dearer = model.predict(5, future_of(price_panel, 5, price=np.full((n, 5), 2.5))).mean
    effect = (dearer - base).mean(axis=0) / 0.5  # simulated: -2 per unit of price, every step
    tolerance = 0.15 if isinstance(model, Ridge) else 0.4
    np.testing.assert_allclose(effect, -2.0, atol=tolerance)
    assert len(model.models_) == 5


def test_direct_step_models_see_target_time_rows(price_panel: Panel) -> None:
    model = Ridge(strategy="direct", lags="short", calendar=False, target_transform="none", horizon=3)
    model.fit(price_panel)
    coefs = [m[-1].coef_ for m in model.models_]
    price = model.feature_names_.index("price")
    # the price coefficient (on standardised features) stays strong at every step
    assert all(c[price] < -0.5 for c in coefs)


def test_direct_caps_the_rows_of_each_step_model(price_panel: Panel, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(regression, "DIRECT_MIN_ROWS", 100)
    monkeypatch.setattr(regression, "DIRECT_ROWS_BUDGET", 300)
    model = Ridge(strategy="direct", lags="short", horizon=3).fit(price_panel)
    assert [m[1].n_samples_seen_ for m in model.models_] == [100, 100, 100]
    again = Ridge(strategy="direct", lags="short", horizon=3).fit(price_panel)  # seeded sample
    np.testing.assert_array_equal(again.predict(3, future_of(price_panel, 3, price=np.ones((10, 3)))).mean,
                                  model.predict(3, future_of(price_panel, 3, price=np.ones((10, 3)))).mean)


def test_direct_cannot_forecast_beyond_its_horizon(panel: Panel) -> None:
    model = Ridge(strategy="direct", horizon=3, calendar=False).fit(panel)
    assert model.predict(2).mean.shape == (panel.n_series, 2)
    with pytest.raises(DataValidationError, match="horizon=3"):
        model.predict(4)


def test_recursive_forecasts_any_horizon(panel: Panel) -> None:
    model = Ridge(horizon=3, calendar=False).fit(panel)
    long = model.predict(10).mean
    np.testing.assert_allclose(model.predict(3).mean, long[:, :3], rtol=1e-12)


# ---------------------------------------------------------------------------- transforms
def _trend_frame(
    slope: float, constant: bool, levels: tuple[float, ...] = (5.0, 50.0, -20.0, 300.0)
) -> pd.DataFrame:
    frames = []
    for i, (level, n) in enumerate(zip(levels, [40, 60, 50, 45], strict=True)):
        t = np.arange(n)
        y = np.full(n, level) if constant else level + slope * t
        ds = pd.date_range(end="2024-06-30", periods=n, freq="D")
        frames.append(pd.DataFrame({"unique_id": f"s{i}", "ds": ds, "y": y}))
    return pd.concat(frames, ignore_index=True)


@pytest.mark.parametrize("strategy", ["recursive", "direct"])
@pytest.mark.parametrize("cls", [LightGBM, Ridge])
def test_scale_inverts_exactly_on_constant_series(strategy: str, cls: type) -> None:
    levels = np.array([5.0, 50.0, 20.0, 300.0])  # one shape after scaling
    panel = Panel.from_frame(_trend_frame(0.0, constant=True, levels=tuple(levels)))
    model = cls(target_transform="scale", strategy=strategy, horizon=4, lags="short").fit(panel)
    np.testing.assert_allclose(model.transform_.scales, levels)
    np.testing.assert_allclose(model.predict(4).mean, np.repeat(levels[:, None], 4, axis=1), rtol=1e-6)


@pytest.mark.parametrize("strategy", ["recursive", "direct"])
@pytest.mark.parametrize("cls", [LightGBM, Ridge])
def test_diff_integrates_back_from_the_last_value(strategy: str, cls: type) -> None:
    panel = Panel.from_frame(_trend_frame(0.5, constant=False))
    model = cls(target_transform="diff", strategy=strategy, horizon=4, lags="short").fit(panel)
    last = np.array([5.0 + 0.5 * 39, 50.0 + 0.5 * 59, -20.0 + 0.5 * 49, 300.0 + 0.5 * 44])
    expected = last[:, None] + 0.5 * np.arange(1, 5)
    np.testing.assert_allclose(model.predict(4).mean, expected, rtol=1e-6)


def test_diff_starts_from_the_last_observed_value() -> None:
    df = _trend_frame(0.5, constant=False)
    df.loc[df.groupby("unique_id").tail(1).index, "y"] = np.nan  # the last value of each is missing
    model = Ridge(target_transform="diff", horizon=2, lags="short").fit(Panel.from_frame(df))
    np.testing.assert_allclose(model.transform_.last, [5.0 + 0.5 * 38, 50.0 + 0.5 * 58, -20.0 + 0.5 * 48,
                                                        300.0 + 0.5 * 43])


def test_scale_uses_training_data_only(panel: Panel) -> None:
    model = Ridge(target_transform="scale", max_history=30, calendar=False).fit(panel)
    y = panel.target
    expected = [np.nanmean(np.abs(y.series(i)[-30:])) for i in range(panel.n_series)]
    np.testing.assert_allclose(model.transform_.scales, expected)


def test_scale_of_negative_and_zero_series() -> None:
    df = _trend_frame(0.0, constant=True, levels=(-4.0, 0.0, 2.0, 3.0))
    model = Ridge(target_transform="scale", horizon=2, lags="short").fit(Panel.from_frame(df))
    np.testing.assert_allclose(model.transform_.scales, [4.0, 1.0, 2.0, 3.0])


# -------------------------------------------------------------------------- look-ahead
@pytest.mark.parametrize("model", learners(horizon=5, season_length=7))
def test_target_values_after_the_training_end_change_nothing(model: GlobalRegressionLearner) -> None:
    df = make_panel(5, min_length=60, max_length=80, seed=2)
    cut = Panel.from_frame(df).target.lengths - 10  # train on all but the last 10 points
    changed = df.copy()
    changed.loc[changed.groupby("unique_id").tail(10).index, "y"] = 1e6
    forecasts = []
    for frame in (df, changed):
        p = Panel.from_frame(frame)
        rows = np.concatenate([np.arange(p.indptr[i], p.indptr[i] + cut[i]) for i in range(p.n_series)])
        forecasts.append(clone(model).fit(p.take(np.arange(p.n_series), rows, cut)).predict(5).mean)
    np.testing.assert_array_equal(forecasts[0], forecasts[1])


@pytest.mark.parametrize("strategy", ["recursive", "direct"])
@pytest.mark.parametrize("model", learners(horizon=6, lags="short"))
def test_future_exog_after_a_step_does_not_move_that_step(
    model: GlobalRegressionLearner, strategy: str, price_panel: Panel
) -> None:
    model.set_params(strategy=strategy).fit(price_panel)
    rng = np.random.default_rng(0)
    n = price_panel.n_series
    price = rng.uniform(1, 3, (n, 6))
    base = model.predict(6, future_of(price_panel, 6, price=price)).mean
    for j in range(5):
        moved = price.copy()
        moved[:, j + 1 :] += rng.uniform(1, 2, (n, 5 - j))
        out = model.predict(6, future_of(price_panel, 6, price=moved)).mean
        np.testing.assert_array_equal(out[:, : j + 1], base[:, : j + 1])
        assert not np.array_equal(out[:, j + 1 :], base[:, j + 1 :])


# --------------------------------------------------------------------- exogenous inputs
def test_missing_or_nan_future_exog_is_a_clear_error(price_panel: Panel) -> None:
    model = Ridge(horizon=3, lags="short").fit(price_panel)
    n = price_panel.n_series
    with pytest.raises(DataValidationError, match="price"):
        model.predict(3)
    price = np.full((n, 3), 2.0)
    price[1, 2] = np.nan
    with pytest.raises(DataValidationError, match=r"'price' has NaN future values in 1 series: \['s01'\]"):
        model.predict(3, future_of(price_panel, 3, price=price))
    with pytest.raises(DataValidationError, match=r"shape \(10, 2\)"):
        model.predict(3, future_of(price_panel, 3, price=np.ones((n, 2))))


def test_only_numeric_exogenous_columns_are_used(price_panel: Panel) -> None:
    df = price_frame(n=4).assign(promo=lambda d: (d["price"] < 1.5).astype(int), store="north")
    p = Panel.from_frame(df)
    model = Ridge(horizon=2, lags="short").fit(p)
    assert model.exogenous_ == ["price", "promo"] and "store" not in model.feature_names_
    ones = np.ones((4, 2))
    assert np.isfinite(model.predict(2, future_of(p, 2, price=ones, promo=ones)).mean).all()


def test_holiday_features_are_added(panel: Panel) -> None:
    model = Ridge(holidays="US", horizon=3).fit(panel)
    assert {"holiday", "days_to_holiday", "dayofweek"} <= set(model.feature_names_)
    assert np.isfinite(model.predict(3).mean).all()


# ----------------------------------------------------------------- time, data and params
@pytest.mark.parametrize("strategy", ["recursive", "direct"])
@pytest.mark.parametrize("model", learners(horizon=4, season_length=7))
def test_dates_and_integer_steps(model: GlobalRegressionLearner, strategy: str) -> None:
    model.set_params(strategy=strategy)
    dates = Panel.from_frame(make_panel(4, seed=3))
    steps = Panel.from_frame(make_panel(4, seed=3, freq=None))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # integer time: no date parts
        by_step = clone(model).fit(steps).predict(4).mean
    by_date = clone(model).fit(dates).predict(4).mean
    assert by_step.shape == by_date.shape == (4, 4)
    assert np.isfinite(by_step).all() and np.isfinite(by_date).all()


def test_season_length_overrides_the_panel_frequency() -> None:
    steps = Panel.from_frame(make_panel(3, min_length=60, seed=3, freq=None))
    assert steps.freq.season_length == 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # integer time: no date parts
        model = Ridge(season_length=7, fourier_order=1, horizon=2).fit(steps)
    assert {"lag7", "lag14", "fourier_sin_p7_k1"} <= set(model.feature_names_)
    assert model.get_params()["season_length"] == 7 and steps.freq.season_length == 1


def test_max_history_trains_on_the_last_points_only(panel: Panel) -> None:
    model = Ridge(max_history=40, horizon=3, season_length=7)
    lengths = np.minimum(panel.target.lengths, 40)
    ends = panel.indptr[1:]
    rows = np.concatenate([np.arange(end - k, end) for end, k in zip(ends, lengths, strict=True)])
    tail = panel.take(np.arange(panel.n_series), rows, lengths)
    np.testing.assert_allclose(clone(model).fit(panel).predict(3).mean,
                               clone(model).fit(tail).predict(3).mean, rtol=1e-12)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"strategy": "both"}, "strategy='both'"),
        ({"target_transform": "log"}, "target_transform='log'"),
        ({"lags": 7}, "lags=7"),
        ({"horizon": 0}, "horizon must be an integer >= 1"),
        ({"max_history": 0}, "max_history"),
        ({"season_length": 1.5}, "season_length"),
        ({"n_jobs": 0}, "n_jobs"),
    ],
)
def test_invalid_parameters_are_config_errors(params: dict, message: str, panel: Panel) -> None:
    with pytest.raises(ConfigError, match=message):
        Ridge(**params).fit(panel)


def test_too_short_for_a_direct_step_is_a_clear_error() -> None:
    df = make_panel(2, min_length=3, max_length=3, nan_fraction=0.0, seed=0)
    with pytest.raises(DataValidationError, match="no training rows for step 4"):
        Ridge(strategy="direct", horizon=4, calendar=False).fit(Panel.from_frame(df))


# ----------------------------------------------------------- deadline and persistence
@pytest.mark.parametrize("strategy", ["recursive", "direct"])
@pytest.mark.parametrize("model", learners(horizon=3))
def test_deadline_in_the_past_raises(model: GlobalRegressionLearner, strategy: str, panel: Panel) -> None:
    with pytest.raises(TrialTimeout):
        model.set_params(strategy=strategy).fit(panel, deadline=time.monotonic() - 1.0)


@pytest.mark.parametrize("model", learners(strategy="direct", horizon=4, season_length=7))
def test_clone_pickle_and_refit_give_identical_forecasts(
    model: GlobalRegressionLearner, panel: Panel
) -> None:
    params = model.get_params()
    first = model.fit(panel).predict(4).mean
    assert model.get_params() == params  # fit never changes parameters
    np.testing.assert_array_equal(clone(model).fit(panel).predict(4).mean, first)
    np.testing.assert_array_equal(model.fit(panel).predict(4).mean, first)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(model)).predict(4).mean, first)


def test_predict_before_fit_raises() -> None:
    with pytest.raises(NotFittedError):
        Ridge().predict(3)
