"""Memory planner: sizes, the feature-width bound, and chunk plans that stay under the limit."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from tsautoml.data.frequency import Frequency
from tsautoml.data.grouped import Panel
from tsautoml.engine.memory import (
    PANEL_ROW_BYTES,
    MemoryPlan,
    feature_count,
    matrix_bytes,
    min_history,
    plan_memory,
)
from tsautoml.engine.sizes import default_max_memory, format_bytes, machine_memory, parse_memory
from tsautoml.exceptions import ConfigError
from tsautoml.models.linear import Ridge
from tsautoml.testing import make_panel

GB = 10**9


# ---------------------------------------------------------------------------- sizes
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("512MB", 512 * 10**6),
        ("4GB", 4 * GB),
        ("1.5GiB", 3 * 2**29),
        (" 2 gb ", 2 * GB),
        ("64kib", 65_536),
        ("1e3MB", GB),
        (".5GB", GB // 2),
        ("1000", 1000),
        ("12B", 12),
        (2048, 2048),
        (np.int64(7), 7),
        (1.5e9, 1_500_000_000),
        (None, None),
    ],
)
def test_parse_memory(value: object, expected: int | None) -> None:
    assert parse_memory(value) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["abc", "4 gigs", "GB", "-1GB", "1.2.3GB", "0MB", "0.1B", 0, -5, float("nan"), float("inf"), True, [4]])
def test_parse_memory_rejects_with_the_value(value: object) -> None:
    with pytest.raises(ConfigError, match="max_memory=") as info:
        parse_memory(value)  # type: ignore[arg-type]
    assert repr(value) in str(info.value)


def test_parse_memory_names_the_setting() -> None:
    with pytest.raises(ConfigError, match="memory_limit='x'"):
        parse_memory("x", name="memory_limit")


def test_format_bytes() -> None:
    assert [format_bytes(n) for n in (0, 999, 1000, 2_500_000, 9_100_000_000, 3 * 10**12)] == [
        "0 B", "999 B", "1.0 kB", "2.5 MB", "9.1 GB", "3.0 TB",
    ]  # fmt: skip


def test_machine_memory_with_and_without_psutil(monkeypatch: pytest.MonkeyPatch) -> None:
    total = machine_memory()
    assert total > 2**28
    assert default_max_memory() == total // 2
    monkeypatch.setitem(sys.modules, "psutil", None)  # import psutil now raises ImportError
    assert machine_memory() == pytest.approx(total, rel=0.01)


# ----------------------------------------------------------------------- cost model
def _widths(df_freq: str | None, season_length: int, horizon: int, holidays: str | None) -> list[int]:
    """Feature widths of every lag preset of a real (small) learner fit, exogenous column included."""
    df = make_panel(2, min_length=900, max_length=900, freq=df_freq, season_length=season_length, exogenous=True, seed=1)
    panel = Panel.from_frame(df)
    widths = []
    for lags in ("auto", "short", "seasonal", "long"):
        model = Ridge(lags=lags, calendar=True, horizon=horizon, holidays=holidays).fit(panel)
        widths.append(len(model.feature_names_))
    return widths


@pytest.mark.filterwarnings("ignore:Time is given as integer steps")
@pytest.mark.parametrize(
    ("freq", "season_length", "horizon", "holidays"),
    [("D", 7, 14, "US"), ("h", 24, 48, "US"), ("MS", 12, 18, "DE"), ("W-SUN", 52, 8, None), (None, 1, 6, None)],
)
def test_feature_count_bounds_the_real_width(freq: str | None, season_length: int, horizon: int, holidays: str | None) -> None:
    widths = _widths(freq, season_length, horizon, holidays)
    estimate = feature_count(
        Frequency.from_alias(freq), horizon, n_exogenous=1, holidays=holidays is not None and freq is not None
    )
    assert estimate >= max(widths)
    assert estimate <= max(widths) + 2  # long series keep every feature: the bound is (nearly) exact


def test_feature_count_follows_the_season_length() -> None:
    daily = Frequency.from_alias("D")
    assert feature_count(daily, 7, season_length=30) > feature_count(daily, 7)


def test_matrix_bytes_counts_matrix_copy_and_learner() -> None:
    X = np.empty((200_000, 40), dtype=np.float32)
    both, lgb = matrix_bytes(200_000, 40), matrix_bytes(200_000, 40, learners=["LightGBM"])
    assert lgb > 2 * X.nbytes  # the matrix, its training copy and LightGBM's bins
    assert both >= lgb  # ridge's copies dominate
    assert matrix_bytes(200_000, 40, learners=["Ridge", "AutoETS"]) == both
    assert matrix_bytes(200_000, 40, "float64") > both
    assert matrix_bytes(200_000, 40, direct_horizon=7) <= both
    assert matrix_bytes(0, 40) == matrix_bytes(200_000, 0) == matrix_bytes(200_000, 40, learners=["AutoETS"]) == 0
    sizes = [matrix_bytes(n, 40) for n in (1, 10, 10_000, 300_000, 3_000_000)]
    assert sizes == sorted(sizes)


def test_min_history_keeps_every_preset_feature() -> None:
    assert min_history(1, 6) == 6 + 2 * 14  # "long" without seasonality: lags to 14
    assert min_history(12, 18) == 18 + 2 * 48  # four seasons


# ------------------------------------------------------------------------- planning
def _groups(n_series: int, n_groups: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Unequal lengths and shuffled (non-contiguous) group codes, every group non-empty."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(40, 400, size=n_series)
    codes = rng.permutation(np.arange(n_series) % n_groups)
    return lengths, codes


def _check_plan(plan: MemoryPlan, n_groups: int, min_chunks: int) -> None:
    assert np.array_equal(np.concatenate(plan.chunks), np.arange(n_groups))  # each group once, in order
    assert all(c.size > 0 for c in plan.chunks)
    assert len(plan.chunks) >= min(min_chunks, n_groups)
    assert len(plan.chunk_bytes) == len(plan.chunks)
    assert (plan.chunk_bytes <= plan.allowance).all()
    assert plan.estimate == plan.base_bytes + plan.n_workers * int(plan.chunk_bytes.max())
    assert plan.estimate <= plan.max_memory


def _chunk_rows(plan: MemoryPlan, lengths: np.ndarray, codes: np.ndarray) -> np.ndarray:
    rows = np.bincount(codes, lengths)
    return np.array([rows[c].sum() for c in plan.chunks])


def test_ample_memory_changes_nothing() -> None:
    lengths, codes = _groups(2_000, 60)
    plan = plan_memory(lengths, codes, 50, max_memory="16GB", n_workers=4, base_bytes=GB, min_chunks=8, horizon=14, season_length=7)
    _check_plan(plan, 60, 8)
    assert len(plan.chunks) == 8
    assert plan.changes == () and plan.search_series == {} and plan.max_history is None
    assert (plan.max_memory, plan.n_workers, plan.dtype, plan.n_features) == (16 * GB, 4, "float32", 50)
    assert plan.allowance == 15 * GB // 4
    rows = _chunk_rows(plan, lengths, codes)
    assert rows.max() < 1.3 * rows.min()  # similar row counts
    assert "Nothing was shrunk" in plan.describe() and "8 chunk(s)" in plan.describe()


def test_default_max_memory_is_half_the_machine() -> None:
    lengths, codes = _groups(100, 5)
    plan = plan_memory(lengths, codes, 10, max_memory=None, n_workers=1, base_bytes=0, min_chunks=1, horizon=3)
    assert plan.max_memory == default_max_memory()


def test_more_chunks_than_groups_gives_one_group_each() -> None:
    lengths, codes = _groups(30, 3)
    plan = plan_memory(lengths, codes, 10, max_memory="4GB", n_workers=2, base_bytes=0, min_chunks=10, horizon=3)
    assert [c.tolist() for c in plan.chunks] == [[0], [1], [2]]
    assert plan.changes == ()


def test_small_memory_makes_more_chunks_and_says_so() -> None:
    lengths, codes = _groups(20_000, 400)
    ample = plan_memory(lengths, codes, 60, max_memory="64GB", n_workers=2, base_bytes=0, min_chunks=4, horizon=7)
    tight = plan_memory(lengths, codes, 60, max_memory="170MB", n_workers=2, base_bytes=50 * 10**6, min_chunks=4, horizon=7)
    _check_plan(tight, 400, 4)
    assert len(ample.chunks) == 4 and len(tight.chunks) > 4
    assert tight.search_series == {} and tight.max_history is None
    assert tight.changes == (f"built in {len(tight.chunks)} chunks of groups instead of 4 to stay under 60.0 MB per worker",)
    assert "Changes: built in" in tight.describe()
    rows = _chunk_rows(tight, lengths, codes)
    assert rows.max() < 2.5 * rows.min()


def _search_need(rows_search: int, rows_group: int, n_features: int) -> int:
    """Per-worker bytes of a search: the group's data, copies of the searched rows, a fit."""
    return PANEL_ROW_BYTES * (rows_group + 2 * rows_search) + matrix_bytes(rows_search, n_features)


def _refit_need(kept_rows: int, rows_group: int, n_features: int) -> int:
    return PANEL_ROW_BYTES * (rows_group + kept_rows) + matrix_bytes(kept_rows, n_features)


def test_huge_group_searches_a_subsample_and_refits_on_all() -> None:
    lengths, codes = _groups(6_000, 30, seed=3)
    codes[np.random.default_rng(1).random(6_000) < 0.5] = 7  # group 7 holds about half the series
    F, rows_7 = 60, int(lengths[codes == 7].sum())
    # between the refit's need and the search's need: only the search shrinks
    allowance = (_refit_need(rows_7, rows_7, F) + _search_need(rows_7, rows_7, F)) // 2
    plan = plan_memory(lengths, codes, F, max_memory=allowance, n_workers=1, base_bytes=0, min_chunks=3, horizon=7,
                       label=lambda g: f"store={g}")  # fmt: skip
    _check_plan(plan, 30, 3)
    assert list(plan.search_series) == [7] and plan.max_history is None
    positions = plan.search_series[7]
    n_7 = int((codes == 7).sum())
    assert np.array_equal(positions, np.unique(positions)) and 0 < positions.size < n_7 and positions.max() < n_7
    searched = int(lengths[codes == 7][positions].sum())
    assert _search_need(searched, rows_7, F) <= allowance
    assert plan.changes == (
        f"group 'store=7': {positions.size:,} of {n_7:,} series used for the search (on all of them it needs "
        f"{format_bytes(_search_need(rows_7, rows_7, F))} > {format_bytes(allowance)} per worker); the refit uses all",
    )
    again = plan_memory(lengths, codes, F, max_memory=allowance, n_workers=1, base_bytes=0, min_chunks=3, horizon=7)
    other = plan_memory(lengths, codes, F, max_memory=allowance, n_workers=1, base_bytes=0, min_chunks=3, horizon=7, seed=1)
    assert np.array_equal(again.search_series[7], positions)
    assert not np.array_equal(other.search_series[7], positions)


def test_group_too_big_to_refit_keeps_a_shorter_history() -> None:
    lengths, codes = _groups(8_000, 20, seed=4)
    codes[:4_000] = 0
    F, n_0 = 80, int((codes == 0).sum())
    plan = plan_memory(lengths, codes, F, max_memory="8GB", n_workers=4, base_bytes=2 * GB, min_chunks=8, horizon=14, season_length=7)
    _check_plan(plan, 20, 8)
    assert list(plan.search_series) == [0]
    assert plan.max_history is not None and min_history(7, 14) <= plan.max_history < lengths.max()
    group = lengths[codes == 0]
    kept = int(np.minimum(group, plan.max_history).sum())
    assert _refit_need(kept, int(group.sum()), F) <= plan.allowance
    assert _refit_need(int(np.minimum(group, plan.max_history + 1).sum()), int(group.sum()), F) > plan.allowance  # the most that fits
    assert plan.changes[-1] == (
        f"group '0': refits of global models keep the last {plan.max_history:,} points of each series "
        f"(on all {n_0:,} at full history they need more than {format_bytes(plan.allowance)} per worker)"
    )
    assert "refits of global models keep" in plan.describe()


def test_impossible_refit_says_what_memory_is_needed() -> None:
    lengths = np.full(50_000, 300)
    with pytest.raises(ConfigError, match=r"Group '0' cannot be refitted.*Raise max_memory to at least .* fewer workers than 2"):
        plan_memory(lengths, np.zeros(50_000, dtype=int), 80, max_memory="2GB", n_workers=2, base_bytes=GB, min_chunks=1, horizon=7)


def test_series_too_long_to_search_says_what_memory_is_needed() -> None:
    with pytest.raises(ConfigError, match=r"Group '0' cannot be searched.*shortest series \(2,000,000 points\)"):
        plan_memory(np.array([2_000_000]), np.array([0]), 80, max_memory="1GB", n_workers=1, base_bytes=0, min_chunks=1, horizon=7)


def test_max_memory_below_the_driver_is_refused() -> None:
    with pytest.raises(ConfigError, match="leaves nothing for the workers"):
        plan_memory(np.array([10]), np.array([0]), 5, max_memory="1GB", n_workers=2, base_bytes=2 * GB, min_chunks=1, horizon=1)


@pytest.mark.parametrize(
    ("lengths", "codes", "kwargs", "message"),
    [
        ([10, 20], [0], {}, "one value per series"),
        ([10, -1], [0, 0], {}, "lengths must hold integers >= 0"),
        ([10.5, 1], [0, 0], {}, "lengths must hold integers"),
        ([10, 20], [0, 1], {"n_workers": 0}, "n_workers must be an integer >= 1"),
        ([10, 20], [0, 1], {"min_chunks": 0}, "min_chunks must be an integer >= 1"),
        ([10, 20], [0, 1], {"base_bytes": -1}, "base_bytes must be an integer >= 0"),
        ([10, 20], [0, 1], {"max_memory": "lots"}, "max_memory='lots'"),
    ],
)
def test_plan_checks_its_inputs(lengths: list, codes: list, kwargs: dict, message: str) -> None:
    settings = {"max_memory": GB, "n_workers": 1, "base_bytes": 0, "min_chunks": 1, "horizon": 3, **kwargs}
    with pytest.raises(ConfigError, match=message):
        plan_memory(np.array(lengths), np.array(codes), 10, **settings)


def test_series_bytes_are_held_for_every_series_of_a_chunk() -> None:
    lengths, codes = _groups(3_000, 30)
    settings = {"max_memory": "8GB", "n_workers": 2, "base_bytes": 0, "min_chunks": 3, "horizon": 7}
    plain = plan_memory(lengths, codes, 40, **settings)  # type: ignore[arg-type]
    held = plan_memory(lengths, codes, 40, series_bytes=10_000, **settings)  # type: ignore[arg-type]
    assert [c.tolist() for c in held.chunks] == [c.tolist() for c in plain.chunks]
    extra = [10_000 * int(np.isin(codes, c).sum()) for c in plain.chunks]
    assert (held.chunk_bytes - plain.chunk_bytes).tolist() == extra


def test_no_series_no_chunks() -> None:
    plan = plan_memory(np.array([], dtype=int), np.array([], dtype=int), 10, max_memory=GB, n_workers=2, base_bytes=0, min_chunks=4, horizon=3)
    assert plan.chunks == () and plan.estimate == 0 and plan.changes == ()


def test_hundred_thousand_groups() -> None:
    rng = np.random.default_rng(0)
    lengths = rng.integers(30, 1_000, size=100_000)
    codes = rng.permutation(100_000)
    plan = plan_memory(lengths, codes, 60, max_memory="32GB", n_workers=8, base_bytes=4 * GB, min_chunks=32, horizon=14, season_length=7)
    _check_plan(plan, 100_000, 32)
    assert len(plan.chunks) == 32 and plan.changes == ()
    rows = _chunk_rows(plan, lengths, codes)
    assert rows.max() < 1.05 * rows.min()
    # tight: the greedy scan packs 100k groups under a small share
    tight = plan_memory(lengths, codes, 60, max_memory="1.5GB", n_workers=8, base_bytes=GB, min_chunks=32, horizon=14, season_length=7)
    _check_plan(tight, 100_000, 32)
    assert len(tight.chunks) > 32 and tight.changes[0].startswith(f"built in {len(tight.chunks)} chunks")


def test_hundred_thousand_series_in_few_groups_with_a_subsample() -> None:
    rng = np.random.default_rng(1)
    lengths = rng.integers(30, 1_000, size=100_000)
    codes = rng.integers(0, 50, size=100_000)
    codes[:40_000] = 3
    plan = plan_memory(lengths, codes, 60, max_memory="40GB", n_workers=4, base_bytes=GB, min_chunks=8, horizon=14, season_length=7)
    _check_plan(plan, 50, 8)
    assert list(plan.search_series) == [3] and plan.max_history is not None
    assert len(plan.changes) == 2 + (len(plan.chunks) > 8)
