"""Checks on classification / regression inputs: clear errors that name what is wrong."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tsautoml.data.table import check_table
from tsautoml.exceptions import DataValidationError


def frame() -> pd.DataFrame:
    return pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": ["x", "y", "x", "y"], "label": ["u", "v", "u", "v"]})


def test_target_by_name_and_explicit_y_agree() -> None:
    df = frame()
    by_name = check_table(df, target="label", task="classification")
    explicit = check_table(df.drop(columns="label"), df["label"], task="classification")
    pd.testing.assert_frame_equal(by_name.X, explicit.X)
    np.testing.assert_array_equal(by_name.y, explicit.y)
    assert list(by_name.X.columns) == ["a", "b"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"target": "price"}, "target column 'price' is not in the data"),
        ({"y": [1, 2, 3]}, "X has 4 rows but y has 3"),
        ({}, "Pass the target"),
        ({"y": ["u", "u", "u", "u"]}, "at least two classes"),
        ({"y": pd.Series(["u", 1, "v", 2], dtype=object)}, "mixes label types"),
    ],
)
def test_bad_classification_input(kwargs: dict, message: str) -> None:
    X = frame().drop(columns="label")
    with pytest.raises(DataValidationError, match=message):
        check_table(X, task="classification", **kwargs)


def test_regression_needs_a_numeric_target() -> None:
    with pytest.raises(DataValidationError, match=r"numeric target.*'cheap'"):
        check_table(frame().drop(columns="label"), ["1.5", "cheap", "3", "4"], task="regression")
    table = check_table(frame().drop(columns="label"), ["1.5", "2", "3", None], task="regression")
    assert table.y.dtype == np.float64 and table.dropped_rows == 1


def test_validation_rows_follow_the_training_rows() -> None:
    X = frame().drop(columns="label")
    X_val = X.iloc[:2][["b", "a"]]  # other column order: aligned by name
    table = check_table(X, [1.0, 2.0, 3.0, 4.0], task="regression", X_val=X_val, y_val=[5.0, 6.0])
    assert table.n_validation == 2
    assert table.y.tolist() == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    assert list(table.X.columns) == ["a", "b"]
    with pytest.raises(DataValidationError, match="both X_val and y_val"):
        check_table(X, [1, 2, 3, 4], task="regression", X_val=X_val)
    with pytest.raises(DataValidationError, match=r"X_val lacks the columns \['b'\]"):
        check_table(X, [1, 2, 3, 4], task="regression", X_val=X[["a"]], y_val=[1, 2, 3, 4])


def test_arrays_get_column_names_and_duplicates_are_refused() -> None:
    table = check_table(np.arange(8.0).reshape(4, 2), [0, 1, 0, 1], task="classification")
    assert list(table.X.columns) == ["x0", "x1"]
    duplicated = pd.DataFrame([[1, 2], [3, 4]], columns=["a", "a"])
    with pytest.raises(DataValidationError, match="duplicated column names"):
        check_table(duplicated, [0, 1], task="classification")
    with pytest.raises(DataValidationError, match="must be a pandas DataFrame"):
        check_table([[1, 2], [3, 4]], [0, 1], task="classification")
