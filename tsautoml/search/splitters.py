"""Rolling-origin cross-validation over the grouped layout, and k-fold / holdout splits of tables."""

from __future__ import annotations

import reprlib
import warnings
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

from tsautoml.data.grouped import concat_ranges, offsets
from tsautoml.exceptions import ConfigError

__all__ = [
    "SHORT_SERIES_POLICIES", "Fold", "RollingOriginSplitter", "ShortSeriesPolicy", "TableFold", "table_folds",
    "validation_splitter",
]

ShortSeriesPolicy = Literal["fewer_windows", "exclude", "raise"]
SHORT_SERIES_POLICIES: tuple[str, ...] = get_args(ShortSeriesPolicy)


@dataclass(frozen=True, eq=False, slots=True)
class Fold:
    """One cross-validation window: row indices into the grouped values.

    ``train_index`` / ``test_index`` list rows series after series; ``train_indptr`` /
    ``test_indptr`` delimit them per series, over the series in ``series`` (positions in
    the panel). A series' train rows are a prefix of the series, its test rows the
    ``horizon`` rows that follow the ``gap``.
    """

    window: int
    series: np.ndarray
    train_index: np.ndarray
    train_indptr: np.ndarray
    test_index: np.ndarray
    test_indptr: np.ndarray

    @property
    def cutoff_index(self) -> np.ndarray:
        """Row of the last training point of each series in the fold."""
        return self.train_index[self.train_indptr[1:] - 1]


@dataclass(frozen=True, slots=True)
class RollingOriginSplitter:
    """Rolling-origin (expanding window) folds counted back from each series' end.

    With ``n_windows=3``, ``horizon=2``, ``step=2``, ``gap=1`` on one series of 12 points::

        index   0 1 2 3 4 5 6 7 8 9 10 11
        win 0   T T T T T . V V - -  -  -
        win 1   T T T T T T T . V V  -  -
        win 2   T T T T T T T T T .  V  V

    ``T`` train, ``.`` gap (neither trained on nor scored), ``V`` validation, ``-``
    unused. The last window ends at the last point; each earlier one ends ``step``
    points before the next. Every series is aligned on its own end, so series of
    different lengths share window numbers but not dates.

    Parameters
    ----------
    n_windows
        Number of windows.
    horizon
        Validation points per window.
    step
        Distance between consecutive windows' ends (default: ``horizon``).
    gap
        Points between the end of training and the start of validation.
    min_train_size
        Training points a series needs in a window.
    short_series
        Series too short for all windows: ``"fewer_windows"`` keeps the latest windows
        that fit, ``"exclude"`` drops the series from every window, ``"raise"`` refuses.
        Series dropped entirely are reported by :meth:`excluded`.

    Examples
    --------
    >>> splitter = RollingOriginSplitter(n_windows=2, horizon=2)
    >>> folds = splitter.split(np.array([0, 6, 11, 15]))  # lengths 6, 5 and 4
    >>> [f.test_index.tolist() for f in folds]  # the third series fits one window only
    [[2, 3, 7, 8], [4, 5, 9, 10, 13, 14]]
    >>> folds[0].train_index.tolist(), folds[0].train_indptr.tolist()
    ([0, 1, 6], [0, 2, 3])
    """

    n_windows: int = 1
    horizon: int = 1
    step: int | None = None
    gap: int = 0
    min_train_size: int = 1
    short_series: ShortSeriesPolicy = "fewer_windows"

    def __post_init__(self) -> None:
        for name in ("n_windows", "horizon", "min_train_size"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be >= 1, got {getattr(self, name)}.")
        if self.step is not None and self.step < 1:
            raise ConfigError(f"step must be >= 1, got {self.step}.")
        if self.gap < 0:
            raise ConfigError(f"gap must be >= 0, got {self.gap}.")
        if self.short_series not in SHORT_SERIES_POLICIES:
            raise ConfigError(f"short_series={self.short_series!r} is not one of {list(SHORT_SERIES_POLICIES)}.")

    @property
    def _step(self) -> int:
        return self.horizon if self.step is None else self.step

    def required_length(self, windows: int | None = None) -> int:
        """Points a series needs for ``windows`` windows (default: all of them)."""
        windows = self.n_windows if windows is None else windows
        return self.min_train_size + self.gap + self.horizon + (windows - 1) * self._step

    def windows_available(self, lengths: np.ndarray) -> np.ndarray:
        """How many windows each series gets under the short-series policy."""
        fit = np.floor_divide(lengths - self.required_length(1), self._step) + 1
        fit = np.clip(fit, 0, self.n_windows)
        if self.short_series == "exclude":
            return np.where(fit == self.n_windows, fit, 0)
        if self.short_series == "raise" and (fit < self.n_windows).any():
            short = np.flatnonzero(fit < self.n_windows)
            raise ConfigError(
                f"{short.size} series (positions {reprlib.repr(short.tolist())}) are shorter than the "
                f"{self.required_length()} points {self.n_windows} windows need. Use fewer windows, a "
                "shorter horizon, or short_series='fewer_windows'/'exclude'."
            )
        return fit

    def excluded(self, indptr: np.ndarray) -> np.ndarray:
        """Positions of the series that get no window at all."""
        return np.flatnonzero(self.windows_available(np.diff(indptr)) == 0)

    def split(self, indptr: np.ndarray) -> list[Fold]:
        """The folds, earliest window first."""
        lengths = np.diff(np.asarray(indptr, dtype=np.int64))
        available = self.windows_available(lengths)
        folds = []
        for window in range(self.n_windows):
            back = self.n_windows - 1 - window  # windows between this one and the end
            series = np.flatnonzero(available > back)
            test_end = indptr[1:][series] - back * self._step
            test_start = test_end - self.horizon
            train_len = test_start - self.gap - indptr[:-1][series]
            folds.append(
                Fold(
                    window=window,
                    series=series,
                    train_index=concat_ranges(indptr[:-1][series], train_len),
                    train_indptr=offsets(train_len),
                    test_index=concat_ranges(test_start, np.full(series.size, self.horizon)),
                    test_indptr=offsets(np.full(series.size, self.horizon)),
                )
            )
        return folds


def validation_splitter(n_windows: int, horizon: int, step: int | None) -> RollingOriginSplitter:
    """The rolling-origin windows every forecasting search validates on (two training points at least).

    Examples
    --------
    >>> validation_splitter(3, 6, None).required_length()
    20
    """
    return RollingOriginSplitter(n_windows=n_windows, horizon=horizon, step=step, min_train_size=2)


@dataclass(frozen=True, eq=False, slots=True)
class TableFold:
    """One validation fold of a table: training and validation row positions."""

    number: int
    train_index: np.ndarray
    test_index: np.ndarray


def table_folds(
    n_rows: int,
    *,
    y: np.ndarray | None = None,
    n_folds: int = 5,
    holdout: float | None = None,
    n_validation: int | None = None,
    seed: int = 0,
) -> list[TableFold]:
    """k folds, one holdout, or the explicit validation rows of a table.

    ``y`` (class labels) makes the folds stratified. ``n_validation`` means the last
    ``n_validation`` of ``n_rows`` rows are the user's validation data: one fold that trains
    on the rest. Classes too rare to stratify fall back to plain shuffled splits.

    Examples
    --------
    >>> [f.test_index.size for f in table_folds(10, n_folds=5)]
    [2, 2, 2, 2, 2]
    >>> table_folds(10, holdout=0.3)[0].test_index.size
    3
    >>> table_folds(10, n_validation=4)[0].test_index.tolist()
    [6, 7, 8, 9]
    """
    rows = np.arange(n_rows)
    if n_validation is not None:
        return [TableFold(0, rows[: n_rows - n_validation], rows[n_rows - n_validation :])]
    stratify = y if y is not None and np.unique(y, return_counts=True)[1].min() >= 2 else None
    if holdout is not None:
        train, test = train_test_split(rows, test_size=holdout, random_state=seed, stratify=stratify)
        return [TableFold(0, np.sort(train), np.sort(test))]
    splitter = KFold(n_folds, shuffle=True, random_state=seed)
    if stratify is not None:
        splitter = StratifiedKFold(n_folds, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # scikit-learn's rare-class warning: the rows_per_class guardrail says it
        splits = list(splitter.split(rows, stratify))
    return [TableFold(k, train, test) for k, (train, test) in enumerate(splits)]
