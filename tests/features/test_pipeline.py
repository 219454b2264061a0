"""FeaturePipeline: the training matrix, the one-step update, dtypes, exogenous columns, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tsautoml.data.grouped import Panel
from tsautoml.exceptions import ConfigError, DataValidationError, NotFittedError
from tsautoml.features.lags import EWMMean, Expanding, Lag, Rolling, SeasonalRollingMean
from tsautoml.features.pipeline import FeaturePipeline
from tsautoml.testing import make_panel

SPECS = [Lag(1), Lag(7), Rolling("mean", 7), Rolling("std", 28, min_samples=3), Rolling("max", 3, lag=2),
         SeasonalRollingMean(7, 3, min_samples=1), Expanding("mean"), EWMMean(0.3)]


def _extend(df: pd.DataFrame, panel: Panel, value: float) -> pd.DataFrame:
    """The frame with one more step per series, target ``value`` and price 1.5."""
    nxt = panel.freq.future_times(panel.times[panel.indptr[1:] - 1], 1)
    extra = panel.ids.assign(ds=nxt, y=value)
    if "price" in df:
        extra["price"] = 1.5
    return pd.concat([df, extra], ignore_index=True)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("freq", ["D", None])
def test_update_equals_transform_of_the_extended_panel(dtype: str, freq: str | None) -> None:
    df = make_panel(6, freq=freq, exogenous=True, seed=3)
    panel = Panel.from_frame(df)
    pipe = FeaturePipeline(SPECS, dtype=dtype).fit(panel)
    nxt = panel.freq.future_times(panel.times[panel.indptr[1:] - 1], 1)
    update = pipe.update(panel.target, nxt, {"price": np.full(panel.n_series, 1.5)})
    for value in (0.0, 1e6):  # the next target value must not matter
        extended = Panel.from_frame(_extend(df, panel, value))
        full = pipe.transform(extended)
        expected = full[extended.indptr[1:] - 1]
        np.testing.assert_allclose(update, expected, rtol=1e-12 if dtype == "float64" else 1e-6)
        exact = [i for i, s in enumerate(SPECS) if not isinstance(s, Rolling) or s.stat == "max"]
        np.testing.assert_array_equal(update[:, exact], expected[:, exact])
    assert update.dtype == np.dtype(dtype)


def test_recursive_updates_follow_appended_values() -> None:
    df = make_panel(3, seed=5)
    panel = Panel.from_frame(df)
    pipe = FeaturePipeline([Lag(1), Lag(2), Rolling("mean", 3)], calendar=False).fit(panel)
    history, last = panel.target, panel.times[panel.indptr[1:] - 1]
    for step in range(3):  # append predictions one step at a time
        times = panel.freq.future_times(last, 1)
        row = pipe.update(history, times)
        np.testing.assert_array_equal(row[:, 0], history.values[history.indptr[1:] - 1])
        history, last = history.append(np.full(3, 100.0 + step)), times
    assert row[:, 0].tolist() == [101.0] * 3 and row[:, 1].tolist() == [100.0] * 3


def test_matrix_layout_names_and_memory() -> None:
    panel = Panel.from_frame(make_panel(4, exogenous=True, seed=1))
    pipe = FeaturePipeline(SPECS, holidays="US", dtype="float32")
    X = pipe.fit_transform(panel)
    assert X.shape == (len(panel.target), len(pipe.feature_names_)) and X.flags.f_contiguous
    assert pipe.feature_names_[: len(SPECS)] == [s.name for s in SPECS]
    assert {"dayofweek", "fourier_sin_p7_k1", "holiday", "price"} <= set(pipe.feature_names_)
    x64 = FeaturePipeline(SPECS, holidays="US").fit_transform(panel)
    assert X.nbytes * 2 == x64.nbytes
    np.testing.assert_allclose(X, x64, rtol=1e-6)


def test_auto_features_fit_the_shortest_series() -> None:
    panel = Panel.from_frame(make_panel(5, min_length=40, max_length=200, seed=2))
    pipe = FeaturePipeline(horizon=14, calendar=False).fit(panel)
    limit = (int(panel.target.lengths.min()) - 14) // 2
    assert all(f.history is None or f.history <= limit for f in pipe.target_features_)
    assert limit < 28 and "lag28" not in [f.name for f in pipe.target_features_]


def test_per_series_holiday_column() -> None:
    ds = pd.date_range("2024-11-25", "2024-12-05")
    df = pd.concat([pd.DataFrame({"unique_id": u, "ds": ds, "y": 1.0, "country": c})
                    for u, c in (("us", "US"), ("de", "DE"))])
    panel = Panel.from_frame(df)
    pipe = FeaturePipeline([Lag(1)], calendar=False, holiday_column="country")
    X = pipe.fit_transform(panel)
    holiday = X[:, pipe.feature_names_.index("holiday")]
    thanksgiving = panel.times == np.datetime64("2024-11-28")
    de_rows = np.repeat(panel.ids["unique_id"].to_numpy() == "de", panel.target.lengths)
    assert holiday[thanksgiving & ~de_rows].tolist() == [1.0]
    assert holiday[thanksgiving & de_rows].tolist() == [0.0]
    assert "country" not in pipe.feature_names_


def test_errors_name_the_fault() -> None:
    panel = Panel.from_frame(make_panel(2, exogenous=True))
    with pytest.raises(NotFittedError, match="fit"):
        FeaturePipeline([Lag(1)]).transform(panel)
    with pytest.raises(ConfigError, match="'promo'"):
        FeaturePipeline([Lag(1)], exogenous=["promo"]).fit(panel)
    with pytest.raises(ConfigError, match="'region'"):
        FeaturePipeline([Lag(1)], holiday_column="region").fit(panel)
    with pytest.raises(ConfigError, match="lag1"):
        FeaturePipeline([Lag(1), Lag(1)]).fit(panel)
    pipe = FeaturePipeline([Lag(1)]).fit(panel)
    last = panel.times[panel.indptr[1:] - 1]
    with pytest.raises(DataValidationError, match="price"):
        pipe.update(panel.target, panel.freq.future_times(last, 1))
    with pytest.raises(DataValidationError, match="one time per series"):
        pipe.update(panel.target, last[:1])


def test_holiday_column_must_be_constant_within_a_series() -> None:
    ds = pd.date_range("2024-01-01", periods=4)
    df = pd.DataFrame({"unique_id": ["a"] * 4 + ["b"] * 4, "ds": list(ds) * 2, "y": 1.0,
                       "country": ["US", "US", "DE", "US"] + ["DE"] * 4})
    with pytest.raises(DataValidationError, match=r"changes in series \['a'\]"):
        FeaturePipeline([Lag(1)], holiday_column="country").fit(Panel.from_frame(df))
