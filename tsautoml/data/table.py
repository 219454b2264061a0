"""Checks on classification / regression inputs: the table, the target, explicit validation data.

Every error names the column, the rows or the values at fault and says how to fix it.
"""

from __future__ import annotations

import reprlib
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from tsautoml.exceptions import DataValidationError

__all__ = ["Table", "as_frame", "check_table"]


@dataclass(frozen=True, eq=False)
class Table:
    """A checked table: features, targets, and how many trailing rows are the user's validation data.

    ``dropped_rows`` counts rows left out because their target was missing.
    """

    X: pd.DataFrame
    y: np.ndarray
    n_validation: int | None = None
    dropped_rows: int = 0


def as_frame(X: Any, name: str = "X") -> pd.DataFrame:
    """``X`` as a DataFrame with unique column names (arrays get ``x0, x1, ...``)."""
    if isinstance(X, pd.DataFrame):
        frame = X
    elif isinstance(X, np.ndarray) and X.ndim == 2:
        frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])])
    else:
        raise DataValidationError(
            f"{name} must be a pandas DataFrame (or a 2-D numpy array); got {type(X).__name__}."
        )
    duplicated = frame.columns[frame.columns.duplicated()].unique().tolist()
    if duplicated:
        raise DataValidationError(f"{name} has duplicated column names {reprlib.repr(duplicated)}; rename them.")
    _check_cells(frame, name)
    return frame


_CONTAINERS = (list, tuple, dict, set, frozenset, np.ndarray)
_PLAIN = {"string", "bytes", "empty", "boolean", "integer", "floating", "decimal", "datetime", "date", "categorical"}


def _check_cells(frame: pd.DataFrame, name: str) -> None:
    """Refuse cells that hold containers (lists, dicts, arrays): no featurizer can read them."""
    for column in frame.select_dtypes(include="object").columns:
        if pd.api.types.infer_dtype(frame[column], skipna=True) in _PLAIN:
            continue  # the common case, decided in C without looking at each cell in Python
        held = frame[column].map(lambda value: isinstance(value, _CONTAINERS))
        if held.any():
            first = frame[column][held].iloc[0]
            raise DataValidationError(
                f"Column {column!r} of {name} holds {type(first).__name__} values in {int(held.sum())} rows "
                f"(e.g. {reprlib.repr(first)}); each cell must be one number, string, date or category. "
                "Expand the values into columns of their own, or drop the column."
            )


def _split_target(X: Any, y: Any, target: str | None, name: str) -> tuple[pd.DataFrame, Any]:
    frame = as_frame(X, name)
    if target is None:
        if y is None:
            raise DataValidationError(f"Pass the target: fit({name}, y) or fit(df, target='column').")
        return frame, y
    if y is not None:
        raise DataValidationError("Pass either y or target=, not both.")
    if target not in frame.columns:
        raise DataValidationError(
            f"The target column {target!r} is not in the data; its columns are {reprlib.repr(list(frame.columns))}."
        )
    return frame.drop(columns=[target]), frame[target]


def _target_array(y: Any, n_rows: int, name: str) -> np.ndarray:
    values = np.asarray(y.to_numpy() if isinstance(y, pd.Series) else y)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.ndim != 1:
        raise DataValidationError(f"{name} must be one column of targets; got shape {values.shape}.")
    if values.size != n_rows:
        raise DataValidationError(
            f"X has {n_rows} rows but {name} has {values.size}: pass one target per row."
        )
    return values


def _checked_target(y: np.ndarray, task: Literal["classification", "regression"], name: str) -> np.ndarray:
    if task == "regression":
        numeric = pd.to_numeric(pd.Series(y), errors="coerce").to_numpy(dtype=np.float64)
        bad = pd.notna(y) & ~np.isfinite(numeric)
        if bad.any():
            raise DataValidationError(
                f"Regression needs a numeric target, but {name} has {int(bad.sum())} values that are not finite "
                f"numbers, e.g. {reprlib.repr(pd.unique(y[bad])[:5].tolist())}. Convert or drop them, or use "
                "task='classification'."
            )
        return numeric
    try:
        np.unique(y)
    except TypeError as exc:  # e.g. strings next to numbers: no order between the classes
        kinds = sorted({type(v).__name__ for v in y})
        raise DataValidationError(f"{name} mixes label types {kinds}; use one type for every class label.") from exc
    if y.dtype.kind == "f":  # as scikit-learn: floats with a fractional part are a continuous target
        fractional = y[np.isfinite(y) & (y != np.round(y))]
        if fractional.size:
            raise DataValidationError(
                f"Classification needs class labels, but {name} holds {np.unique(y).size} distinct float values, "
                f"{fractional.size} of them not whole numbers (e.g. {reprlib.repr(fractional[:3].tolist())}): "
                "it looks continuous. Use task='regression', or bin the target into classes."
            )
    return y


def check_table(
    X: Any,
    y: Any = None,
    *,
    task: Literal["classification", "regression"],
    target: str | None = None,
    X_val: Any = None,
    y_val: Any = None,
) -> Table:
    """Check the inputs of a classification / regression ``fit`` and join the validation rows after X's.

    Rows whose target is missing are dropped (and counted).

    Examples
    --------
    >>> df = pd.DataFrame({"a": [1, 2, 3, 4], "label": ["x", "y", "x", None]})
    >>> table = check_table(df, target="label", task="classification")
    >>> table.y.tolist(), table.dropped_rows
    (['x', 'y', 'x'], 1)
    """
    frame, y = _split_target(X, y, target, "X")
    parts = [(frame, _target_array(y, len(frame), "y"))]
    if (X_val is None) != (y_val is None):
        raise DataValidationError("Explicit validation data needs both X_val and y_val.")
    if X_val is not None:
        val = as_frame(X_val, "X_val")
        missing = [c for c in frame.columns if c not in val.columns]
        if missing:
            raise DataValidationError(f"X_val lacks the columns {reprlib.repr(missing)} of X.")
        parts.append((val[frame.columns], _target_array(y_val, len(val), "y_val")))
    kept = [(f[pd.notna(t)], t[pd.notna(t)]) for f, t in parts]
    dropped = sum(len(t) for _, t in parts) - sum(len(t) for _, t in kept)
    if any(len(t) == 0 for _, t in kept) or frame.shape[1] == 0:
        raise DataValidationError("X (and X_val) need at least one column and one row with a known target.")
    y_all = _checked_target(np.concatenate([t for _, t in kept]), task, "y")
    if task == "classification" and np.unique(y_all).size < 2:
        raise DataValidationError(
            f"Classification needs at least two classes; the target only holds {reprlib.repr(np.unique(y_all).tolist())}."
        )
    X_all = pd.concat([f for f, _ in kept], ignore_index=True)
    return Table(X_all, y_all, len(kept[1][1]) if len(kept) > 1 else None, dropped)
