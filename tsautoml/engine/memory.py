"""Bounded memory: what a many-models run needs, and a plan of chunks that stays under a limit.

The cost model counts, per worker, the panel data of the chunk it holds plus the peak of
one global-model fit (LightGBM or ridge) on one group, the only step whose memory grows
with the number of features. A fit on ``R`` rows and ``F`` features (itemsize ``s``,
4 for float32) holds:

- the feature matrix, ``R * F * s``, and a copy of its training rows, ``R * F * s`` (the
  recursive strategy copies when any target is missing, which ``target_transform="diff"``
  always causes; the direct one copies at most its per-step sample);
- ``40 * R`` for the target copies and calendar temporaries of the feature pipeline;
- the learner's working memory, the larger of
  LightGBM: ``2 * R * F`` (its column-wise uint8 bins, and the row-wise copy that
  ``force_row_wise`` builds) + ``12 * min(R, 200_000) * F`` (the values it samples to
  find bin edges, as double + row index) + ``40 * R`` (gradients, hessians, scores,
  partitions) + ``128 * 256 * 16 * F`` (cached histograms: up to 128 leaves x 256 bins x
  two doubles); and ridge: ``7 * R * F * s`` (the imputed matrix with its missing-value
  indicators, then its scaled and centred copies).

These were checked against the peak resident memory of ``LightGBM._fit_regressor`` and
``Ridge._fit_regressor`` (40 to 120 float32 features, 50,000 to 2,000,000 rows): LightGBM
adds 3 to 16 bytes per cell over the matrix, ridge 13 (no missing value) to 27 (every
column with one). Ridge is the larger by far; leave it out of ``learners`` when it does
not run.

Examples
--------
>>> format_bytes(parse_memory("1.5GiB"))
'1.6 GB'
>>> plan = plan_memory(np.full(6, 100), np.array([0, 0, 1, 1, 2, 2]), n_features=20,
...                    max_memory="1GB", n_workers=2, base_bytes=100_000_000, min_chunks=2, horizon=7)
>>> [c.tolist() for c in plan.chunks], plan.changes
([[0], [1, 2]], ())
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

import numpy as np

from tsautoml.data.frequency import Frequency
from tsautoml.data.grouped import offsets
from tsautoml.engine.sizes import default_max_memory, format_bytes, parse_memory
from tsautoml.exceptions import ConfigError
from tsautoml.features.calendar import CalendarFeatures
from tsautoml.features.holidays import HolidayFeatures
from tsautoml.features.lags import auto_target_features
from tsautoml.models.registry import FORECAST_LEARNERS
from tsautoml.models.regression import DIRECT_MIN_ROWS, DIRECT_ROWS_BUDGET, preset_target_features
from tsautoml.models.spec import FitMemory

__all__ = [
    "GLOBAL_LEARNERS",
    "FITTED_SERIES_BYTES",
    "PANEL_ROW_BYTES",
    "RUNTIME_BYTES",
    "WORKER_PROCESS_BYTES",
    "MemoryPlan",
    "feature_count",
    "matrix_bytes",
    "min_history",
    "plan_memory",
]

#: Learners that build a feature matrix: those whose spec declares the memory of a fit.
GLOBAL_LEARNERS: tuple[str, ...] = tuple(n for n, cls in FORECAST_LEARNERS.items() if cls.spec.memory is not None)
#: Resident bytes per panel row: values (float64) and times (int64), plus 8 for the rest
#: (``indptr``, ids, masks). Add 8 per numeric exogenous column.
PANEL_ROW_BYTES = 24
#: A worker process once it has run fits: Python with pandas, numba, statsforecast and
#: LightGBM imported (about 275 MB measured here) plus compiled kernels and caches (about 130 MB).
WORKER_PROCESS_BYTES = 450_000_000
#: What running fits adds to a process that had only imported (compiled kernels, caches).
RUNTIME_BYTES = 150_000_000
#: A fitted local model kept for predicting, per series (2.6 kB measured for ETS/Theta).
FITTED_SERIES_BYTES = 4_000

_PRESETS = ("short", "seasonal", "long")
_PIPELINE_ROW_BYTES = 40  # target copies (transform, float32, gathered y) and calendar temporaries


# ------------------------------------------------------------------------ cost model
def feature_count(
    freq: Frequency,
    horizon: int,
    *,
    season_length: int | None = None,
    n_exogenous: int = 0,
    holidays: bool = False,
    fourier_order: int = 2,
) -> int:
    """The most feature columns a global learner of the search can build.

    The largest target feature set (``lags="auto"`` or a preset) plus the calendar columns
    at ``freq`` (date parts only with dates; Fourier terms also at integer time), the
    holiday columns (with ``holidays``, dates only) and ``n_exogenous`` numeric exogenous
    columns. Learners drop features too long for the shortest series, so the real width
    can be lower, never higher.

    Parameters
    ----------
    freq
        The panel's frequency.
    horizon
        Steps to forecast.
    season_length
        The learners' season length when it differs from ``freq.season_length``.
    n_exogenous
        Numeric exogenous columns used as features (not the holiday country column).
    holidays
        Whether holiday features are made (``holidays`` or ``holiday_column`` set).
    fourier_order
        The learners' ``fourier_order``.

    Examples
    --------
    >>> feature_count(Frequency.from_alias("D"), horizon=14)
    48
    >>> feature_count(Frequency.from_alias("D"), horizon=14, holidays=True, n_exogenous=2)
    54
    """
    if season_length is not None and season_length != freq.season_length:
        freq = Frequency.from_alias(freq.alias, freq.step, int(season_length))
    target = len(auto_target_features(freq, horizon))
    for preset in _PRESETS:
        target = max(target, len(preset_target_features(preset, freq.season_length, horizon)))
    calendar = CalendarFeatures(freq, fourier_order)
    width = target + len(calendar.date_parts()) + len(calendar.fourier_terms())
    if holidays and not freq.is_integer:
        width += len(HolidayFeatures(freq).names())
    return width + n_exogenous


def min_history(season_length: int, horizon: int) -> int:
    """Fewest points per series a global model may be trained on: ``horizon + 2 * longest``.

    ``longest`` is the history the longest preset target feature needs; a learner keeps a
    feature when the series hold ``horizon`` plus twice its history, so every preset
    feature survives (``"auto"`` ones longer than the season, such as the weekly lag of
    hourly data, may be dropped).

    Examples
    --------
    >>> min_history(season_length=7, horizon=14)
    70
    """
    longest = max(
        f.history or 0 for preset in _PRESETS for f in preset_target_features(preset, season_length, horizon)
    )
    return horizon + 2 * longest


@dataclass(frozen=True, slots=True)
class _Cost:
    """``fixed + per_row * R + per_sample_row * min(R, sample_rows)`` bytes for ``R > 0`` rows, 0 for none."""

    fixed: float
    per_row: float
    per_sample_row: float = 0.0
    sample_rows: int = 200_000

    def bytes(self, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.float64)
        cost = self.fixed + self.per_row * rows + self.per_sample_row * np.minimum(rows, self.sample_rows)
        return np.where(rows > 0, cost, 0.0)

    def rows_within(self, budget: np.ndarray) -> np.ndarray:
        """The most rows costing at most ``budget`` (-1 where even none fits: a negative budget)."""
        budget = np.asarray(budget, dtype=np.float64)
        steep = self.per_row + self.per_sample_row
        knee = self.fixed + steep * self.sample_rows
        left = budget - self.fixed
        rows = np.where(
            budget <= knee,
            left / steep,
            self.sample_rows + (budget - knee) / max(self.per_row, 1e-300),
        )
        rows = np.floor(np.clip(rows, 0.0, 2.0**62)).astype(np.int64)
        rows -= self.bytes(rows) > budget  # float rounding at the edge
        return np.where(budget < 0, -1, rows)


def _training_costs(n_features: int, itemsize: int, learners: Collection[str]) -> list[_Cost]:
    """Per learner, the bytes of fitting on ``T`` training rows: their copy and its working memory (its spec's)."""
    models = [FORECAST_LEARNERS[n].spec.memory for n in learners if n in FORECAST_LEARNERS]
    return [_cost(m, n_features, itemsize) for m in models if m is not None]


def _cost(memory: FitMemory, n_features: int, itemsize: int) -> _Cost:
    per_row = (1 + memory.copies) * itemsize * n_features + memory.cell * n_features + memory.row
    return _Cost(memory.fixed * n_features, per_row, memory.sample * n_features, memory.sample_rows)


def _fit_costs(n_features: int, itemsize: int, learners: Collection[str], extra_per_row: float) -> list[_Cost]:
    """Per learner, the peak bytes of a recursive fit on ``R`` rows, plus ``extra_per_row``.

    The fit's peak is the largest of these; with no global learner it is the extra alone.
    """
    matrix = itemsize * n_features + _PIPELINE_ROW_BYTES
    costs = _training_costs(n_features, itemsize, learners) if n_features > 0 else []
    if not costs:
        return [_Cost(0.0, float(extra_per_row))]
    return [_Cost(c.fixed, c.per_row + matrix + extra_per_row, c.per_sample_row) for c in costs]


def _peak(costs: list[_Cost], rows: np.ndarray) -> np.ndarray:
    return np.max([c.bytes(rows) for c in costs], axis=0)


def _rows_within(costs: list[_Cost], budget: np.ndarray) -> np.ndarray:
    return np.min([c.rows_within(budget) for c in costs], axis=0)


def matrix_bytes(
    n_rows: int,
    n_features: int,
    dtype: str = "float32",
    *,
    direct_horizon: int | None = None,
    learners: Collection[str] = GLOBAL_LEARNERS,
) -> int:
    """Peak bytes of one global-model fit on ``n_rows`` rows of ``n_features`` features.

    Counts the feature matrix, the copy of its training rows, the pipeline's per-row
    temporaries and the largest working memory of ``learners`` (see the module docstring).
    ``direct_horizon`` is the horizon of the direct strategy, whose step models each train
    on at most ``max(20_000, 1_000_000 // horizon)`` sampled rows; ``None`` is the recursive
    strategy, which trains on every row and is never cheaper. Learners other than
    :data:`GLOBAL_LEARNERS` build no matrix.

    Examples
    --------
    >>> matrix_bytes(1_000_000, 50) / 1e9, matrix_bytes(1_000_000, 50, learners=["LightGBM"]) / 1e9
    (1.84, 0.7262144)
    >>> matrix_bytes(1_000_000, 50, direct_horizon=7, learners=["LightGBM"]) < matrix_bytes(1_000_000, 50, learners=["LightGBM"])
    True
    """
    itemsize = np.dtype(dtype).itemsize
    costs = _training_costs(n_features, itemsize, learners)
    if n_rows <= 0 or n_features <= 0 or not costs:
        return 0
    trained = n_rows
    if direct_horizon is not None:
        trained = min(n_rows, max(DIRECT_MIN_ROWS, DIRECT_ROWS_BUDGET // direct_horizon))
    matrix = n_rows * (itemsize * n_features + _PIPELINE_ROW_BYTES)
    return int(matrix + _peak(costs, np.array([trained]))[0])


# --------------------------------------------------------------------------- planning
@dataclass(frozen=True, eq=False, slots=True)
class MemoryPlan:
    """How a many-models run stays under ``max_memory``: chunks of groups, and what shrank.

    Attributes
    ----------
    max_memory, n_workers, base_bytes
        The limit, the workers sharing it and what the driver holds besides them.
    dtype, n_features
        Feature matrices: their dtype and (largest) width.
    chunks
        Group codes of each chunk, in group-code order; together every group once.
    chunk_bytes
        Estimated peak bytes of a worker on each chunk: the chunk's panel data plus the
        largest search or refit of one of its groups.
    estimate
        Estimated peak of the run: ``base_bytes + n_workers * max(chunk_bytes)``.
    search_series
        Groups whose search uses a subsample: group code -> positions (sorted) of the
        series used among the group's series in panel order. Their refit uses all series.
    max_history
        Points per series kept by the global-model refits of the groups in
        ``search_series`` (``None``: all).
    changes
        Every shrink or memory-driven choice, in plain words; empty when none.

    Examples
    --------
    >>> plan = plan_memory(np.full(4, 500), np.arange(4), 30, max_memory="2GB", n_workers=1,
    ...                    base_bytes=0, min_chunks=2, horizon=7)
    >>> len(plan.chunks), plan.estimate == int(plan.chunk_bytes.max()), plan.allowance
    (2, True, 2000000000)
    """

    max_memory: int
    n_workers: int
    base_bytes: int
    dtype: str
    n_features: int
    chunks: tuple[np.ndarray, ...]
    chunk_bytes: np.ndarray
    estimate: int
    search_series: dict[int, np.ndarray]
    max_history: int | None
    changes: tuple[str, ...]

    @property
    def allowance(self) -> int:
        """Bytes each worker may use: ``(max_memory - base_bytes) // n_workers``."""
        return (self.max_memory - self.base_bytes) // self.n_workers

    def describe(self) -> str:
        """One paragraph for the log: limit, chunks, estimate and changes."""
        largest = int(self.chunk_bytes.max()) if len(self.chunk_bytes) else 0
        text = (
            f"Memory plan: max_memory {format_bytes(self.max_memory)}, of which the driver holds "
            f"{format_bytes(self.base_bytes)} and {self.n_workers} worker(s) get {format_bytes(self.allowance)} "
            f"each; {len(self.chunks)} chunk(s) of groups, the largest needing {format_bytes(largest)}; "
            f"estimated peak {format_bytes(self.estimate)} with {self.n_features} {self.dtype} feature columns."
        )
        if not self.changes:
            return text + " Nothing was shrunk."
        shown = list(self.changes[:5])
        if len(self.changes) > 5:
            shown.append(f"and {len(self.changes) - 5} more")
        return text + " Changes: " + "; ".join(shown) + "."


@dataclass(frozen=True, slots=True)
class _Budget:
    """The fixed inputs of a plan: per-worker bytes and the costs of one group's search and refit."""

    allowance: int
    base_bytes: int
    n_workers: int
    search: list[_Cost]  # fit + a copy of the search series and of each fold's training rows
    refit: list[_Cost]  # fit + a copy of the group's series
    min_history: int
    label: Callable[[int], str]

    @property
    def limit(self) -> str:
        return f"{format_bytes(self.allowance)} per worker"

    def too_small(self, what: str, need: float) -> ConfigError:
        """The error of a group that needs ``need`` bytes per worker, however shrunk."""
        total = format_bytes(self.base_bytes + self.n_workers * need)
        return ConfigError(
            f"{what} need {format_bytes(need)}, more than {self.limit}. Raise max_memory to at least "
            f"{total} or use fewer workers than {self.n_workers}."
        )


def plan_memory(
    lengths: np.ndarray,
    group_of_series: np.ndarray,
    n_features: int,
    *,
    max_memory: int | float | str | None,
    n_workers: int,
    base_bytes: int,
    min_chunks: int,
    horizon: int,
    season_length: int = 1,
    seed: int = 0,
    row_bytes: int = PANEL_ROW_BYTES,
    series_bytes: int = 0,
    learners: Collection[str] = GLOBAL_LEARNERS,
    label: Callable[[int], str] | None = None,
) -> MemoryPlan:
    """Chunks of whole groups, and subsamples where needed, so each worker stays in its share.

    Each worker may use ``(max_memory - base_bytes) // n_workers``. A worker holds its
    chunk's panel data (``row_bytes`` per row) and fits one group at a time: the search on
    the group's search series (a copy of them and of each fold's training rows, plus a
    fit) or the refit on all of them (a copy plus a fit), costed by :func:`matrix_bytes`
    in float32. A group that does not fit alone searches on a seeded random subsample of
    its series, as many as fit at full history; if its refit on all series does not fit
    either, refits keep the last ``max_history`` points per series, never fewer than
    :func:`min_history`. Groups are packed in code order into at least ``min_chunks``
    chunks (when there are that many groups) of similar row counts.

    Parameters
    ----------
    lengths, group_of_series
        Length and group code (``0..G-1``, in any order) of every series.
    n_features
        Feature columns of the widest matrix (:func:`feature_count`).
    max_memory
        The limit in bytes or as a string (:func:`parse_memory`); ``None``: :func:`default_max_memory`.
    n_workers, base_bytes, min_chunks
        Workers running at once, bytes the driver already holds, fewest chunks wanted.
    horizon, season_length
        Forecast horizon and season length (they set :func:`min_history`).
    seed
        Seed of the subsamples.
    row_bytes
        Panel bytes per row (:data:`PANEL_ROW_BYTES` plus 8 per exogenous column).
    series_bytes
        Other bytes a worker holds per series of its chunk, such as the out-of-fold
        forecasts of the trials it keeps (``trials * windows * horizon * 8``).
    learners
        Learners of the search; only :data:`GLOBAL_LEARNERS` build a matrix.
    label
        Name of a group code in messages (default: the code).

    Raises
    ------
    ConfigError
        When ``max_memory`` leaves nothing per worker, or a group cannot be searched or
        refitted within a worker's share even shrunk; the message says how much is needed.
    """
    lengths, codes = _check_series(lengths, group_of_series)
    _check_counts(1, n_workers=n_workers, min_chunks=min_chunks, horizon=horizon, row_bytes=row_bytes)
    _check_counts(0, n_features=n_features, base_bytes=base_bytes, series_bytes=series_bytes)
    limit = parse_memory(max_memory)
    limit = default_max_memory() if limit is None else limit
    allowance = (limit - int(base_bytes)) // n_workers
    if allowance <= 0:
        raise ConfigError(
            f"max_memory={format_bytes(limit)} leaves nothing for the workers: the driver already holds "
            f"{format_bytes(base_bytes)} (data and interpreter). Raise max_memory above that."
        )
    budget = _Budget(
        allowance=allowance,
        base_bytes=int(base_bytes),
        n_workers=n_workers,
        search=_fit_costs(n_features, 4, learners, 2 * row_bytes),
        refit=_fit_costs(n_features, 4, learners, row_bytes),
        min_history=min_history(season_length, horizon),
        label=label or str,
    )
    n_groups = int(codes.max()) + 1 if codes.size else 0
    rows = np.bincount(codes, weights=lengths, minlength=n_groups).astype(np.int64)
    panel = rows * row_bytes + np.bincount(codes, minlength=n_groups) * series_bytes  # held all along
    peak = _peak(budget.search, rows)  # of each group's fits, beside the chunk's data
    search, max_history, changes, peak = _shrink(lengths, codes, panel, peak, budget, seed)
    wanted = min(min_chunks, n_groups)
    starts = _pack(panel, peak, allowance, wanted)
    chunk_bytes = _chunk_bytes(panel, peak, starts)
    if len(starts) > wanted:
        changes.insert(0, f"built in {len(starts)} chunks of groups instead of {wanted} to stay under {budget.limit}")
    return MemoryPlan(
        max_memory=limit,
        n_workers=n_workers,
        base_bytes=int(base_bytes),
        dtype="float32",
        n_features=n_features,
        chunks=tuple(np.split(np.arange(n_groups), starts[1:])) if n_groups else (),
        chunk_bytes=chunk_bytes,
        estimate=int(base_bytes) + n_workers * int(chunk_bytes.max(initial=0)),
        search_series=search,
        max_history=max_history,
        changes=tuple(changes),
    )


def _check_series(lengths: np.ndarray, group_of_series: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lengths, codes = np.asarray(lengths), np.asarray(group_of_series)
    if lengths.ndim != 1 or lengths.shape != codes.shape:
        raise ConfigError(
            f"lengths and group_of_series need one value per series each; got shapes {lengths.shape} "
            f"and {codes.shape}."
        )
    for name, values in (("lengths", lengths), ("group_of_series", codes)):
        if values.size and (not np.issubdtype(values.dtype, np.integer) or values.min() < 0):
            raise ConfigError(f"{name} must hold integers >= 0; got dtype {values.dtype}, min {values.min()}.")
    return lengths.astype(np.int64), codes.astype(np.int64)


def _check_counts(low: int, **counts: int) -> None:
    for name, value in counts.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ConfigError(f"{name} must be an integer >= {low}, got {value!r}.")


def _shrink(
    lengths: np.ndarray, codes: np.ndarray, panel: np.ndarray, peak: np.ndarray, budget: _Budget, seed: int
) -> tuple[dict[int, np.ndarray], int | None, list[str], np.ndarray]:
    """Search subsamples and refit history of the groups whose search does not fit alone, the
    changes in words, and every group's peak once shrunk (the larger of its search and refit).
    """
    room = budget.allowance - panel  # what a group's fits may use beside its data
    over = np.flatnonzero(peak > room)
    if over.size == 0:
        return {}, None, [], peak
    member, j = _members(codes, over)
    search, search_rows = _subsample(lengths, codes, member, j, over, room[over], budget, seed)
    histories = _refit_histories(lengths[member], j, over, room[over], budget)
    max_history = min((h for h in histories if h is not None), default=None)
    kept = lengths[member] if max_history is None else np.minimum(lengths[member], max_history)
    shrunk = peak.copy()
    shrunk[over] = np.maximum(
        _peak(budget.search, search_rows), _peak(budget.refit, np.bincount(j, kept, minlength=over.size))
    )
    changes = []
    for g, n, history in zip(over.tolist(), np.bincount(j).tolist(), histories, strict=True):
        name = budget.label(g)
        need = format_bytes(panel[g] + peak[g])
        changes.append(
            f"group '{name}': {search[g].size:,} of {n:,} series used for the search (on all of them "
            f"it needs {need} > {budget.limit}); the refit uses all"
        )
        if history is not None:
            changes.append(
                f"group '{name}': refits of global models keep the last {max_history:,} points of each "
                f"series (on all {n:,} at full history they need more than {budget.limit})"
            )
    return search, max_history, changes, shrunk


def _members(codes: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The series of ``groups`` (panel positions) and the index in ``groups`` of each one's group."""
    where = np.full(int(codes.max()) + 1, -1)
    where[groups] = np.arange(groups.size)
    member = np.flatnonzero(where[codes] >= 0)
    return member, where[codes[member]]


def _subsample(
    lengths: np.ndarray,
    codes: np.ndarray,
    member: np.ndarray,
    j: np.ndarray,
    over: np.ndarray,
    room: np.ndarray,
    budget: _Budget,
    seed: int,
) -> tuple[dict[int, np.ndarray], np.ndarray]:
    """For each group of ``over``: a seeded shuffle of its series, the longest prefix whose search fits.

    Series too long to fit on their own are skipped. Keys are drawn for every series of the
    panel, so a group's subsample depends on the seed and its own series only. Also returns
    the rows each subsample holds.
    """
    keys = np.random.default_rng(seed).random(codes.size)
    shuffled = np.lexsort((keys[member], j))
    member, j = member[shuffled], j[shuffled]
    max_rows = _rows_within(budget.search, room)
    used = np.where(lengths[member] <= max_rows[j], lengths[member], 0)
    total = np.cumsum(used)
    before = np.concatenate(([0], total))[np.searchsorted(j, np.arange(over.size))]
    chosen = (used > 0) & (total - before[j] <= max_rows[j])
    counts = np.bincount(j[chosen], minlength=over.size)
    if (counts == 0).any():  # no series of the group fits, even alone
        k = int(np.argmin(counts))
        shortest = int(lengths[member[j == k]].min())
        need = budget.allowance - room[k] + _peak(budget.search, np.array([shortest]))[0]
        what = f"Group '{budget.label(int(over[k]))}' cannot be searched: its data and a search on its shortest series ({shortest:,} points)"
        raise budget.too_small(what, need)
    position = _position_in_group(codes)
    picked = member[chosen]
    picked = picked[np.lexsort((position[picked], j[chosen]))]
    parts = np.split(position[picked], np.cumsum(counts)[:-1])
    search_rows = np.bincount(j[chosen], used[chosen], minlength=over.size)
    return {int(g): part for g, part in zip(over.tolist(), parts, strict=True)}, search_rows


def _position_in_group(codes: np.ndarray) -> np.ndarray:
    """Rank of each series among the series of its group, in panel order."""
    order = np.argsort(codes, kind="stable")
    start = offsets(np.bincount(codes))
    position = np.empty(codes.size, dtype=np.int64)
    position[order] = np.arange(codes.size) - start[codes[order]]
    return position


def _refit_histories(
    size: np.ndarray, j: np.ndarray, over: np.ndarray, room: np.ndarray, budget: _Budget
) -> list[int | None]:
    """Per group of ``over``: the most points per series its refit on all series may keep (``None``: all).

    ``size`` and ``j`` are the length and group (index in ``over``) of each of their series;
    a bisection on the history runs for all groups at once.
    """
    max_rows = _rows_within(budget.refit, room)
    fits_all = np.bincount(j, size, minlength=over.size) <= max_rows
    low = np.zeros(over.size, dtype=np.int64)  # keeping nothing fits
    high = np.zeros(over.size, dtype=np.int64)
    np.maximum.at(high, j, size)  # keeping everything does not, unless ``fits_all``
    while (high - low > 1).any():
        middle = (low + high) // 2
        ok = np.bincount(j, np.minimum(size, middle[j]), minlength=over.size) <= max_rows
        low, high = np.where(ok, middle, low), np.where(ok, high, middle)
    short = ~fits_all & (low < budget.min_history)
    if short.any():
        k = int(np.argmax(short))
        kept = np.minimum(size[j == k], budget.min_history).sum()
        need = budget.allowance - room[k] + _peak(budget.refit, np.array([kept]))[0]
        what = (
            f"Group '{budget.label(int(over[k]))}' cannot be refitted: its data and a refit on the last "
            f"{budget.min_history:,} points of each of its {int((j == k).sum()):,} series"
        )
        raise budget.too_small(what, need)
    return [None if f else int(h) for f, h in zip(fits_all.tolist(), low.tolist(), strict=True)]


def _pack(panel: np.ndarray, peak: np.ndarray, allowance: int, min_chunks: int) -> list[int]:
    """First group of each chunk: balanced by rows, at least ``min_chunks``, each within ``allowance``.

    Cuts at the quantiles of the cumulative rows (fast, vectorized); where that leaves a
    chunk over the allowance, a greedy scan that also closes a chunk before it overflows,
    rerun with as many quantiles as chunks it made.
    """
    if panel.size == 0:
        return []
    weight = panel + 1.0  # groups without rows count a little
    starts = _quantile_cuts(weight, max(min_chunks, 1))
    if len(starts) >= min_chunks and (_chunk_bytes(panel, peak, starts) <= allowance).all():
        return starts
    starts = _scan(panel.tolist(), (allowance - peak).tolist(), weight, max(min_chunks, 1), min_chunks)
    return _scan(panel.tolist(), (allowance - peak).tolist(), weight, len(starts), min_chunks)


def _quantile_cuts(weight: np.ndarray, n: int) -> list[int]:
    middle = np.cumsum(weight) - weight / 2
    chunk = np.minimum((middle * n / weight.sum()).astype(np.int64), n - 1)
    return [0, *(np.flatnonzero(np.diff(chunk)) + 1).tolist()]


def _scan(panel: list[float], room: list[float], weight: np.ndarray, n: int, min_chunks: int) -> list[int]:
    """Greedy cuts in group order: at each ``1/n`` quantile of the weight, and before overflowing."""
    step = float(weight.sum()) / n
    cumulative = np.cumsum(weight).tolist()
    starts, held, space = [0], panel[0], room[0]
    for g in range(1, len(panel)):
        forced = len(panel) - g <= min_chunks - len(starts)  # each group left opens a chunk
        quantile = cumulative[g - 1] >= len(starts) * step
        if forced or quantile or held + panel[g] > min(space, room[g]):
            starts.append(g)
            held, space = panel[g], room[g]
        else:
            held, space = held + panel[g], min(space, room[g])
    return starts


def _chunk_bytes(panel: np.ndarray, peak: np.ndarray, starts: list[int]) -> np.ndarray:
    if not starts:
        return np.zeros(0, dtype=np.int64)
    index = np.asarray(starts)
    return (np.add.reduceat(panel, index) + np.maximum.reduceat(peak, index)).astype(np.int64)
