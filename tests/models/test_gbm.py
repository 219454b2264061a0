"""LightGBM learner: count objectives, conflicts, determinism, the boosting deadline."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from tsautoml.data.grouped import Panel
from tsautoml.exceptions import ConfigError, TrialTimeout
from tsautoml.models.gbm import LightGBM
from tsautoml.testing import make_panel


def count_frame(n: int = 8, length: int = 120, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Weekly-seasonal Poisson counts, and the true mean of the next 7 days of each series."""
    rng = np.random.default_rng(seed)
    t = np.arange(length + 7)
    ds = pd.date_range("2024-01-01", periods=length, freq="D")
    frames, means = [], []
    for i in range(n):
        rate = rng.uniform(0.5, 8.0) * (1 + 0.6 * np.sin(2 * np.pi * t / 7))
        y = rng.poisson(rate[:length]).astype(float)
        frames.append(pd.DataFrame({"unique_id": f"c{i}", "ds": ds, "y": y}))
        means.append(rate[length:])
    return pd.concat(frames, ignore_index=True), np.array(means)


@pytest.fixture(scope="module")
def panel() -> Panel:
    return Panel.from_frame(make_panel(6, min_length=60, max_length=100, seed=4))


@pytest.mark.parametrize("objective", ["poisson", "tweedie"])
def test_count_objectives_forecast_counts(objective: str) -> None:
    df, means = count_frame()
    model = LightGBM(objective=objective, target_transform="none", n_estimators=80, learning_rate=0.1,
                     min_child_samples=10, lags="seasonal", horizon=7, season_length=7)
    forecast = model.fit(Panel.from_frame(df)).predict(7).mean
    assert (forecast > 0).all()
    # close to the true rates: far better than the error of a single count draw
    assert np.mean(np.abs(forecast - means)) < 0.5 * np.mean(np.sqrt(means))
    assert np.corrcoef(forecast.ravel(), means.ravel())[0, 1] > 0.9


@pytest.mark.parametrize("objective", ["poisson", "tweedie"])
def test_count_objective_with_diff_is_a_config_error(objective: str, panel: Panel) -> None:
    model = LightGBM(objective=objective, target_transform="diff")
    conflict = f"objective='{objective}' cannot be combined with target_transform='diff'"
    with pytest.raises(ConfigError, match=conflict):
        model.fit(panel)


def test_count_objective_needs_a_non_negative_target() -> None:
    df, _ = count_frame(n=3)
    df.loc[df["unique_id"] == "c1", "y"] -= 5.0
    with pytest.raises(ConfigError, match=r"non-negative target.*\['c1'\]"):
        LightGBM(objective="poisson").fit(Panel.from_frame(df))


@pytest.mark.parametrize("objective", ["l2", "l1"])
def test_point_objectives_accept_any_transform(objective: str, panel: Panel) -> None:
    model = LightGBM(objective=objective, target_transform="diff", n_estimators=10, horizon=3)
    assert np.isfinite(model.fit(panel).predict(3).mean).all()


def test_same_seed_same_forecast_and_the_seed_is_used(panel: Panel) -> None:
    params = {"n_estimators": 30, "colsample_bytree": 0.5, "min_child_samples": 5, "horizon": 5}
    first = LightGBM(seed=3, **params).fit(panel).predict(5).mean
    np.testing.assert_array_equal(LightGBM(seed=3, **params).fit(panel).predict(5).mean, first)
    assert not np.array_equal(LightGBM(seed=4, **params).fit(panel).predict(5).mean, first)


def test_trees_and_parameters_reach_lightgbm(panel: Panel) -> None:
    model = LightGBM(n_estimators=12, num_leaves=4, learning_rate=0.2, reg_lambda=1.5).fit(panel)
    booster = model.models_[0]
    assert booster.num_trees() == 12
    assert booster.params["num_leaves"] == 4 and booster.params["lambda_l2"] == 1.5
    assert booster.params["num_threads"] == 1 and booster.params["deterministic"] is True
    every_core = LightGBM(n_estimators=1, n_jobs=-1).fit(panel).models_[0]
    assert every_core.params["num_threads"] == 0


def test_deadline_stops_boosting_promptly(panel: Panel) -> None:
    model = LightGBM(n_estimators=1_000_000, learning_rate=1e-6, horizon=3)
    LightGBM(n_estimators=2, horizon=3).fit(panel)  # warm up the feature kernels
    start = time.monotonic()
    with pytest.raises(TrialTimeout):
        model.fit(panel, deadline=start + 0.3)
    assert time.monotonic() - start < 3.0


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"objective": "huber"}, "objective='huber'"),
        ({"n_estimators": 0}, "n_estimators"),
        ({"num_leaves": 1}, "num_leaves"),
        ({"colsample_bytree": 0.0}, "colsample_bytree"),
        ({"learning_rate": -0.1}, "learning_rate"),
        ({"reg_lambda": -1.0}, "reg_lambda"),
    ],
)
def test_invalid_parameters_are_config_errors(params: dict, message: str, panel: Panel) -> None:
    with pytest.raises(ConfigError, match=message):
        LightGBM(**params).fit(panel)
