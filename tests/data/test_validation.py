"""Every data check, through ``Panel.from_frame``: the error type and a message naming the fault."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from tsautoml.data import ColumnSpec, Panel
from tsautoml.exceptions import DataValidationError, TsAutoMLError
from tsautoml.testing import make_panel


@pytest.fixture
def df() -> pd.DataFrame:
    """Three daily series with ids '10', 'A', '2', no NaNs."""
    return make_panel(3, min_length=10, max_length=20, nan_fraction=0.0, seed=1)


def rejects(df: Any, *fragments: str, **kwargs: Any) -> str:
    """``Panel.from_frame(df)`` raises DataValidationError; every fragment is in the message."""
    with pytest.raises(DataValidationError) as info:
        Panel.from_frame(df, **kwargs)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, TsAutoMLError)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    return message


def rows_of(df: pd.DataFrame, uid: str) -> pd.Index:
    return df.index[df["unique_id"] == uid]


def test_not_a_dataframe(df: pd.DataFrame) -> None:
    rejects(df.to_dict("list"), "DataFrame", "dict")


def test_missing_columns_are_listed(df: pd.DataFrame) -> None:
    rejects(df.drop(columns=["ds", "y"]), "['ds', 'y']")


def test_empty_frame(df: pd.DataFrame) -> None:
    rejects(df.iloc[:0], "empty")


def test_missing_id_values(df: pd.DataFrame) -> None:
    df.loc[5, "unique_id"] = None
    rejects(df, "'unique_id'", "missing", "[5]")


def test_non_numeric_target(df: pd.DataFrame) -> None:
    df["y"] = df["y"].astype(object)
    df.loc[rows_of(df, "A")[3], "y"] = "n/a"
    rejects(df, "'y'", "'n/a'")


def test_infinite_target_names_the_series(df: pd.DataFrame) -> None:
    df.loc[rows_of(df, "A")[4], "y"] = np.inf
    message = rejects(df, "'y'", "infinite", "'A'")
    assert "'10'" not in message and "'2'" not in message


def test_duplicate_rows_name_series_and_time(df: pd.DataFrame) -> None:
    row = df.loc[[rows_of(df, "2")[-1]]]  # series '2' at its last date, 2024-06-30
    message = rejects(pd.concat([df, row], ignore_index=True), "duplicate", "'2'", "2024-06-30")
    assert "'A'" not in message


def test_unparseable_dates_are_shown(df: pd.DataFrame) -> None:
    df["ds"] = df["ds"].dt.strftime("%Y-%m-%d")
    df.loc[rows_of(df, "10")[2], "ds"] = "2024-02-30"
    rejects(df, "'ds'", "'2024-02-30'")


def test_mixed_types_in_time_column(df: pd.DataFrame) -> None:
    df["ds"] = df["ds"].dt.strftime("%Y-%m-%d").astype(object)
    df.loc[0, "ds"] = 5
    rejects(df, "'ds'", "int", "str")


def test_missing_times_name_the_series(df: pd.DataFrame) -> None:
    df.loc[rows_of(df, "A")[1], "ds"] = pd.NaT
    message = rejects(df, "'ds'", "missing", "'A'")
    assert "'10'" not in message


def test_irregular_spacing_names_the_series(df: pd.DataFrame) -> None:
    df.loc[rows_of(df, "2")[4], "ds"] += pd.Timedelta(hours=12)  # one time at 12:00
    message = rejects(df, "Irregular", "'2'", "12:00")
    assert "'A'" not in message and "'10'" not in message


def test_all_nan_series_is_named(df: pd.DataFrame) -> None:
    df.loc[rows_of(df, "10"), "y"] = np.nan
    message = rejects(df, "all NaN", "'10'")
    assert "'A'" not in message


def test_short_series_are_all_listed() -> None:
    df = make_panel(6, min_length=20, max_length=30, seed=3)
    short = ["10", "A", "2"]
    df = df[~df["unique_id"].isin(short) | (df.groupby("unique_id").cumcount() < 3)]
    message = rejects(df, "3 series", "10 observed", "'10'", "'A'", "'2'", min_length=10)
    assert "'b7'" not in message
    Panel.from_frame(df, min_length=3)  # 3 observed values each is enough


def test_unsorted_frame_is_accepted_and_sorted(df: pd.DataFrame) -> None:
    shuffled = df.sample(frac=1.0, random_state=0)
    out = Panel.from_frame(shuffled).to_frame()
    expected = df.sort_values(["unique_id", "ds"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(out, expected)


def test_custom_column_names(df: pd.DataFrame) -> None:
    columns = ColumnSpec(id_cols="sku", time_col="date", target_col="sales")
    renamed = df.rename(columns={"unique_id": "sku", "ds": "date", "y": "sales"})
    panel = Panel.from_frame(renamed, columns)
    assert panel.ids.columns.tolist() == ["sku"]
    assert panel.to_frame().columns.tolist() == ["sku", "date", "sales"]
    rejects(df, "'sku'", "'date'", "'sales'", columns=columns)  # default names: all missing
    renamed.loc[0, "sales"] = np.inf
    rejects(renamed, "'sales'", "infinite", columns=columns)


def test_errors_name_every_id_column() -> None:
    df = pd.DataFrame({"store": [1, 1, 2], "item": ["x", "x", "y"], "ds": [1, 2, 1],
                       "y": [1.0, np.inf, 2.0]})
    with pytest.raises(DataValidationError, match=r"\(1, 'x'\)"):
        Panel.from_frame(df, ColumnSpec(id_cols=("store", "item")))
