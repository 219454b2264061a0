"""Ridge learner: recovers simulated dynamics, imputes missing features, checks alpha."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tsautoml.data.grouped import Panel
from tsautoml.exceptions import ConfigError
from tsautoml.models.linear import Ridge
from tsautoml.testing import make_panel


def ar_frame(
    n: int = 20, length: int = 200, horizon: int = 7, phi: float = 0.7, weekly: bool = True, seed: int = 0
) -> tuple[pd.DataFrame, np.ndarray]:
    """``level + day-of-week effect + AR(1)`` series (unit noise), and the oracle forecast.

    The oracle knows the level and the effects: ``level + effect + phi^k * deviation``.
    """
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2023-01-02", periods=length, freq="D")
    pattern = np.array([0.0, 1.0, 2.0, 1.5, 3.0, -3.0, -4.5]) if weekly else np.zeros(7)
    future = pd.date_range(ds[-1], periods=horizon + 1, freq="D")[1:]
    frames, oracle = [], []
    for i in range(n):
        level = rng.uniform(10, 50)
        deviation = np.empty(length)
        deviation[0] = rng.normal(0, 1 / np.sqrt(1 - phi**2))
        for t in range(1, length):
            deviation[t] = phi * deviation[t - 1] + rng.normal()
        y = level + pattern[ds.dayofweek] + deviation
        frames.append(pd.DataFrame({"unique_id": f"s{i:02d}", "ds": ds, "y": y}))
        oracle.append(level + pattern[future.dayofweek] + phi ** np.arange(1, horizon + 1) * deviation[-1])
    return pd.concat(frames, ignore_index=True), np.array(oracle)


@pytest.mark.parametrize("strategy", ["recursive", "direct"])
def test_recovers_ar1_with_weekly_effects(strategy: str) -> None:
    df, oracle = ar_frame(n=30, length=400)
    model = Ridge(lags="auto", target_transform="none", fourier_order=3, strategy=strategy,
                  horizon=7, season_length=7)
    forecast = model.fit(Panel.from_frame(df)).predict(7).mean
    # squared distance to the oracle, in units of the noise variance (1): a small excess error
    assert np.mean((forecast - oracle) ** 2) < 0.15


def test_recovers_ar1_around_series_levels_with_scaling() -> None:
    df, oracle = ar_frame(phi=0.8, weekly=False)
    model = Ridge(lags="short", target_transform="scale", calendar=False, horizon=7)
    forecast = model.fit(Panel.from_frame(df)).predict(7).mean
    assert np.mean((forecast - oracle) ** 2) < 0.15
    lag1 = model.feature_names_.index("lag1")
    ridge = model.models_[0][-1]
    scaler = model.models_[0][-2]
    assert ridge.coef_[lag1] / scaler.scale_[lag1] == pytest.approx(0.8, abs=0.1)  # phi on the raw lag


def test_missing_features_are_imputed_with_indicators() -> None:
    df = make_panel(5, min_length=60, max_length=80, seed=6)
    df.loc[df.groupby("unique_id").tail(2).index, "y"] = np.nan  # gaps right before the forecast
    model = Ridge(horizon=5, season_length=7).fit(Panel.from_frame(df))
    imputer = model.models_[0][0]
    assert imputer.indicator_ is not None and len(imputer.indicator_.features_) > 0
    assert np.isfinite(model.predict(5).mean).all()


@pytest.mark.parametrize("alpha", [-1.0, "strong", None])
def test_invalid_alpha_is_a_config_error(alpha: object) -> None:
    panel = Panel.from_frame(make_panel(2, seed=0))
    with pytest.raises(ConfigError, match="alpha"):
        Ridge(alpha=alpha).fit(panel)  # type: ignore[arg-type]


def test_strong_penalty_flattens_the_forecast() -> None:
    panel = Panel.from_frame(make_panel(4, min_length=60, seed=7))
    weak = Ridge(alpha=1e-3, horizon=7, season_length=7).fit(panel).predict(7).mean
    strong = Ridge(alpha=1e9, horizon=7, season_length=7).fit(panel).predict(7).mean
    assert np.ptp(strong, axis=1).max() < 1e-3 < np.ptp(weak, axis=1).max()
