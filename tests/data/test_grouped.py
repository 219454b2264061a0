"""The grouped layout: Panel round trips, gap filling, GroupedArray operations."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tsautoml.data import ColumnSpec, GroupedArray, Panel
from tsautoml.data.grouped import concat_ranges, offsets
from tsautoml.exceptions import DataValidationError
from tsautoml.testing import make_panel

HYPOTHESIS = settings(max_examples=150, deadline=None, derandomize=True, database=None)


def from_frame_quietly(df: pd.DataFrame, **kwargs: object) -> Panel:
    """``Panel.from_frame`` that must not warn (no gaps to fill)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return Panel.from_frame(df, **kwargs)  # type: ignore[arg-type]


def sorted_frame(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return df.sort_values(keys, kind="stable").reset_index(drop=True)


@pytest.mark.parametrize("freq", ["D", None])
def test_round_trip_equals_sorted_input(freq: str | None) -> None:
    df = make_panel(8, freq=freq, exogenous=True, seed=4)
    shuffled = df.sample(frac=1.0, random_state=1)
    out = from_frame_quietly(shuffled).to_frame()
    pd.testing.assert_frame_equal(out, sorted_frame(df, ["unique_id", "ds"]))


def test_round_trip_custom_column_names() -> None:
    df = make_panel(5, seed=2).rename(columns={"unique_id": "sku", "ds": "date", "y": "sales"})
    columns = ColumnSpec(id_cols="sku", time_col="date", target_col="sales")
    out = from_frame_quietly(df.iloc[::-1], columns=columns).to_frame()
    pd.testing.assert_frame_equal(out, sorted_frame(df, ["sku", "date"]))


@pytest.mark.parametrize("freq", ["W-WED", None])
def test_round_trip_several_id_columns(freq: str | None) -> None:
    base = make_panel(4, min_length=10, max_length=30, freq=freq, seed=5)
    base = base.rename(columns={"unique_id": "item"})
    df = pd.concat(  # the same item ids in both stores, with different values
        [base.assign(store="s2", y=base["y"] + 100), base.assign(store="s1")], ignore_index=True
    )[["store", "item", "ds", "y"]]
    panel = from_frame_quietly(
        df.sample(frac=1.0, random_state=2), columns=ColumnSpec(id_cols=("store", "item"))
    )
    assert panel.n_series == 8
    assert list(panel.ids.itertuples(index=False, name=None)) == [
        (store, item) for store in ("s1", "s2") for item in sorted(base["item"].unique())
    ]
    pd.testing.assert_frame_equal(panel.to_frame(), sorted_frame(df, ["store", "item", "ds"]))


def test_series_are_sorted_by_id() -> None:
    df = make_panel(8, seed=6)  # ids "10", "A", "2", "b7", "1", "Z", "003", "x-1"
    panel = from_frame_quietly(df)
    assert panel.ids["unique_id"].tolist() == sorted(df["unique_id"].unique())
    for i, uid in enumerate(panel.ids["unique_id"]):
        np.testing.assert_array_equal(
            panel.target.series(i), df.loc[df["unique_id"] == uid, "y"].to_numpy()
        )


def test_integer_ids_sort_numerically() -> None:
    df = make_panel(3, min_length=5, max_length=8, seed=0)
    df["unique_id"] = df["unique_id"].map({"10": 10, "A": 1, "2": 2})
    assert from_frame_quietly(df).ids["unique_id"].tolist() == [1, 2, 10]


def gappy_frame() -> pd.DataFrame:
    """Series 'a' misses 01-03, 01-05 and 01-06; series 'b' is complete."""
    a = pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-04", "2024-01-07"])
    b = pd.date_range("2024-01-01", periods=3, freq="D")
    return pd.DataFrame(
        {
            "unique_id": ["a"] * 4 + ["b"] * 3,
            "ds": a.append(b),
            "y": [1.0, 2.0, 4.0, 7.0, 10.0, 11.0, 12.0],
            "price": [10.0, 20.0, 40.0, 70.0, 1.0, 2.0, 3.0],
        }
    )


@pytest.mark.parametrize(
    ("fill", "expected"),
    [
        ("nan", [1.0, 2.0, np.nan, 4.0, np.nan, np.nan, 7.0]),
        ("zero", [1.0, 2.0, 0.0, 4.0, 0.0, 0.0, 7.0]),
        ("ffill", [1.0, 2.0, 2.0, 4.0, 4.0, 4.0, 7.0]),
    ],
)
def test_fill_policies(fill: str, expected: list[float]) -> None:
    with pytest.warns(UserWarning, match="Filled 3 missing timestamp"):
        panel = Panel.from_frame(gappy_frame(), fill=fill)  # type: ignore[arg-type]
    out = panel.to_frame()
    a = out[out["unique_id"] == "a"]
    np.testing.assert_array_equal(a["ds"], pd.date_range("2024-01-01", periods=7, freq="D"))
    np.testing.assert_array_equal(a["y"], expected)
    assert a["price"].tolist() == [10.0, 20.0, 20.0, 40.0, 40.0, 40.0, 70.0]
    assert out.loc[out["unique_id"] == "b", "y"].tolist() == [10.0, 11.0, 12.0]
    assert panel.filled.to_dict("list") == {"unique_id": ["a"], "n_filled": [3]}


def test_ffill_uses_the_last_observed_value() -> None:
    df = gappy_frame()
    df.loc[1, "y"] = np.nan  # 01-02 is present but unobserved; 01-03 is missing
    with pytest.warns(UserWarning):
        out = Panel.from_frame(df, fill="ffill").to_frame()
    assert out["y"].iloc[2] == 1.0  # got NaN


def test_complete_panel_fills_nothing() -> None:
    panel = from_frame_quietly(make_panel(4, seed=7))
    assert panel.filled.empty
    assert panel.filled.columns.tolist() == ["unique_id", "n_filled"]


@pytest.mark.parametrize("freq", ["MS", "ME", "W-WED", "B", "QE", "YS", "h"])
def test_filled_times_stay_on_the_grid(freq: str) -> None:
    ds = pd.date_range("2024-01-01", periods=8, freq=freq)
    df = pd.DataFrame({"unique_id": "a", "ds": ds, "y": np.arange(8.0)}).drop(index=[2, 3])
    with pytest.warns(UserWarning):
        out = Panel.from_frame(df, freq=freq).to_frame()
    np.testing.assert_array_equal(out["ds"], ds)
    np.testing.assert_array_equal(out["y"], [0, 1, np.nan, np.nan, 4, 5, 6, 7])


def test_timezone_aware_times_keep_wall_time() -> None:
    # Berlin switches to summer time on 2024-03-31: midnights are 23 h apart in UTC there
    ds = pd.date_range("2024-03-28", periods=6, freq="D", tz="Europe/Berlin")
    df = pd.DataFrame({"unique_id": "a", "ds": ds, "y": np.arange(6.0)})
    panel = from_frame_quietly(df)
    assert panel.freq.alias == "D"
    np.testing.assert_array_equal(
        panel.to_frame()["ds"], pd.date_range("2024-03-28", periods=6, freq="D")
    )


lengths_strategy = st.lists(st.integers(0, 8), min_size=1, max_size=6)


def as_lists(ga: GroupedArray) -> list[list[float]]:
    return [ga.series(i).tolist() for i in range(ga.n_series)]


def grouped(lengths: list[int]) -> GroupedArray:
    return GroupedArray(np.arange(float(sum(lengths))), offsets(np.array(lengths, dtype=np.int64)))


@HYPOTHESIS
@given(lengths=lengths_strategy, n=st.integers(0, 10))
def test_tail_matches_python_lists(lengths: list[int], n: int) -> None:
    ga = grouped(lengths)
    assert as_lists(ga.tail(n)) == [s[len(s) - min(n, len(s)) :] for s in as_lists(ga)]


@HYPOTHESIS
@given(lengths=lengths_strategy)
def test_append_matches_python_lists(lengths: list[int]) -> None:
    ga = grouped(lengths)
    new = -np.arange(1.0, ga.n_series + 1)
    out = ga.append(new)
    assert as_lists(out) == [s + [v] for s, v in zip(as_lists(ga), new.tolist(), strict=True)]
    assert out.lengths.tolist() == [n + 1 for n in lengths]


def test_append_needs_one_value_per_series() -> None:
    with pytest.raises(DataValidationError, match="one value per series"):
        grouped([2, 3]).append(np.array([1.0]))


def test_append_and_astype_promote_dtypes() -> None:
    ga = GroupedArray(np.array([1, 2, 3]), np.array([0, 1, 3]))
    assert ga.append(np.array([0.5, 1.5])).values.tolist() == [1.0, 0.5, 2.0, 3.0, 1.5]
    assert ga.astype(np.float32).values.dtype == np.float32
    np.testing.assert_array_equal(ga.astype(np.float32).indptr, ga.indptr)


def test_take_rows_and_concat_ranges() -> None:
    assert concat_ranges(np.array([5, 0, 9]), np.array([2, 0, 3])).tolist() == [5, 6, 9, 10, 11]
    out = grouped([3, 4]).take_rows(np.array([2, 3, 6]), np.array([1, 2]))
    assert as_lists(out) == [[2.0], [3.0, 6.0]]


@pytest.mark.parametrize(
    ("indptr", "match"),
    [
        ([1, 3], "start at 0"),
        ([0, 3, 2, 4], "never decrease"),
        ([], "start at 0"),
        ([[0, 4]], "start at 0"),
        ([0, 2, 5], "ends at 5 but there are 4 values"),
    ],
)
def test_invalid_indptr(indptr: list[int], match: str) -> None:
    with pytest.raises(DataValidationError, match=match):
        GroupedArray(np.arange(4.0), np.array(indptr, dtype=np.int64))


def test_select_keeps_whole_series_in_the_given_order() -> None:
    df = pd.DataFrame({"unique_id": ["a", "a", "b", "c", "c", "c"], "ds": [1, 2, 1, 1, 2, 3],
                       "y": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "price": [9, 8, 7, 6, 5, 4]})
    sub = Panel.from_frame(df).select(np.array([2, 0]))
    assert sub.ids["unique_id"].tolist() == ["c", "a"]
    assert sub.target.values.tolist() == [4.0, 5.0, 6.0, 1.0, 2.0]
    assert sub.indptr.tolist() == [0, 3, 5] and sub.exog["price"].tolist() == [6, 5, 4, 9, 8]
    assert sub.times.tolist() == [1, 2, 3, 1, 2]
