"""Every kernel against a plain pandas reference, on hypothesis-generated ragged panels."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tsautoml.features import _kernels as K

Reference = Callable[[pd.Series], pd.Series]


@st.composite
def panels(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """Values and indptr of 1-6 series of length 0-40, with NaNs and repeated values."""
    lengths = draw(st.lists(st.integers(0, 40), min_size=1, max_size=6))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    values = rng.normal(size=sum(lengths)).round(draw(st.sampled_from([1, 6])))
    values[rng.random(values.size) < draw(st.sampled_from([0.0, 0.2, 0.6]))] = np.nan
    return values, np.r_[0, np.cumsum(lengths)].astype(np.int64)


def _reference(values: np.ndarray, indptr: np.ndarray, fn: Reference) -> np.ndarray:
    groups = np.repeat(np.arange(indptr.size - 1), np.diff(indptr))
    series = pd.Series(values.astype(np.float64))
    return series.groupby(groups).transform(fn).to_numpy()


def _run(kernel: Callable, values: np.ndarray, indptr: np.ndarray, *params: float) -> np.ndarray:
    out = np.empty_like(values)
    result = kernel(values, indptr, *params, out)
    assert result is out and result.dtype == values.dtype
    return result


WINDOWED: dict[str, tuple[Callable, Callable[[pd.core.window.Rolling], pd.Series]]] = {
    "mean": (K.rolling_mean, lambda r: r.mean()),
    "std": (K.rolling_std, lambda r: r.std()),
    "min": (K.rolling_min, lambda r: r.min()),
    "max": (K.rolling_max, lambda r: r.max()),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("stat", sorted(WINDOWED))
@settings(max_examples=60, deadline=None)
@given(panel=panels(), lag=st.integers(1, 5), window=st.integers(1, 12), data=st.data())
def test_rolling_matches_pandas(panel, lag, window, data, stat, dtype) -> None:
    values, indptr = panel
    min_samples = data.draw(st.integers(1, window))
    kernel, method = WINDOWED[stat]
    got = _run(kernel, values.astype(dtype), indptr, lag, window, min_samples)
    expected = _reference(values.astype(dtype), indptr,
                          lambda s: method(s.shift(lag).rolling(window, min_periods=min_samples)))
    rtol = 1e-4 if dtype == np.float32 else 1e-9
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@settings(max_examples=60, deadline=None)
@given(panel=panels(), lag=st.integers(1, 5), window=st.integers(1, 10),
       q=st.sampled_from([0.0, 0.1, 0.5, 0.75, 1.0]), data=st.data())
def test_rolling_quantile_matches_pandas(panel, lag, window, q, data, dtype) -> None:
    values, indptr = panel
    min_samples = data.draw(st.integers(1, window))
    got = _run(K.rolling_quantile, values.astype(dtype), indptr, lag, window, min_samples, q)
    expected = _reference(values.astype(dtype), indptr,
                          lambda s: s.shift(lag).rolling(window, min_periods=min_samples).quantile(q))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@settings(max_examples=60, deadline=None)
@given(panel=panels(), lag=st.integers(1, 5), periods=st.integers(1, 5),
       alpha=st.sampled_from([0.1, 0.5, 1.0]), min_samples=st.integers(1, 4))
def test_lag_diff_expanding_ewm_match_pandas(panel, lag, periods, alpha, min_samples, dtype) -> None:
    values, indptr = panel
    values = values.astype(dtype)
    cases = [
        (_run(K.lag, values, indptr, lag), lambda s: s.shift(lag)),
        (_run(K.diff, values, indptr, lag, periods), lambda s: s.shift(lag).diff(periods)),
        (_run(K.expanding_mean, values, indptr, lag, min_samples),
         lambda s: s.shift(lag).expanding(min_periods=min_samples).mean()),
        (_run(K.expanding_std, values, indptr, lag, min_samples),
         lambda s: s.shift(lag).expanding(min_periods=min_samples).std()),
        (_run(K.ewm_mean, values, indptr, lag, alpha, 1),
         lambda s: s.shift(lag).ewm(alpha=alpha, adjust=False, ignore_na=True).mean()),
    ]
    for got, reference in cases:
        np.testing.assert_allclose(got, _reference(values, indptr, reference), rtol=1e-5, atol=1e-5)


@settings(max_examples=60, deadline=None)
@given(panel=panels(), lag=st.integers(1, 4), season=st.integers(1, 7),
       window=st.integers(1, 4), data=st.data())
def test_seasonal_rolling_mean_matches_pandas(panel, lag, season, window, data) -> None:
    values, indptr = panel
    min_samples = data.draw(st.integers(1, window))

    def reference(s: pd.Series) -> pd.Series:
        # same position in the season: every season-th value, windowed, then re-interleaved
        shifted = s.shift(lag).reset_index(drop=True)
        phase = np.arange(len(shifted)) % season
        rolled = shifted.groupby(phase).transform(
            lambda p: p.rolling(window, min_periods=min_samples).mean()
        )
        return pd.Series(rolled.to_numpy(), index=s.index)

    got = _run(K.seasonal_rolling_mean, values, indptr, lag, season, window, min_samples)
    np.testing.assert_allclose(got, _reference(values, indptr, reference), rtol=1e-9, atol=1e-9)


def test_series_shorter_than_window_and_min_samples_edge() -> None:
    values = np.array([1.0, 2.0, 3.0, 10.0, np.nan, 30.0])
    indptr = np.array([0, 3, 6])
    out = _run(K.rolling_mean, values, indptr, 1, 5, 2)
    # first series: 2 observed values needed -> only the third row has them
    np.testing.assert_array_equal(out[:3], [np.nan, np.nan, 1.5])
    # second series: the NaN does not count toward min_samples
    np.testing.assert_array_equal(out[3:], [np.nan, np.nan, np.nan])
    assert np.isnan(_run(K.rolling_std, values, indptr, 1, 5, 1)[4])  # one value: no std


KERNELS: list[tuple[str, Callable, tuple]] = [
    ("lag", K.lag, (2,)),
    ("diff", K.diff, (1, 2)),
    ("rolling_mean", K.rolling_mean, (1, 4, 1)),
    ("rolling_std", K.rolling_std, (2, 4, 2)),
    ("rolling_min", K.rolling_min, (1, 3, 1)),
    ("rolling_max", K.rolling_max, (3, 5, 1)),
    ("rolling_quantile", K.rolling_quantile, (1, 4, 1, 0.3)),
    ("seasonal_rolling_mean", K.seasonal_rolling_mean, (1, 3, 2, 1)),
    ("expanding_mean", K.expanding_mean, (1, 1)),
    ("expanding_std", K.expanding_std, (2, 2)),
    ("ewm_mean", K.ewm_mean, (1, 0.4, 1)),
]


@pytest.mark.parametrize(("name", "kernel", "params"), KERNELS, ids=[k[0] for k in KERNELS])
def test_no_look_ahead(name: str, kernel: Callable, params: tuple) -> None:
    """Changing any y at or after t changes no feature at or before t (same series or not)."""
    rng = np.random.default_rng(0)
    indptr = np.array([0, 30, 55, 80])
    values = rng.normal(size=80)
    base = _run(kernel, values, indptr, *params)
    for t in (0, 10, 29, 30, 42, 79):
        changed = values.copy()
        start = indptr[np.searchsorted(indptr, t, side="right") - 1]
        end = indptr[np.searchsorted(indptr, t, side="right")]
        changed[t:end] += rng.normal(size=end - t) * 100
        after = _run(kernel, changed, indptr, *params)
        np.testing.assert_array_equal(after[start : t + 1], base[start : t + 1])
        untouched = np.ones(80, dtype=bool)
        untouched[start:end] = False
        np.testing.assert_array_equal(after[untouched], base[untouched])  # other series
