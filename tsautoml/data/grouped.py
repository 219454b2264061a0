"""The grouped layout (values + ``indptr``) and the one place where pandas meets numpy.

Series ``i`` occupies ``values[indptr[i]:indptr[i + 1]]``, sorted by time.
:class:`Panel` adds the ids (one row per series), the times and the exogenous columns.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field, replace
from typing import Any, Literal, get_args

import numpy as np
import numpy.typing as npt
import pandas as pd

from tsautoml.data import validation
from tsautoml.data.columns import ColumnSpec
from tsautoml.data.frequency import Frequency, resolve_frequency
from tsautoml.exceptions import ConfigError, DataValidationError, TsAutoMLWarning

__all__ = ["FILL_POLICIES", "FillPolicy", "GroupedArray", "Panel", "concat_ranges", "offsets"]

logger = logging.getLogger(__name__)

FillPolicy = Literal["nan", "zero", "ffill"]
FILL_POLICIES: tuple[str, ...] = get_args(FillPolicy)


@dataclass(frozen=True, eq=False, slots=True)
class GroupedArray:
    """Values of many series stored back to back, delimited by ``indptr``.

    Examples
    --------
    >>> ga = GroupedArray(np.array([1.0, 2.0, 3.0, 4.0, 5.0]), np.array([0, 2, 5]))
    >>> ga.n_series, ga.lengths.tolist()
    (2, [2, 3])
    >>> ga.tail(1).values.tolist()
    [2.0, 5.0]
    """

    values: np.ndarray
    indptr: np.ndarray

    def __post_init__(self) -> None:
        indptr = np.asarray(self.indptr, dtype=np.int64)
        if indptr.ndim != 1 or indptr.size == 0 or indptr[0] != 0 or (np.diff(indptr) < 0).any():
            raise DataValidationError("indptr must start at 0 and never decrease.")
        if indptr[-1] != len(self.values):
            raise DataValidationError(
                f"indptr ends at {indptr[-1]} but there are {len(self.values)} values."
            )
        object.__setattr__(self, "indptr", indptr)

    def __len__(self) -> int:
        return len(self.values)

    @property
    def n_series(self) -> int:
        """Number of series."""
        return self.indptr.size - 1

    @property
    def lengths(self) -> np.ndarray:
        """Length of every series."""
        return np.diff(self.indptr)

    def series(self, i: int) -> np.ndarray:
        """The values of series ``i`` (a view)."""
        return self.values[self.indptr[i] : self.indptr[i + 1]]

    def tail(self, n: int) -> GroupedArray:
        """The last ``n`` values of every series (fewer where a series is shorter)."""
        keep = np.minimum(self.lengths, n)
        return self.take_rows(concat_ranges(self.indptr[1:] - keep, keep), keep)

    def take_rows(self, rows: np.ndarray, lengths: np.ndarray) -> GroupedArray:
        """The rows ``rows`` (series after series) grouped by ``lengths``."""
        return GroupedArray(self.values[rows], offsets(lengths))

    def astype(self, dtype: npt.DTypeLike) -> GroupedArray:
        """The same layout with values cast to ``dtype``."""
        return GroupedArray(self.values.astype(dtype, copy=False), self.indptr)

    def append(self, new: np.ndarray) -> GroupedArray:
        """Append one value to the end of every series (``new`` has one value per series)."""
        if len(new) != self.n_series:
            raise DataValidationError(f"append needs one value per series ({self.n_series}), got {len(new)}.")
        out = np.empty(len(self) + self.n_series, dtype=np.result_type(self.values, new))
        dest = self.indptr[1:] + np.arange(self.n_series)
        mask = np.ones(out.size, dtype=bool)
        mask[dest] = False
        out[mask] = self.values
        out[dest] = new
        return GroupedArray(out, self.indptr + np.arange(self.n_series + 1))


@dataclass(frozen=True, eq=False)
class Panel:
    """A validated long-format panel in the grouped layout.

    Build it with :meth:`from_frame`; get pandas back with :meth:`to_frame`.

    Attributes
    ----------
    target
        Target values (float64) with ``indptr``.
    times
        Time of every value: ``datetime64[ns]`` or int64 steps.
    ids
        One row per series with the id column(s), in series order.
    exog
        Exogenous columns, each an array aligned with ``times``.
    freq
        The panel's frequency and season length.
    tz
        The time zone of timezone-aware times (``times`` holds their wall times), else None.
    filled
        Series whose missing timestamps were filled: id column(s) and ``n_filled``.

    Examples
    --------
    >>> df = pd.DataFrame({"unique_id": ["b", "b", "a", "a", "a"],
    ...                    "ds": pd.to_datetime(["2024-01-02", "2024-01-01", "2024-01-01",
    ...                                          "2024-01-02", "2024-01-04"]),
    ...                    "y": [2.0, 1.0, 5.0, 6.0, 8.0]})
    >>> panel = Panel.from_frame(df)
    >>> panel.freq.alias, panel.target.lengths.tolist(), panel.filled["n_filled"].tolist()
    ('D', [4, 2], [1])
    >>> panel.to_frame()["y"].tolist()
    [5.0, 6.0, nan, 8.0, 1.0, 2.0]
    """

    target: GroupedArray
    times: np.ndarray
    ids: pd.DataFrame
    columns: ColumnSpec
    freq: Frequency
    exog: dict[str, np.ndarray] = field(default_factory=dict)
    filled: pd.DataFrame = field(default_factory=pd.DataFrame)
    tz: Any = None

    @property
    def n_series(self) -> int:
        """Number of series."""
        return self.target.n_series

    @property
    def indptr(self) -> np.ndarray:
        """Series boundaries."""
        return self.target.indptr

    @classmethod
    def from_frame(
        cls,
        df: pd.DataFrame,
        columns: ColumnSpec | None = None,
        *,
        freq: str | int | None = None,
        season_length: int | None = None,
        fill: FillPolicy = "nan",
        min_length: int = 1,
    ) -> Panel:
        """Validate a long frame, sort it, fill missing timestamps and group it.

        Parameters
        ----------
        df
            Long format: id column(s), time column, target column, any exogenous columns.
        columns
            Column names (default ``unique_id``, ``ds``, ``y``).
        freq
            pandas alias (``"D"``, ``"W-SUN"``, ``"MS"``...) or integer step; inferred if None.
        season_length
            Main seasonal period in steps; default from the frequency.
        fill
            Target value for missing timestamps: ``"nan"``, ``"zero"`` or ``"ffill"`` (last
            observed value). Exogenous columns are forward-filled within the series.
        min_length
            Every series needs at least this many observed (non-NaN) values.
        """
        columns = columns or ColumnSpec()
        if fill not in FILL_POLICIES:
            raise ConfigError(f"fill={fill!r} is not one of {list(FILL_POLICIES)}.")
        validation.check_columns(df, columns)
        codes, ids = _factorize_ids(df, columns)
        raw_times = df[columns.time_col].reset_index(drop=True)
        tz = validation.time_zone(raw_times)
        times = validation.coerce_times(raw_times, codes, ids, columns.time_col)
        target = validation.check_target(df[columns.target_col].reset_index(drop=True), codes, ids, columns.target_col)
        sort = np.lexsort((times, codes))
        order: np.ndarray | slice = slice(None) if (np.diff(sort) == 1).all() else sort  # sorted: no copies
        codes, times, target = codes[order], times[order], target[order]
        validation.check_no_duplicates(codes, times, ids, columns.time_col)
        indptr = offsets(np.bincount(codes, minlength=len(ids)))
        frequency = resolve_frequency(times, indptr, freq, season_length)
        positions, on_grid = frequency.positions(times, indptr)
        validation.check_grid(on_grid, codes, times, ids, frequency.alias or f"step {frequency.step}")
        validation.check_one_frequency(positions, indptr, ids, frequency.alias or f"step {frequency.step}")
        exog = {c: df[c].to_numpy()[order] for c in df.columns if c not in columns.reserved}
        panel = cls(GroupedArray(target, indptr), times, ids, columns, frequency, exog, tz=tz)
        panel = panel._fill_gaps(positions, fill)
        validation.check_series_lengths(panel.target.values, panel.indptr, ids, min_length)
        return panel

    def take(self, series: np.ndarray, rows: np.ndarray, lengths: np.ndarray) -> Panel:
        """The panel restricted to ``series`` (positions) and their ``rows`` (series after series).

        ``lengths`` gives how many of ``rows`` belong to each series, e.g. a CV fold's
        training prefix: ``panel.take(fold.series, fold.train_index, np.diff(fold.train_indptr))``.
        """
        series = np.asarray(series, dtype=np.int64)
        return replace(
            self,
            target=self.target.take_rows(rows, lengths),
            times=self.times[rows],
            ids=self.ids.iloc[series].reset_index(drop=True),
            exog={name: col[rows] for name, col in self.exog.items()},
            filled=self.filled.iloc[:0],
        )

    def select(self, series: np.ndarray) -> Panel:
        """The whole of the series at positions ``series``, in that order."""
        lengths = self.target.lengths[series]
        return self.take(series, concat_ranges(self.indptr[:-1][series], lengths), lengths)

    def _fill_gaps(self, positions: np.ndarray, fill: FillPolicy) -> Panel:
        lengths = self.target.lengths
        full = positions[self.indptr[1:] - 1] + 1  # grid length from first to last time
        n_filled = full - lengths
        if not n_filled.any():
            return replace(self, filled=self.ids.assign(n_filled=0).iloc[:0])
        new_indptr = offsets(full)
        dest = np.repeat(new_indptr[:-1], lengths) + positions
        present = np.zeros(new_indptr[-1], dtype=bool)
        present[dest] = True
        source = _last_present(present)  # row that forward-fills each row
        target = np.full(present.size, np.nan)
        target[dest] = self.target.values
        if fill == "zero":
            target[~present] = 0.0
        elif fill == "ffill":
            target = np.where(present, target, _last_observed(target, new_indptr))
        exog = {}
        for name, col in self.exog.items():
            scattered = np.empty(present.size, dtype=col.dtype)
            scattered[dest] = col
            exog[name] = scattered[source]
        times = self.freq.grid_times(self.times[self.indptr[:-1]], full, self.times)
        filled = self.ids.assign(n_filled=n_filled)[n_filled > 0].reset_index(drop=True)
        message = (
            f"Filled {int(n_filled.sum())} missing timestamp(s) in {len(filled)} series "
            f"(target: {fill}; exogenous columns: forward fill), e.g. "
            f"{validation.shorten(validation.series_labels(self.ids, np.flatnonzero(n_filled)))}. "
            "See Panel.filled."
        )
        logger.info(message)
        warnings.warn(message, TsAutoMLWarning, stacklevel=3)
        return replace(self, target=GroupedArray(target, new_indptr), times=times, exog=exog, filled=filled)

    def to_frame(self, values: dict[str, np.ndarray] | None = None, times: np.ndarray | None = None,
                 indptr: np.ndarray | None = None) -> pd.DataFrame:
        """Long frame with the id column(s), time and ``values`` (default: target and exogenous).

        ``times`` and ``indptr`` describe another layout over the same series, e.g. the
        forecast horizon; by default the panel's own.
        """
        indptr = self.indptr if indptr is None else indptr
        times = self.times if times is None else times
        if values is None:
            values = {self.columns.target_col: self.target.values, **self.exog}
        rows = np.repeat(np.arange(self.n_series), np.diff(indptr))
        out = self.ids.iloc[rows].reset_index(drop=True)
        out[self.columns.time_col] = times
        for name, col in values.items():
            out[name] = col
        return out


def _factorize_ids(df: pd.DataFrame, columns: ColumnSpec) -> tuple[np.ndarray, pd.DataFrame]:
    """Integer series code of every row, and the ids frame (one row per code, sorted by id)."""
    id_cols = list(columns.id_cols)
    codes = np.zeros(len(df), dtype=np.int64)
    uniques = []
    for col in id_cols:  # mixed-radix code over the id columns
        col_codes, col_uniques = pd.factorize(df[col], sort=False)
        validation.check_ids_present(col_codes, col)
        codes = codes * len(col_uniques) + col_codes
        uniques.append(col_uniques)
    if len(id_cols) > 1:
        codes = np.unique(codes, return_inverse=True)[1].astype(np.int64)
    first_rows = np.unique(codes, return_index=True)[1]
    ids = df[id_cols].iloc[first_rows].reset_index(drop=True)
    try:
        ranked = ids.sort_values(id_cols, kind="stable").index.to_numpy()
    except TypeError:  # ids of mixed types cannot be sorted: keep order of appearance
        return codes, ids
    rank = np.empty_like(ranked)
    rank[ranked] = np.arange(ranked.size)
    return rank[codes], ids.iloc[ranked].reset_index(drop=True)


def offsets(lengths: np.ndarray) -> np.ndarray:
    """``indptr`` of series with the given lengths."""
    out = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=out[1:])
    return out


def concat_ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(s, s + n)`` for every (s, n)."""
    total = int(lengths.sum())
    within = np.arange(total) - np.repeat(offsets(lengths)[:-1], lengths)
    return np.repeat(starts, lengths) + within


def _last_observed(values: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """For every row, the latest non-NaN value at or before it in its series (NaN if none)."""
    rows = np.arange(values.size)
    last = np.maximum.accumulate(np.where(np.isnan(values), -1, rows))
    inside = last >= np.repeat(indptr[:-1], np.diff(indptr))
    return np.where(inside, values[np.maximum(last, 0)], np.nan)


def _last_present(present: np.ndarray) -> np.ndarray:
    """For every row, the latest row at or before it that is present.

    The first row of every series is present, so this never reaches into another series.
    """
    return np.maximum.accumulate(np.where(present, np.arange(present.size), 0))
