"""Value conversions shared by the tabular kinds, transformers and guardrails.

Every function takes one pandas column (or a frame) and returns plain numpy arrays or a
cleaned column; none keeps state.
"""

from __future__ import annotations

import re
import reprlib
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from tsautoml.exceptions import DataValidationError

__all__: list[str] = []

#: Lower-cased words read as true / false (inference uses only these).
TRUE_WORDS = frozenset({"true", "yes", "y", "t"})
FALSE_WORDS = frozenset({"false", "no", "n", "f"})
# Encoding also accepts 1 / 0 (a column pinned as boolean may hold them).
_BOOL_MAP: dict[str, float] = {
    **dict.fromkeys(TRUE_WORDS | {"1", "1.0"}, 1.0),
    **dict.fromkeys(FALSE_WORDS | {"0", "0.0"}, 0.0),
}
_EPOCH = pd.Timestamp("1970-01-01")
_YEAR = pd.Timedelta(days=365.2425)
_TIME_ONLY = re.compile(r"^\s*\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*([ap]\.?m\.?)?\s*$", re.IGNORECASE)


def str_columns(X: object, what: str = "X") -> pd.DataFrame:
    """``X`` as a DataFrame with string column names, checked to be unique."""
    if not isinstance(X, pd.DataFrame):
        raise DataValidationError(
            f"{what} must be a pandas DataFrame; got {type(X).__name__}. "
            "Wrap arrays with pd.DataFrame(values, columns=names)."
        )
    names = [str(c) for c in X.columns]
    counts = pd.Series(names).value_counts()
    duplicated = counts.index[counts > 1].tolist()
    if duplicated:
        raise DataValidationError(
            f"{what} has duplicated column names (after str()): {reprlib.repr(duplicated)}. "
            "Rename or drop the duplicates so every column name is unique."
        )
    if all(isinstance(c, str) for c in X.columns):
        return X
    renamed = X.copy(deep=False)
    renamed.columns = pd.Index(names, dtype=object)
    return renamed


def name_list(names: Sequence[str], limit: int = 10) -> str:
    """Names shortened with :func:`reprlib.repr`, at most ``limit`` then ``and N more``."""
    shown = ", ".join(reprlib.repr(n) for n in names[:limit])
    rest = len(names) - limit
    return f"{shown} and {rest} more" if rest > 0 else shown


def is_textual(series: pd.Series) -> bool:
    """Whether a column holds Python objects, strings or categories (not numbers or dates)."""
    dtype = series.dtype
    return (
        pd.api.types.is_object_dtype(dtype)
        or pd.api.types.is_string_dtype(dtype)
        or isinstance(dtype, pd.CategoricalDtype)
    )


def value_to_str(value: object) -> str:
    """A category label: integral floats lose their ``.0`` so ``1`` and ``1.0`` match."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def to_str(series: pd.Series, missing: str | None = None) -> np.ndarray:
    """Object array of labels; missing values become ``missing`` (``np.nan`` when ``None``)."""
    values = series.astype(object)
    mask = values.isna().to_numpy()
    out = np.empty(len(values), dtype=object)
    out[~mask] = [value_to_str(v) for v in values.to_numpy()[~mask]]
    out[mask] = np.nan if missing is None else missing
    return out


def bool_like(series: pd.Series) -> bool:
    """Whether every non-missing value is a bool or a true/false word (any case)."""
    words = series.dropna().astype(str).str.strip().str.lower()
    return bool(words.isin(TRUE_WORDS | FALSE_WORDS).all())


def to_bool_float(series: pd.Series) -> np.ndarray:
    """1.0 for true-like values, 0.0 for false-like ones, NaN for missing or other values."""
    words = series.astype(object).astype(str).str.strip().str.lower()
    out = words.map(_BOOL_MAP).to_numpy(dtype=np.float64, na_value=np.nan)
    out[series.isna().to_numpy()] = np.nan
    return out


def to_float(series: pd.Series, name: str) -> np.ndarray:
    """Numbers as float64 (NaN for missing and infinities); non-numbers raise.

    Booleans become 0/1, dates seconds since 1970, durations seconds.
    """
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        out = series.astype("Float64").to_numpy(dtype=np.float64, na_value=np.nan)
    elif isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(dtype):
        out = to_datetime(series).sub(_EPOCH).dt.total_seconds().to_numpy(dtype=np.float64)
    elif pd.api.types.is_timedelta64_dtype(dtype):
        out = series.dt.total_seconds().to_numpy(dtype=np.float64)
    elif pd.api.types.is_numeric_dtype(dtype):
        out = series.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        out = _parse_numbers(series, name)
    out = np.array(out, dtype=np.float64)  # a copy: never write into the caller's data
    out[~np.isfinite(out)] = np.nan
    return out


def _parse_numbers(series: pd.Series, name: str) -> np.ndarray:
    values = series.astype(object)
    parsed = pd.to_numeric(values, errors="coerce")
    bad = parsed.isna() & values.notna()
    if bad.any():
        offending = pd.unique(values[bad].astype(str))[:5].tolist()
        raise DataValidationError(
            f"Column {reprlib.repr(name)} is numeric but holds {int(bad.sum())} values that are "
            f"not numbers, e.g. {reprlib.repr(offending)}. Convert them to numbers or to missing "
            f"(NaN), or pin the column to another kind, e.g. kinds={{{reprlib.repr(name)}: "
            "'categorical'}."
        )
    return np.asarray(parsed, dtype=np.float64)


def to_datetime(series: pd.Series) -> pd.Series:
    """Naive timestamps: wall time of time-zone aware columns, other values parsed (NaT if not)."""
    dtype = series.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        return series.dt.tz_localize(None)
    if pd.api.types.is_datetime64_dtype(dtype):
        return series
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        series = pd.Series(to_str(series), index=series.index)  # 20240131 -> "20240131"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pd.to_datetime(series.astype(object), errors="coerce", format="mixed", utc=True)
    return parsed.dt.tz_localize(None)


def years_since_1970(stamps: pd.Series) -> np.ndarray:
    """Fractional years since 1970-01-01 (NaN for missing)."""
    return np.asarray(stamps.sub(_EPOCH) / _YEAR, dtype=np.float64)


def date_share(values: pd.Series) -> float:
    """Share of string values that parse as dates (plain numbers and bare times do not count)."""
    strings = values.astype(str)
    plain = pd.to_numeric(strings, errors="coerce").notna() | strings.str.match(_TIME_ONLY)
    parsed = to_datetime(strings).notna() & ~plain
    return float(parsed.mean()) if len(strings) else 0.0
