"""Rolling-origin splitter: hypothesis-checked invariants and one hand-computed example."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tsautoml.data.grouped import offsets
from tsautoml.exceptions import ConfigError
from tsautoml.search.splitters import Fold, RollingOriginSplitter

HYPOTHESIS = settings(max_examples=300, deadline=None, derandomize=True, database=None)

params_strategy = st.fixed_dictionaries(
    {
        "n_windows": st.integers(1, 5),
        "horizon": st.integers(1, 6),
        "step": st.one_of(st.none(), st.integers(1, 6)),
        "gap": st.integers(0, 3),
        "min_train_size": st.integers(1, 8),
    }
)
lengths_strategy = st.lists(st.integers(1, 60), min_size=1, max_size=6)


def windows_that_fit(length: int, p: dict[str, Any]) -> int:
    """Windows (counted back from the end) whose training set has min_train_size points."""
    step = p["step"] or p["horizon"]
    return sum(
        length - back * step - p["horizon"] - p["gap"] >= p["min_train_size"]
        for back in range(p["n_windows"])
    )


def per_series(fold: Fold) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Series position -> (train rows, test rows) in one fold."""
    return {
        int(s): (
            fold.train_index[fold.train_indptr[j] : fold.train_indptr[j + 1]],
            fold.test_index[fold.test_indptr[j] : fold.test_indptr[j + 1]],
        )
        for j, s in enumerate(fold.series)
    }


def windows_of(folds: list[Fold], n_series: int) -> list[list[int]]:
    """For every series, the windows it appears in."""
    return [[f.window for f in folds if s in f.series] for s in range(n_series)]


@HYPOTHESIS
@given(lengths=lengths_strategy, p=params_strategy)
def test_fold_invariants(lengths: list[int], p: dict[str, Any]) -> None:
    indptr = offsets(np.array(lengths))
    step = p["step"] or p["horizon"]
    folds = RollingOriginSplitter(**p).split(indptr)
    assert [f.window for f in folds] == list(range(p["n_windows"]))
    ends: dict[int, list[int]] = {}
    for fold in folds:
        back = p["n_windows"] - 1 - fold.window
        for s, (train, test) in per_series(fold).items():
            start, end = indptr[s], indptr[s + 1]
            np.testing.assert_array_equal(train, np.arange(start, start + train.size))  # prefix
            assert train.size >= p["min_train_size"]
            np.testing.assert_array_equal(test, np.arange(test[0], test[0] + p["horizon"]))
            assert train.max() < test.min()
            assert test[0] - train[-1] - 1 == p["gap"]
            assert test[-1] == end - 1 - back * step
            assert fold.cutoff_index[list(fold.series).index(s)] == train[-1]
            ends.setdefault(s, []).append(int(test[-1]))
    for s, series_ends in ends.items():
        assert series_ends[-1] == indptr[s + 1] - 1  # the last window ends at the last point
        assert all(np.diff(series_ends) == step)


@HYPOTHESIS
@given(lengths=lengths_strategy, p=params_strategy)
def test_fewer_windows_keeps_the_latest_windows_that_fit(
    lengths: list[int], p: dict[str, Any]
) -> None:
    splitter = RollingOriginSplitter(**p, short_series="fewer_windows")
    indptr = offsets(np.array(lengths))
    n = p["n_windows"]
    expected = [list(range(n - windows_that_fit(length, p), n)) for length in lengths]
    assert windows_of(splitter.split(indptr), len(lengths)) == expected
    no_window = [s for s, length in enumerate(lengths) if windows_that_fit(length, p) == 0]
    assert splitter.excluded(indptr).tolist() == no_window


@HYPOTHESIS
@given(lengths=lengths_strategy, p=params_strategy)
def test_exclude_drops_short_series_from_every_window(
    lengths: list[int], p: dict[str, Any]
) -> None:
    splitter = RollingOriginSplitter(**p, short_series="exclude")
    indptr = offsets(np.array(lengths))
    n = p["n_windows"]
    short = [s for s, length in enumerate(lengths) if windows_that_fit(length, p) < n]
    expected = [[] if s in short else list(range(n)) for s in range(len(lengths))]
    assert windows_of(splitter.split(indptr), len(lengths)) == expected
    assert splitter.excluded(indptr).tolist() == short


@HYPOTHESIS
@given(lengths=lengths_strategy, p=params_strategy)
def test_raise_names_the_number_of_short_series(lengths: list[int], p: dict[str, Any]) -> None:
    splitter = RollingOriginSplitter(**p, short_series="raise")
    indptr = offsets(np.array(lengths))
    n_short = sum(windows_that_fit(length, p) < p["n_windows"] for length in lengths)
    if n_short:
        with pytest.raises(
            ConfigError, match=rf"^{n_short} series .* {splitter.required_length()} points"
        ):
            splitter.split(indptr)
    else:
        folds = splitter.split(indptr)
        assert all(f.series.tolist() == list(range(len(lengths))) for f in folds)


def test_hand_computed_example() -> None:
    # two series, lengths 12 and 7; n_windows=3, horizon=2, step=2, gap=1 (the docstring diagram)
    splitter = RollingOriginSplitter(n_windows=3, horizon=2, step=2, gap=1)
    folds = splitter.split(np.array([0, 12, 19]))
    # series 1 (rows 12..18) needs 1 + 1 + 2 + 2 * 2 = 8 points for 3 windows: it gets the last 2
    assert splitter.required_length() == 8
    assert [f.series.tolist() for f in folds] == [[0], [0, 1], [0, 1]]
    assert [f.train_index.tolist() for f in folds] == [
        [0, 1, 2, 3, 4],
        [0, 1, 2, 3, 4, 5, 6, 12, 13],
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 13, 14, 15],
    ]
    assert [f.train_indptr.tolist() for f in folds] == [[0, 5], [0, 7, 9], [0, 9, 13]]
    assert [f.test_index.tolist() for f in folds] == [[6, 7], [8, 9, 15, 16], [10, 11, 17, 18]]
    assert [f.cutoff_index.tolist() for f in folds] == [[4], [6, 13], [8, 15]]


def test_step_defaults_to_horizon() -> None:
    folds = RollingOriginSplitter(n_windows=2, horizon=3).split(np.array([0, 10]))
    assert [f.test_index.tolist() for f in folds] == [[4, 5, 6], [7, 8, 9]]


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"n_windows": 0}, "n_windows"),
        ({"horizon": 0}, "horizon"),
        ({"min_train_size": 0}, "min_train_size"),
        ({"step": 0}, "step"),
        ({"gap": -1}, "gap"),
        ({"short_series": "drop"}, "short_series='drop'"),
    ],
)
def test_invalid_parameters(kwargs: dict[str, Any], name: str) -> None:
    with pytest.raises(ConfigError, match=name):
        RollingOriginSplitter(**kwargs)


def test_table_folds_are_stratified_disjoint_and_cover_every_row() -> None:
    from tsautoml.search.splitters import table_folds

    y = np.array(["a"] * 80 + ["b"] * 20)
    folds = table_folds(100, y=y, n_folds=5, seed=3)
    covered = np.sort(np.concatenate([f.test_index for f in folds]))
    np.testing.assert_array_equal(covered, np.arange(100))
    for f in folds:
        assert np.intersect1d(f.train_index, f.test_index).size == 0
        assert (y[f.test_index] == "b").sum() == 4  # 20% of every fold
    holdout = table_folds(100, y=y, holdout=0.25, seed=3)[0]
    assert holdout.test_index.size == 25 and (y[holdout.test_index] == "b").sum() == 5
    rare = np.array(["a"] * 99 + ["b"])  # one row of b: no stratification possible, still 5 folds
    assert len(table_folds(100, y=rare, n_folds=5)) == 5
