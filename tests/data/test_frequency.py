"""Frequency inference, default season lengths, grid positions and future times."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from tsautoml.data import Frequency, Panel, infer_frequency, resolve_frequency
from tsautoml.data.grouped import offsets
from tsautoml.exceptions import ConfigError
from tsautoml.testing import make_panel


def panel_times(freq: str | None, *, step: int = 1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Flat times and indptr of a seeded regular panel (series in order of appearance)."""
    df = make_panel(5, min_length=12, max_length=40, freq=freq, nan_fraction=0.0, seed=seed)
    times = df["ds"].to_numpy()
    if freq is None:
        times = times.astype(np.int64) * step
    return times, offsets(df.groupby("unique_id", sort=False).size().to_numpy())


def drop_rows(
    times: np.ndarray, indptr: np.ndarray, drops: dict[int, list[int]]
) -> tuple[np.ndarray, np.ndarray]:
    """Remove rows (positions within their series) from some series."""
    rows = [indptr[s] + np.asarray(pos) for s, pos in drops.items()]
    keep = np.delete(np.arange(times.size), np.concatenate(rows))
    lengths = np.diff(indptr) - [len(drops.get(s, [])) for s in range(indptr.size - 1)]
    return times[keep], offsets(lengths)


def dt(*values: str) -> np.ndarray:
    return pd.to_datetime(list(values), format="ISO8601").to_numpy()


def assert_regenerates(times: np.ndarray, indptr: np.ndarray, alias: str) -> None:
    """``alias`` rebuilds every (regular) series from its first time."""
    for s in range(indptr.size - 1):
        series = times[indptr[s] : indptr[s + 1]]
        expected = pd.date_range(series[0], periods=series.size, freq=alias).to_numpy()
        np.testing.assert_array_equal(series, expected)


# (alias used to build the panel, canonical alias expected back or None if any equivalent
# anchor is fine, unit)
DATETIME_CASES = [
    ("h", "h", "hour"),
    ("30min", "30min", "minute"),
    ("D", "D", "day"),
    ("B", "B", "business_day"),
    ("W-SUN", "W-SUN", "week"),
    ("W-WED", "W-WED", "week"),
    ("MS", "MS", "month"),
    ("ME", "ME", "month"),
    ("QS", None, "quarter"),  # QS-JAN, QS-APR, ... are the same grid
    ("QE", None, "quarter"),
    ("YS", "YS-JAN", "year"),
    ("YE", "YE-DEC", "year"),
]


@pytest.mark.parametrize(("alias", "expected", "unit"), DATETIME_CASES)
def test_infers_regular_datetime_panels(alias: str, expected: str | None, unit: str) -> None:
    times, indptr = panel_times(alias)
    inferred = infer_frequency(times, indptr)
    if expected is not None:
        assert inferred == expected
    assert Frequency.from_alias(inferred).unit == unit
    assert_regenerates(times, indptr, inferred)


@pytest.mark.parametrize(("alias", "expected", "unit"), DATETIME_CASES)
def test_infers_from_regular_series_when_the_longest_has_gaps(
    alias: str, expected: str | None, unit: str
) -> None:
    times, indptr = panel_times(alias)
    longest = int(np.argmax(np.diff(indptr)))
    gappy, gappy_indptr = drop_rows(times, indptr, {longest: [3, 4, 9]})
    assert infer_frequency(gappy, gappy_indptr) == infer_frequency(times, indptr)


@pytest.mark.parametrize(("alias", "expected", "unit"), DATETIME_CASES)
def test_infers_from_the_most_common_spacing_when_every_series_has_gaps(
    alias: str, expected: str | None, unit: str
) -> None:
    times, indptr = panel_times(alias)
    gappy, gappy_indptr = drop_rows(times, indptr, {s: [2, 6] for s in range(indptr.size - 1)})
    for s in range(gappy_indptr.size - 1):  # pandas cannot infer any single series
        assert pd.infer_freq(pd.DatetimeIndex(gappy[gappy_indptr[s] : gappy_indptr[s + 1]])) is None
    inferred = infer_frequency(gappy, gappy_indptr)
    if expected is not None:
        assert inferred == expected
    assert Frequency.from_alias(inferred).unit == unit
    assert_regenerates(times, indptr, inferred)  # the full grid, gaps included


@pytest.mark.parametrize("step", [1, 5])
def test_infers_integer_steps(step: int) -> None:
    times, indptr = panel_times(None, step=step)
    assert infer_frequency(times, indptr) == step
    gappy, gappy_indptr = drop_rows(times, indptr, {s: [2, 3, 7] for s in range(indptr.size - 1)})
    assert infer_frequency(gappy, gappy_indptr) == step


def test_integer_step_ignores_the_jump_between_series() -> None:
    # series [0, 5, 10] and [13, 18]: 13 - 10 = 3 crosses series and must not count
    assert infer_frequency(np.array([0, 5, 10, 13, 18]), np.array([0, 3, 5])) == 5


@pytest.mark.parametrize(
    ("alias", "season_length"),
    [
        ("h", 24),
        ("30min", 48),
        ("D", 7),
        ("B", 5),
        ("W-SUN", 52),
        ("MS", 12),
        ("ME", 12),
        ("QS", 4),
        ("QE", 4),
        ("YS", 1),
        ("YE", 1),
        (None, 1),
    ],
)
def test_default_season_lengths(alias: str | None, season_length: int) -> None:
    assert Frequency.from_alias(alias).season_length == season_length


def test_inferred_panel_gets_the_default_season_length() -> None:
    times, indptr = panel_times("h")
    assert resolve_frequency(times, indptr).season_length == 24
    times, indptr = panel_times(None)
    assert resolve_frequency(times, indptr).season_length == 1


def test_season_length_override() -> None:
    times, indptr = panel_times("D")
    freq = resolve_frequency(times, indptr, season_length=14)
    assert freq.alias == "D"
    assert freq.season_length == 14
    assert 14.0 in freq.seasonalities
    assert Frequency.from_alias(None, season_length=4).season_length == 4


def test_season_length_below_one_is_rejected() -> None:
    with pytest.raises(ConfigError, match="season_length"):
        Frequency.from_alias("D", season_length=0)


@pytest.mark.parametrize(
    ("deprecated", "canonical"), [("H", "h"), ("M", "ME"), ("Q", "QE-DEC"), ("A", "YE-DEC")]
)
def test_deprecated_aliases_are_normalised(deprecated: str, canonical: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no deprecation warning reaches the user
        freq = Frequency.from_alias(deprecated)
    assert freq.alias == canonical
    assert freq.season_length == Frequency.from_alias(canonical).season_length


def test_positions_count_gaps_and_flag_off_grid_times() -> None:
    # series 1: Jan, Feb, Apr (one missing month), mid-May (off grid); series 2: Nov, Dec
    times = dt("2024-01-01", "2024-02-01", "2024-04-01", "2024-05-15", "2023-11-01", "2023-12-01")
    pos, on_grid = Frequency.from_alias("MS").positions(times, np.array([0, 4, 6]))
    assert pos[:3].tolist() == [0, 1, 3]
    assert pos[4:].tolist() == [0, 1]
    assert on_grid.tolist() == [True, True, True, False, True, True]


@pytest.mark.parametrize(
    ("alias", "times", "expected_pos"),
    [
        ("D", dt("2024-01-01", "2024-01-02", "2024-01-05", "2024-01-05T12:00"), [0, 1, 4]),
        ("h", dt("2024-01-01T00:00", "2024-01-01T03:00", "2024-01-01T03:30"), [0, 3]),
        # the last time is a Thursday
        ("W-SUN", dt("2024-01-07", "2024-01-14", "2024-01-28", "2024-02-01"), [0, 1, 3]),
        # Friday, Monday, Wednesday (Tuesday missing), then a Saturday
        ("B", dt("2024-01-05", "2024-01-08", "2024-01-10", "2024-01-13"), [0, 1, 3]),
    ],
)
def test_positions_datetime(alias: str, times: np.ndarray, expected_pos: list[int]) -> None:
    pos, on_grid = Frequency.from_alias(alias).positions(times, np.array([0, times.size]))
    assert pos[:-1].tolist() == expected_pos
    assert on_grid.tolist() == [True] * (times.size - 1) + [False]


def test_positions_integer_steps() -> None:
    # step 5 from 3: 3, 8, 18 (one missing step), 20 (off grid); second series from 1
    pos, on_grid = Frequency.from_alias(None, step=5).positions(
        np.array([3, 8, 18, 20, 1, 6]), np.array([0, 4, 6])
    )
    assert pos[[0, 1, 2, 4, 5]].tolist() == [0, 1, 3, 0, 1]
    assert on_grid.tolist() == [True, True, True, False, True, True]


@pytest.mark.parametrize(
    ("alias", "last", "expected"),
    [
        ("ME", "2024-01-31", ["2024-02-29", "2024-03-31", "2024-04-30"]),
        ("MS", "2024-11-01", ["2024-12-01", "2025-01-01", "2025-02-01"]),
        ("W-SUN", "2024-01-07", ["2024-01-14", "2024-01-21", "2024-01-28"]),
        ("W-WED", "2024-01-03", ["2024-01-10", "2024-01-17", "2024-01-24"]),
        ("B", "2024-01-04", ["2024-01-05", "2024-01-08", "2024-01-09"]),
        ("D", "2024-02-28", ["2024-02-29", "2024-03-01", "2024-03-02"]),
        ("h", "2024-01-01T23:00", ["2024-01-02T00:00", "2024-01-02T01:00", "2024-01-02T02:00"]),
        ("30min", "2024-01-01T23:30", ["2024-01-02T00:00", "2024-01-02T00:30", "2024-01-02T01:00"]),
        ("QS", "2024-10-01", ["2025-01-01", "2025-04-01", "2025-07-01"]),
        ("QE", "2024-12-31", ["2025-03-31", "2025-06-30", "2025-09-30"]),
        ("YS", "2024-01-01", ["2025-01-01", "2026-01-01", "2027-01-01"]),
        ("YE", "2023-12-31", ["2024-12-31", "2025-12-31", "2026-12-31"]),
    ],
)
def test_future_times(alias: str, last: str, expected: list[str]) -> None:
    out = Frequency.from_alias(alias).future_times(dt(last), 3)
    np.testing.assert_array_equal(out, dt(*expected))


def test_future_times_are_series_by_series_and_stay_on_the_anchor() -> None:
    out = Frequency.from_alias("W-SUN").future_times(dt("2024-01-07", "2023-12-31"), 4)
    assert out.size == 8
    assert (pd.DatetimeIndex(out).dayofweek == 6).all()
    np.testing.assert_array_equal(out[[0, 4]], dt("2024-01-14", "2024-01-07"))
    month_ends = Frequency.from_alias("ME").future_times(dt("2024-01-31", "2023-11-30"), 14)
    assert pd.DatetimeIndex(month_ends).is_month_end.all()


def test_future_times_integer_steps() -> None:
    out = Frequency.from_alias(None, step=5).future_times(np.array([10, 3]), 3)
    assert out.tolist() == [15, 20, 25, 8, 13, 18]


def test_future_times_rejects_a_non_positive_horizon() -> None:
    with pytest.raises(ConfigError, match="horizon"):
        Frequency.from_alias("D").future_times(dt("2024-01-01"), 0)


def test_calendar_freq_with_integer_times_raises() -> None:
    times, indptr = panel_times(None)
    with pytest.raises(ConfigError, match="integer steps"):
        resolve_frequency(times, indptr, "D")
    df = make_panel(2, min_length=10, max_length=12, freq=None, seed=0)
    with pytest.raises(ConfigError, match="'D'"):
        Panel.from_frame(df, freq="D")


def test_integer_freq_with_datetime_times_raises() -> None:
    times, indptr = panel_times("D")
    with pytest.raises(ConfigError, match="timestamps"):
        resolve_frequency(times, indptr, 1)
    df = make_panel(2, min_length=10, max_length=12, seed=0)
    with pytest.raises(ConfigError, match="freq=1"):
        Panel.from_frame(df, freq=1)


@pytest.mark.parametrize("alias", ["foo", "W-FOO", "3x"])
def test_unknown_alias_raises_naming_it(alias: str) -> None:
    with pytest.raises(ConfigError) as info:
        Frequency.from_alias(alias)
    assert repr(alias) in str(info.value)
    df = make_panel(2, min_length=10, max_length=12, seed=0)
    with pytest.raises(ConfigError, match=repr(alias)):
        Panel.from_frame(df, freq=alias)


def test_business_days_inferred_from_a_gappy_series() -> None:
    """No regular series for pandas, and no clean Friday->Monday gap: still business days."""
    ds = pd.bdate_range("2024-01-01", "2024-01-10").delete([3, 4])  # Thu 4th and Fri 5th missing
    assert infer_frequency(ds.to_numpy(), np.array([0, ds.size])) == "B"
