"""Frequency of a panel: inference, default season lengths, grid positions and future times.

Times are either ``datetime64[ns]`` arrays or integer steps (as in the M4 files). Every
function here works on the flat time array of the grouped layout plus its ``indptr``.
"""

from __future__ import annotations

import functools
import reprlib
import warnings
from collections import Counter
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset
from pandas.tseries.offsets import BaseOffset, BusinessDay, Tick, Week

from tsautoml.exceptions import ConfigError, DataValidationError

__all__ = ["Frequency", "infer_frequency", "resolve_frequency"]

Unit = Literal[
    "integer", "second", "minute", "hour", "day", "business_day", "week", "month", "quarter", "year"
]

_NS_PER = {"second": 10**9, "minute": 60 * 10**9, "hour": 3600 * 10**9, "day": 86400 * 10**9}
_SAMPLE_SERIES = 25


@dataclass(frozen=True, slots=True)
class Frequency:
    """Sampling frequency of a panel.

    Parameters
    ----------
    alias
        pandas offset alias (``"h"``, ``"30min"``, ``"D"``, ``"B"``, ``"W-SUN"``, ``"MS"``,
        ``"QE-DEC"``, ``"YS-JAN"``, ...) or ``None`` for integer time steps.
    step
        Distance between consecutive integer time steps (integer time only).
    season_length
        The main seasonal period, in steps (1 = no seasonality).
    seasonalities
        Natural periods in steps (possibly fractional, e.g. 365.25 for daily data), used
        for Fourier terms.

    Examples
    --------
    >>> f = Frequency.from_alias("h")
    >>> f.unit, f.season_length, f.seasonalities
    ('hour', 24, (24.0, 168.0, 8766.0))
    >>> Frequency.from_alias(None).unit
    'integer'
    """

    alias: str | None
    step: int = 1
    season_length: int = 1
    seasonalities: tuple[float, ...] = ()

    @classmethod
    def from_alias(
        cls, alias: str | None, step: int = 1, season_length: int | None = None
    ) -> Frequency:
        """Build a frequency with default season lengths for ``alias``."""
        if alias is None:
            if step < 1:
                raise ConfigError(f"Integer time step must be >= 1, got {step}.")
            default, natural = 1, tuple[float, ...]()
            canonical = None
        else:
            offset = _parse_offset(alias)
            canonical = offset.freqstr
            default, natural = _default_seasonality(offset)
        if season_length is not None and season_length < 1:
            raise ConfigError(f"season_length must be >= 1, got {season_length}.")
        if season_length is not None and season_length >= 2 and float(season_length) not in natural:
            natural = (float(season_length), *natural)
        return cls(
            alias=canonical,
            step=step,
            season_length=default if season_length is None else int(season_length),
            seasonalities=natural,
        )

    @property
    def is_integer(self) -> bool:
        """True for data indexed by integer steps rather than timestamps."""
        return self.alias is None

    @property
    def offset(self) -> BaseOffset:
        """The pandas offset (datetime frequencies only)."""
        if self.alias is None:
            raise ConfigError("Integer time steps have no pandas offset.")
        return _parse_offset(self.alias)

    @property
    def unit(self) -> Unit:
        """Coarse unit of the frequency, used to prune calendar features."""
        return "integer" if self.alias is None else _unit_of(self.offset)

    def positions(self, times: np.ndarray, indptr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Step index of every time within its series, and whether it lies on the grid.

        Positions start at 0 at each series' first time; a gap of k missing steps shows
        as a jump of k + 1. ``on_grid`` is False where a time is not a whole number of
        steps away from the series' start (irregular spacing).
        """
        first = np.repeat(times[indptr[:-1]], np.diff(indptr))
        if self.alias is None:
            delta = times.astype(np.int64) - first.astype(np.int64)
            return delta // self.step, delta % self.step == 0
        offset = self.offset
        ns = times.astype("datetime64[ns]").view(np.int64)
        if isinstance(offset, Tick) or (isinstance(offset, Week) and offset.weekday is None):
            step_ns = _offset_nanos(offset)
            delta = ns - first.astype("datetime64[ns]").view(np.int64)
            return delta // step_ns, delta % step_ns == 0
        if isinstance(offset, Week):  # anchored week: 7-day steps on the anchor weekday
            step_ns = 7 * _NS_PER["day"]
            delta = ns - first.astype("datetime64[ns]").view(np.int64)
            weekday = pd.DatetimeIndex(times).dayofweek.to_numpy()
            return delta // step_ns, (delta % step_ns == 0) & (weekday == offset.weekday)
        grid = _global_grid(times, offset)
        pos = np.searchsorted(grid, ns)
        on_grid = grid[np.minimum(pos, grid.size - 1)] == ns
        return pos - np.repeat(pos[indptr[:-1]], np.diff(indptr)), on_grid

    def grid_times(self, first: np.ndarray, lengths: np.ndarray, reference: np.ndarray) -> np.ndarray:
        """``lengths[i]`` consecutive grid times from ``first[i]``, series after series.

        ``reference`` holds times spanning the result (anchored frequencies build their grid
        from it).
        """
        starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
        steps = np.arange(int(lengths.sum())) - starts
        start = np.repeat(first, lengths)
        if self.alias is None:
            return start.astype(np.int64) + steps * self.step
        offset = self.offset
        if isinstance(offset, (Tick, Week)):
            return start.astype("datetime64[ns]") + steps * np.timedelta64(_offset_nanos(offset), "ns")
        grid = _global_grid(reference, offset)
        first_pos = np.searchsorted(grid, first.astype("datetime64[ns]").view(np.int64))
        return grid[np.repeat(first_pos, lengths) + steps].view("datetime64[ns]")

    def future_times(self, last: np.ndarray, horizon: int) -> np.ndarray:
        """Times of the next ``horizon`` steps after each series' last time.

        Returns a flat array of ``len(last) * horizon`` times, series by series.
        """
        if horizon < 1:
            raise ConfigError(f"horizon must be >= 1, got {horizon}.")
        steps = np.arange(1, horizon + 1)
        if self.alias is None:
            return (last.astype(np.int64)[:, None] + self.step * steps[None, :]).ravel()
        offset = self.offset
        index = pd.DatetimeIndex(last)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", pd.errors.PerformanceWarning)
            columns = [(index + k * offset).to_numpy() for k in steps]
        return np.stack(columns, axis=1).ravel()


def infer_frequency(times: np.ndarray, indptr: np.ndarray) -> str | int:
    """Infer the frequency alias of datetime times, or the step of integer times.

    The alias is voted by :func:`pandas.infer_freq` over the longest series; when no
    series is regular enough for pandas, it is guessed from the smallest spacing.
    """
    lengths = np.diff(indptr)
    if lengths.max(initial=0) < 2:
        raise DataValidationError(
            "Cannot infer the frequency: every series has fewer than 2 timestamps. "
            "Pass freq explicitly (e.g. freq='D')."
        )
    if np.issubdtype(times.dtype, np.integer):
        return _infer_integer_step(times, indptr)
    longest = np.argsort(-lengths, kind="stable")[:_SAMPLE_SERIES]
    votes: Counter[str] = Counter()
    for s in longest:
        if lengths[s] >= 3:
            alias = pd.infer_freq(pd.DatetimeIndex(times[indptr[s] : indptr[s + 1]]))
            if alias is not None:
                votes[_parse_offset(alias).freqstr] += 1
    if votes:
        return votes.most_common(1)[0][0]
    return _guess_from_spacing(pd.DatetimeIndex(times[indptr[longest[0]] : indptr[longest[0] + 1]]))


def resolve_frequency(
    times: np.ndarray,
    indptr: np.ndarray,
    freq: str | int | None = None,
    season_length: int | None = None,
) -> Frequency:
    """The panel's :class:`Frequency`: ``freq`` if given (checked against the data), else inferred."""
    is_int_time = np.issubdtype(times.dtype, np.integer)
    if freq is None:
        freq = infer_frequency(times, indptr)
    if is_int_time:
        if isinstance(freq, str):
            raise ConfigError(
                f"freq={freq!r} is a calendar frequency but the time column holds integer steps. "
                "Pass an integer step (e.g. freq=1), or convert the time column to dates."
            )
        return Frequency.from_alias(None, step=int(freq), season_length=season_length)
    if not isinstance(freq, str):
        raise ConfigError(
            f"freq={freq!r} is an integer step but the time column holds timestamps. "
            "Pass a pandas alias such as 'D', 'W-SUN' or 'MS'."
        )
    return Frequency.from_alias(freq, season_length=season_length)


@functools.lru_cache(maxsize=64)
def _parse_offset(alias: str) -> BaseOffset:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            return to_offset(alias)
    except ValueError as exc:
        raise ConfigError(
            f"freq={alias!r} is not a pandas frequency alias. "
            "Use one such as 'h', '30min', 'D', 'B', 'W-SUN', 'MS', 'ME', 'QS', 'YS'."
        ) from exc


def _offset_nanos(offset: BaseOffset) -> int:
    if isinstance(offset, Week):
        return offset.n * 7 * _NS_PER["day"]
    return int(offset.nanos)


def _unit_of(offset: BaseOffset) -> Unit:
    if isinstance(offset, Tick):
        ns = offset.nanos
        units: tuple[Unit, ...] = ("day", "hour", "minute")
        return next((unit for unit in units if ns >= _NS_PER[unit]), "second")
    if isinstance(offset, BusinessDay):
        return "business_day"
    if isinstance(offset, Week):
        return "week"
    name = type(offset).__name__
    for key, unit in (("Month", "month"), ("Quarter", "quarter"), ("Year", "year")):
        if key in name:
            return unit  # type: ignore[return-value]
    raise ConfigError(
        f"Frequency {offset.freqstr!r} is not supported. Use one of: seconds/minutes/hours "
        "('30min', 'h'), 'D', 'B', 'W-<DAY>', months ('MS', 'ME'), quarters ('QS', 'QE'), years ('YS', 'YE')."
    )


def _default_seasonality(offset: BaseOffset) -> tuple[int, tuple[float, ...]]:
    """Main season length and natural periods (in steps) for a frequency."""
    unit = _unit_of(offset)
    if unit in ("second", "minute", "hour", "day"):
        step_ns = offset.nanos
        periods = [p * _NS_PER["day"] / step_ns for p in (1, 7, 365.25)]
        natural = tuple(float(p) for p in periods if p >= 2)
        main = next((p for p in natural if float(p).is_integer()), 1.0)
        return int(main), natural
    n = max(abs(offset.n), 1)
    per_year = {"business_day": 261.0, "week": 365.25 / 7, "month": 12.0, "quarter": 4.0, "year": 1.0}
    if unit == "business_day":
        natural = tuple(p / n for p in (5.0, 261.0) if p / n >= 2)
        return (5 // n if 5 % n == 0 and 5 // n >= 2 else 1), natural
    yearly = per_year[unit] / n
    main = round(yearly) if yearly >= 2 else 1
    return main, ((yearly,) if yearly >= 2 else ())


def _global_grid(times: np.ndarray, offset: BaseOffset) -> np.ndarray:
    """All grid times of an anchored offset from before the earliest to the latest time."""
    lo, hi = pd.Timestamp(times.min()), pd.Timestamp(times.max())
    start = offset.rollback(lo) if not offset.is_on_offset(lo) else lo
    grid = pd.date_range(start=start, end=hi, freq=offset)
    return grid.as_unit("ns").asi8


def _infer_integer_step(times: np.ndarray, indptr: np.ndarray) -> int:
    diffs = np.diff(times.astype(np.int64))
    starts = indptr[1:-1] - 1  # the diff that crosses from one series to the next
    within = np.delete(diffs, starts[starts >= 0])
    positive = within[within > 0]
    if positive.size == 0:
        raise DataValidationError("Cannot infer the integer time step: no series has two distinct times.")
    return int(np.gcd.reduce(positive))


def _guess_from_spacing(index: pd.DatetimeIndex) -> str:
    """Guess an alias from the smallest spacing of one (gappy) series."""
    diffs = np.diff(index.asi8)
    positive, counts = np.unique(diffs[diffs > 0], return_counts=True)
    step = int(positive[np.argmax(counts)]) if positive.size else 0  # the most common spacing
    day = _NS_PER["day"]
    days = step / day
    if 0 < step <= day:
        spans_weekends = index[-1] - index[0] >= pd.Timedelta(days=7)
        if step == day and spans_weekends and not (index.dayofweek >= 5).any():
            return "B"
        return _tick_alias(step)
    if days == 7:
        return f"W-{('MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN')[index[0].dayofweek]}"
    starts, ends = bool(index.is_month_start.all()), bool(index.is_month_end.all())
    month_alias = "S" if starts else ("E" if ends else None)
    if month_alias is not None:
        if 28 <= days <= 31:
            return f"M{month_alias}"
        if 89 <= days <= 92:
            return f"Q{month_alias}-{index[0].strftime('%b').upper()}"
        if 365 <= days <= 366:
            return f"Y{month_alias}-{index[0].strftime('%b').upper()}"
    raise DataValidationError(
        f"Cannot infer the frequency from spacings such as {reprlib.repr(sorted(set(np.diff(index).tolist()))[:5])}. "
        "Pass freq explicitly (e.g. freq='D' or freq='MS')."
    )


def _tick_alias(step_ns: int) -> str:
    for unit, alias in (("day", "D"), ("hour", "h"), ("minute", "min"), ("second", "s")):
        if step_ns % _NS_PER[unit] == 0:
            n = step_ns // _NS_PER[unit]
            return alias if n == 1 else f"{n}{alias}"
    raise DataValidationError(f"Time spacing of {step_ns} ns is finer than one second; not supported.")
