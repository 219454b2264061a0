"""Panel checks. Each raises :class:`DataValidationError` naming the column, ids and values at fault."""

from __future__ import annotations

import reprlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from tsautoml.data.columns import ColumnSpec
from tsautoml.exceptions import DataValidationError

__all__ = [
    "check_columns",
    "check_grid",
    "check_ids_present",
    "check_no_duplicates",
    "check_one_frequency",
    "check_series_lengths",
    "check_target",
    "coerce_times",
    "time_zone",
    "wall_times",
    "series_labels",
    "shorten",
]

_SHOW = reprlib.Repr()
_SHOW.maxlist = 6
_SHOW.maxstring = 40


def shorten(values: Sequence[Any] | np.ndarray) -> str:
    """A short printable list of offending values (first few, then '...')."""
    return _SHOW.repr(values.tolist() if isinstance(values, np.ndarray) else list(values))


def check_columns(df: pd.DataFrame, columns: ColumnSpec) -> None:
    """The frame is a non-empty DataFrame holding the id, time and target columns."""
    if not isinstance(df, pd.DataFrame):
        raise DataValidationError(
            f"Expected a pandas DataFrame in long format, got {type(df).__name__}. "
            f"Build one with columns {columns.key_cols + [columns.target_col]}."
        )
    repeated = df.columns[df.columns.duplicated()].unique().tolist()
    if repeated:
        raise DataValidationError(
            f"Column name(s) {shorten(repeated)} appear more than once in the frame. "
            "Rename or drop the duplicates (df.loc[:, ~df.columns.duplicated()])."
        )
    missing = [c for c in [*columns.key_cols, columns.target_col] if c not in df.columns]
    if missing:
        raise DataValidationError(
            f"Missing column(s) {missing}; the frame has {shorten(df.columns)}. "
            "Rename them or set the column names (id_cols, time_col, target_col)."
        )
    if df.empty:
        raise DataValidationError("The frame is empty: there is nothing to fit. Pass at least one series.")


def check_ids_present(codes: np.ndarray, column: str) -> None:
    """No row lacks its series id (``codes`` from :func:`pandas.factorize`, -1 = missing)."""
    rows = np.flatnonzero(codes < 0)
    if rows.size:
        raise DataValidationError(
            f"Id column {column!r} has {rows.size} missing value(s), at rows {shorten(rows)}. "
            "Every row needs a series id: fill or drop them."
        )


def check_target(values: pd.Series, codes: np.ndarray, ids: pd.DataFrame, column: str) -> np.ndarray:
    """The target as float64; it must be numeric and finite (NaN marks a missing observation)."""
    if isinstance(values.dtype, pd.CategoricalDtype) or not (
        pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_complex_dtype(values)
    ):
        numeric = pd.to_numeric(values, errors="coerce")
        bad = values[numeric.isna() & values.notna()]
        raise DataValidationError(
            f"Target column {column!r} must be numeric but has dtype {values.dtype} with values "
            f"such as {shorten(bad.unique()[:6])}. Convert it with pd.to_numeric or choose another target."
        )
    out = values.to_numpy(dtype=np.float64, na_value=np.nan)
    infinite = np.isinf(out)
    if infinite.any():
        raise DataValidationError(
            f"Target column {column!r} has {int(infinite.sum())} infinite value(s) in series "
            f"{shorten(series_labels(ids, codes[infinite]))}. Replace them with NaN (missing) or a finite value."
        )
    return out


def time_zone(values: pd.Series) -> Any:
    """The time zone of timezone-aware times (given or parsed from strings with offsets), else None."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz
    if values.dtype == object and values.size and isinstance(values.iloc[0], str):
        parsed = pd.to_datetime(values.iloc[:1], errors="coerce")
        return parsed.dt.tz if isinstance(parsed.dtype, pd.DatetimeTZDtype) else None
    return None


def wall_times(values: pd.Series, tz: Any) -> pd.Series:
    """Timezone-aware times as the wall times of ``tz`` (their own zone when ``tz`` is None), naive ones as they are."""
    if not isinstance(values.dtype, pd.DatetimeTZDtype):
        return values
    return (values.dt.tz_convert(tz) if tz is not None else values).dt.tz_localize(None)


def coerce_times(values: pd.Series, codes: np.ndarray, ids: pd.DataFrame, column: str) -> np.ndarray:
    """Times as ``datetime64[ns]`` (timezone-aware ones as their wall time, see :func:`time_zone`) or int64 steps."""
    if values.isna().any():
        missing = values.isna().to_numpy()
        raise DataValidationError(
            f"Time column {column!r} has {int(missing.sum())} missing value(s) in series "
            f"{shorten(series_labels(ids, codes[missing]))}. Drop those rows or fill their times."
        )
    if pd.api.types.is_datetime64_any_dtype(values):
        return wall_times(values, None).to_numpy(dtype="datetime64[ns]")
    if pd.api.types.is_bool_dtype(values):
        raise DataValidationError(f"Time column {column!r} holds booleans; expected dates or integer steps.")
    if pd.api.types.is_integer_dtype(values):
        return values.to_numpy(dtype=np.int64)
    if pd.api.types.is_float_dtype(values):
        arr = values.to_numpy()
        fractional = arr != np.round(arr)
        if fractional.any():
            raise DataValidationError(
                f"Time column {column!r} holds non-integer numbers such as {shorten(arr[fractional][:6])}. "
                "Use integer time steps or dates."
            )
        return arr.astype(np.int64)
    return _parse_datetimes(values, column)


def _parse_datetimes(values: pd.Series, column: str) -> np.ndarray:
    kinds = values.map(type).unique()
    if len(kinds) > 1:
        names = sorted(k.__name__ for k in kinds)
        raise DataValidationError(
            f"Time column {column!r} mixes value types {names}. Use one type: all dates or all integers."
        )
    parsed = pd.to_datetime(values, errors="coerce")  # one inferred format: fast
    if parsed.isna().any():  # some rows use another format: parse those one by one
        retry = pd.to_datetime(values[parsed.isna()], errors="coerce", format="mixed")
        parsed = parsed.where(parsed.notna(), retry)
    bad = values[parsed.isna()]
    if not bad.empty:
        raise DataValidationError(
            f"Time column {column!r} has {bad.size} value(s) that are not dates, such as "
            f"{shorten(bad.unique()[:6])}. Fix them or pass integer time steps."
        )
    return wall_times(parsed, None).to_numpy(dtype="datetime64[ns]")


def check_no_duplicates(codes: np.ndarray, times: np.ndarray, ids: pd.DataFrame, column: str) -> None:
    """No (series, time) pair appears twice. ``codes`` and ``times`` are sorted by series then time."""
    dup = np.flatnonzero((codes[1:] == codes[:-1]) & (times[1:] == times[:-1]))
    if dup.size:
        series = series_labels(ids, codes[dup])
        raise DataValidationError(
            f"{dup.size} duplicate ({', '.join(ids.columns)}, {column}) row(s), e.g. series "
            f"{shorten(series)} at {shorten([_fmt(t) for t in times[dup[:6]]])}. "
            "Aggregate them (e.g. df.groupby([...]).sum()) or drop duplicates."
        )


def check_grid(on_grid: np.ndarray, codes: np.ndarray, times: np.ndarray, ids: pd.DataFrame, freq: str) -> None:
    """Every time lies a whole number of steps after its series' first time."""
    off = np.flatnonzero(~on_grid)
    if off.size:
        series = series_labels(ids, codes[off])
        raise DataValidationError(
            f"Irregular spacing: {off.size} time(s) in {len(series)} series do not fall on the {freq} grid, "
            f"e.g. series {shorten(series)} at {shorten([_fmt(t) for t in times[off[:6]]])}. "
            "Resample the data to one frequency or pass the right freq."
        )


def check_one_frequency(positions: np.ndarray, indptr: np.ndarray, ids: pd.DataFrame, freq: str) -> None:
    """No series steps regularly by several steps of ``freq`` (a coarser frequency, e.g. monthly among daily).

    Irregular gaps (a sparse series with missing rows) are allowed: they are filled. A series
    counts as coarser when it has at least 4 steps, all between k and 1.2 k + 1 steps of ``freq``, k >= 2.
    """
    jumps = np.diff(positions)
    inside = np.ones(jumps.size, dtype=bool)
    inside[indptr[1:-1] - 1] = False  # a jump from one series into the next
    series = np.repeat(np.arange(indptr.size - 1), np.diff(indptr))[1:][inside]
    jumps = jumps[inside]
    n = np.bincount(series, minlength=indptr.size - 1)
    low = np.full(n.size, np.iinfo(np.int64).max)
    high = np.zeros(n.size, dtype=np.int64)
    np.minimum.at(low, series, jumps)
    np.maximum.at(high, series, jumps)
    coarse = np.flatnonzero((n >= 4) & (low >= 2) & (high <= 1.2 * low + 1))
    if not coarse.size:
        return
    steps = shorten([int(k) for k in low[coarse]])
    if coarse.size == n.size:
        raise DataValidationError(
            f"freq={freq!r} is finer than the data: every series steps by at least {int(low.min())} x {freq} "
            f"(steps {steps}). Pass the data's own frequency as freq, or None to infer it."
        )
    raise DataValidationError(
        f"{coarse.size} series are at a coarser frequency than the panel's {freq!r}: "
        f"{shorten(series_labels(ids, coarse))} step by {steps} x {freq}. "
        "Forecast series of different frequencies separately, or resample them to one frequency."
    )


def check_series_lengths(
    values: np.ndarray, indptr: np.ndarray, ids: pd.DataFrame, min_length: int
) -> None:
    """No series is all-NaN, and every series has at least ``min_length`` observed values."""
    observed = np.add.reduceat(~np.isnan(values), indptr[:-1]) if values.size else np.zeros(0)
    empty = np.flatnonzero(observed == 0)
    if empty.size:
        raise DataValidationError(
            f"{empty.size} series have no observed target value (all NaN): {shorten(series_labels(ids, empty))}. "
            "Drop them."
        )
    short = np.flatnonzero(observed < min_length)
    if short.size:
        raise DataValidationError(
            f"{short.size} series are shorter than {min_length} observed steps: "
            f"{shorten(series_labels(ids, short))}. Drop them or ask for less history "
            "(fewer CV windows, a shorter horizon or smaller lags)."
        )


def series_labels(ids: pd.DataFrame, positions: np.ndarray) -> list[Any]:
    """Readable labels of the series at ``positions``: the id, or a tuple of several id columns."""
    rows = ids.iloc[pd.unique(positions)]
    if ids.shape[1] == 1:
        return rows.iloc[:, 0].tolist()
    return list(rows.itertuples(index=False, name=None))


def _fmt(t: Any) -> str:
    return str(pd.Timestamp(t)) if isinstance(t, np.datetime64) else str(t)
