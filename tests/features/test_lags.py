"""Feature specs: names from parameters, declared history, parameter checks, auto mode."""

from __future__ import annotations

import numpy as np
import pytest

from tsautoml.data.frequency import Frequency
from tsautoml.exceptions import ConfigError
from tsautoml.features.lags import (
    Diff,
    EWMMean,
    Expanding,
    Lag,
    Rolling,
    RollingQuantile,
    SeasonalRollingMean,
    TargetFeature,
    auto_target_features,
)

SPECS: list[TargetFeature] = [
    Lag(3),
    Rolling("mean", 7),
    Rolling("std", 5, lag=2, min_samples=2),
    Rolling("min", 4),
    Rolling("max", 4, lag=3),
    Rolling("median", 6, min_samples=3),
    RollingQuantile(0.9, 5),
    SeasonalRollingMean(season_length=4, window=3, min_samples=1),
    Diff(periods=2, lag=2),
]


def test_names_come_from_parameters() -> None:
    assert [s.name for s in SPECS] == [
        "lag3",
        "rolling_mean_lag1_window7",
        "rolling_std_lag2_window5_min2",
        "rolling_min_lag1_window4",
        "rolling_max_lag3_window4",
        "rolling_median_lag1_window6_min3",
        "rolling_quantile_lag1_window5_q0.9",
        "seasonal_rolling_mean_lag1_season4_window3_min1",
        "diff_lag2_periods2",
    ]
    assert Expanding("std", lag=2).name == "expanding_std_lag2"
    assert EWMMean(0.25).name == "ewm_mean_lag1_alpha0.25"


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_declared_history_is_exactly_enough(spec: TargetFeature) -> None:
    """The next row computed from the last `history` points equals the one from the full series,
    and one point fewer is not always enough."""
    rng = np.random.default_rng(1)
    values = np.r_[rng.normal(size=60), np.nan]  # the unobserved next step at the end
    full = spec.compute(values, np.array([0, 61]), np.empty(61))[-1]
    tail = values[-(spec.history + 1) :]
    assert spec.compute(tail, np.array([0, tail.size]), np.empty(tail.size))[-1] == pytest.approx(full)
    shorter = values[-spec.history :]
    got = spec.compute(shorter, np.array([0, shorter.size]), np.empty(shorter.size))[-1]
    assert np.isnan(got) or got != pytest.approx(full)


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: Lag(0), "lag"),
        (lambda: Rolling("mean", 0), "window"),
        (lambda: Rolling("mode", 3), "mode"),
        (lambda: Rolling("mean", 3, min_samples=0), "min_samples"),
        (lambda: RollingQuantile(1.5, 3), "q"),
        (lambda: EWMMean(0.0), "alpha"),
        (lambda: Expanding("max"), "max"),
        (lambda: Diff(periods=0), "periods"),
        (lambda: Lag(2.5), "lag"),
    ],
)
def test_bad_parameters_are_named(build, field: str) -> None:
    with pytest.raises(ConfigError, match=field):
        build()


def test_auto_daily_uses_weekly_season_and_horizon() -> None:
    names = [s.name for s in auto_target_features(Frequency.from_alias("D"), horizon=35)]
    assert names[:7] == [f"lag{k}" for k in range(1, 8)]
    assert {"lag14", "lag21", "lag28"} <= set(names)
    assert "rolling_mean_lag1_window7" in names
    assert "rolling_mean_lag1_window35" in names  # the long window covers the horizon
    assert "seasonal_rolling_mean_lag1_season7_window4_min1" in names


def test_auto_hourly_adds_the_weekly_period() -> None:
    names = {s.name for s in auto_target_features(Frequency.from_alias("h"), horizon=48)}
    assert {"lag1", "lag14", "lag24", "lag48", "lag168"} <= names
    assert "lag15" not in names


def test_auto_without_seasonality_and_short_series() -> None:
    specs = auto_target_features(Frequency.from_alias(None), horizon=6, min_length=20)
    assert all(s.history is None or s.history <= 7 for s in specs)  # (20 - 6) // 2
    assert [s.name for s in specs][:3] == ["lag1", "lag2", "lag3"]
    with pytest.raises(ConfigError, match="horizon"):
        auto_target_features(Frequency.from_alias("D"), horizon=0)
