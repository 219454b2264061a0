"""Calendar features: date parts pruned to the frequency, plus Fourier terms.

Works on the flat time array of the grouped layout (``datetime64[ns]`` or integer steps)
and returns a 2-D array with one column per feature. Every value depends only on the
timestamp, so a feature is the same for a time whether it sits in one series or another,
in the training data or in the future.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd
from pandas.tseries.offsets import Tick, Week

from tsautoml.data.frequency import Frequency
from tsautoml.exceptions import ConfigError, TsAutoMLWarning
from tsautoml.features._checks import check_dtype, check_times

__all__ = ["DATE_PARTS", "CalendarFeatures"]

_DAY_NS = 86_400 * 10**9
_WEEK_NS = 7 * _DAY_NS

_DAY_PARTS = (
    "dayofweek",
    "dayofmonth",
    "dayofyear",
    "weekofyear",
    "month",
    "quarter",
    "year",
    "is_month_start",
    "is_month_end",
    "is_quarter_start",
    "is_quarter_end",
)
#: Every date part :class:`CalendarFeatures` knows, in the default column order.
DATE_PARTS: tuple[str, ...] = ("minute", "hour", *_DAY_PARTS)

# Parts that vary (and mean something) at each unit; the rest are constant or redundant.
_SUPPORTED: dict[str, tuple[str, ...]] = {
    "integer": (),
    "second": ("minute", "hour", *_DAY_PARTS),
    "minute": ("minute", "hour", *_DAY_PARTS),
    "hour": ("hour", *_DAY_PARTS),
    "day": _DAY_PARTS,
    "business_day": _DAY_PARTS,
    "week": ("dayofmonth", "weekofyear", "month", "quarter", "year"),
    "month": ("month", "quarter", "year", "is_quarter_start", "is_quarter_end"),
    "quarter": ("quarter", "year"),
    "year": ("year",),
}
_MONTHS_PER = {"month": 1, "quarter": 3, "year": 12}

_INTEGER_REASON = (
    "Time is given as integer steps, so there are no dates: CalendarFeatures makes no "
    "date parts, only Fourier terms. Convert the time column to dates to get date parts."
)


@dataclass(frozen=True, slots=True)
class CalendarFeatures:
    """Date parts and Fourier terms computed from timestamps.

    Parameters
    ----------
    freq
        Frequency of the panel; decides which date parts exist and the Fourier periods.
    fourier_order
        Number of sine/cosine pairs per natural period ``p``; capped at ``p / 2``
        (0 turns Fourier terms off).
    parts
        Date parts to make, from :data:`DATE_PARTS`; ``None`` makes every part that
        varies at ``freq``.

    Notes
    -----
    Date parts (pandas conventions, weeks start on Monday):

    - ``minute``, ``hour``: of the timestamp (``minute`` only below hourly data).
    - ``dayofweek`` (Monday = 0), ``dayofmonth``, ``dayofyear`` (1-based),
      ``weekofyear`` (ISO 8601 week), ``month``, ``quarter`` (calendar), ``year``.
    - ``is_month_start`` / ``is_month_end`` / ``is_quarter_start`` / ``is_quarter_end``:
      at daily and finer data, 1 on the first / last day of the month or calendar quarter
      (every hour of that day counts); at business-daily data, on the first / last
      business day (Monday to Friday) instead; at monthly data only the quarter flags
      exist and mark the first / last month of a quarter, whether the months are labelled
      by their start (``MS``) or end (``ME``).

    Parts that are constant or redundant at a frequency are pruned: weekly data have no
    ``dayofweek`` and no flags, monthly data have no day parts, quarterly data keep only
    ``quarter`` and ``year``, yearly data only ``year``. A multi-day step that is a whole
    number of weeks (``7D``) drops ``dayofweek``.

    Fourier terms are ``sin(2 pi k t / p)`` and ``cos(2 pi k t / p)`` for each natural
    period ``p`` of ``freq.seasonalities`` (or ``freq.season_length`` when it has none
    and is at least 2) and ``k = 1 .. min(fourier_order, p / 2)``; the sine is dropped
    where ``2 k = p`` since it is zero at every step. ``t`` is a global step index:
    nanoseconds since 1970-01-01 over the step length for fixed-length steps (seconds to
    days, weeks), business days since 1970-01-01 for ``B``, months since January 1970
    over the months per step for monthly, quarterly and yearly data, and ``time / step``
    for integer time. Names are ``fourier_sin_p<p>_k<k>`` and ``fourier_cos_p<p>_k<k>``.

    Integer time has no date parts: :attr:`skipped_reason` says so, and the first call of
    :meth:`names` or :meth:`transform` warns once with a ``TsAutoMLWarning``.

    Examples
    --------
    >>> import numpy as np
    >>> cal = CalendarFeatures(Frequency.from_alias("D"), fourier_order=1, parts=("dayofyear",))
    >>> cal.names()
    ['dayofyear', 'fourier_sin_p7_k1', 'fourier_cos_p7_k1', 'fourier_sin_p365.25_k1', 'fourier_cos_p365.25_k1']
    >>> times = np.array(["2024-02-29", "2024-03-01"], dtype="datetime64[ns]")
    >>> cal.transform(times)[:, 0]
    array([60., 61.])
    """

    freq: Frequency
    fourier_order: int = 2
    parts: tuple[str, ...] | None = None
    _warned: list[bool] = field(default_factory=list, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if isinstance(self.fourier_order, bool) or not isinstance(
            self.fourier_order, int | np.integer
        ):
            raise ConfigError(
                f"fourier_order must be an integer, got {self.fourier_order!r}. Pass e.g. fourier_order=2."
            )
        if self.fourier_order < 0:
            raise ConfigError(
                f"fourier_order must be >= 0, got {self.fourier_order}. Use 0 to turn Fourier terms off."
            )
        if self.parts is not None:
            object.__setattr__(self, "parts", tuple(self.parts))  # a list stays hashable
            _check_parts(self.parts, self.freq)

    @property
    def skipped_reason(self) -> str | None:
        """Why date parts are not made (integer time), or ``None`` when they are."""
        return _INTEGER_REASON if self.freq.is_integer else None

    def date_parts(self) -> list[str]:
        """The date parts this object makes, in column order."""
        if self.parts is not None:
            return list(self.parts)
        return _supported_parts(self.freq)

    def fourier_terms(self) -> list[tuple[float, int, str]]:
        """``(period, k, 'sin' | 'cos')`` of every Fourier column, in column order."""
        terms: list[tuple[float, int, str]] = []
        for period in _periods(self.freq):
            for k in range(1, min(self.fourier_order, int(period // 2)) + 1):
                if 2 * k != period:
                    terms.append((period, k, "sin"))
                terms.append((period, k, "cos"))
        return terms

    def names(self) -> list[str]:
        """Feature names, in column order."""
        self._warn_if_skipped()
        fourier = [f"fourier_{kind}_p{_fmt(p)}_k{k}" for p, k, kind in self.fourier_terms()]
        return self.date_parts() + fourier

    def transform(self, times: np.ndarray, dtype: npt.DTypeLike = np.float64) -> np.ndarray:
        """Features of every time, shape ``(len(times), len(self.names()))``.

        Parameters
        ----------
        times
            Flat array of ``datetime64`` times, or integer steps for integer frequencies.
        dtype
            ``float64`` (default) or ``float32``.
        """
        out_dtype = check_dtype(dtype)
        self._warn_if_skipped()
        times = check_times(times, self.freq)
        parts, terms = self.date_parts(), self.fourier_terms()
        out = np.empty((times.size, len(parts) + len(terms)), dtype=out_dtype)
        if parts:
            columns = _DateColumns(times, self.freq)
            for j, part in enumerate(parts):
                out[:, j] = columns.get(part)
        if terms:
            t = _step_index(times, self.freq)
            for j, (period, k, kind) in enumerate(terms, start=len(parts)):
                angle = 2.0 * np.pi * k * (np.mod(t, period) / period)
                out[:, j] = np.sin(angle) if kind == "sin" else np.cos(angle)
        return out

    def _warn_if_skipped(self) -> None:
        if self.freq.is_integer and not self._warned:
            self._warned.append(True)
            warnings.warn(_INTEGER_REASON, TsAutoMLWarning, stacklevel=3)


def _supported_parts(freq: Frequency) -> list[str]:
    """Date parts that vary at ``freq``, in column order."""
    return [p for p in _SUPPORTED[freq.unit] if p not in _pruned_by_step(freq)]


def _check_parts(parts: tuple[str, ...], freq: Frequency) -> None:
    unknown = [p for p in parts if p not in DATE_PARTS]
    if unknown:
        raise ConfigError(f"Unknown date parts {unknown}. Choose from {list(DATE_PARTS)}.")
    duplicated = sorted({p for p in parts if parts.count(p) > 1})
    if duplicated:
        raise ConfigError(
            f"Date parts {duplicated} are listed more than once. List each part once."
        )
    supported = _supported_parts(freq)
    unsupported = [p for p in parts if p not in supported]
    if unsupported:
        raise ConfigError(
            f"Date parts {unsupported} are constant or undefined at freq={freq.alias!r} "
            f"(unit {freq.unit!r}). Drop them; parts available at this frequency: {supported}."
        )


def _pruned_by_step(freq: Frequency) -> tuple[str, ...]:
    """Parts made constant by a multi-unit step, such as ``dayofweek`` at ``7D``."""
    if freq.unit == "day" and isinstance(freq.offset, Tick) and freq.offset.nanos % _WEEK_NS == 0:
        return ("dayofweek",)
    return ()


def _periods(freq: Frequency) -> tuple[float, ...]:
    return tuple(float(p) for p in freq.seasonalities)


def _fmt(period: float) -> str:
    return np.format_float_positional(round(period, 4), trim="-")


def _step_index(times: np.ndarray, freq: Frequency) -> np.ndarray:
    """Global step index ``t`` used by the Fourier terms (same time -> same ``t``)."""
    if freq.is_integer:
        return times.astype(np.float64) / freq.step
    offset, unit = freq.offset, freq.unit
    n = max(abs(offset.n), 1)
    if isinstance(offset, Tick | Week):
        step_ns = int(offset.nanos) if isinstance(offset, Tick) else n * _WEEK_NS
        whole, rest = np.divmod(times.view(np.int64), step_ns)
        return whole.astype(np.float64) + rest / step_ns
    if unit == "business_day":
        days = times.astype("datetime64[D]")
        return np.busday_count(np.datetime64("1970-01-01", "D"), days).astype(np.float64) / n
    months = times.astype("datetime64[M]").view(np.int64).astype(np.float64)
    return months / (n * _MONTHS_PER[unit])


class _DateColumns:
    """Lazily computed date parts of one time array."""

    def __init__(self, times: np.ndarray, freq: Frequency) -> None:
        self.index = pd.DatetimeIndex(times)
        self.days = times.astype("datetime64[D]")
        self.unit = freq.unit

    def get(self, part: str) -> np.ndarray:
        getters: dict[str, Callable[[], np.ndarray]] = {
            "minute": lambda: self.index.minute.to_numpy(),
            "hour": lambda: self.index.hour.to_numpy(),
            "dayofweek": lambda: self.index.dayofweek.to_numpy(),
            "dayofmonth": lambda: self.index.day.to_numpy(),
            "dayofyear": lambda: self.index.dayofyear.to_numpy(),
            "weekofyear": lambda: self.index.isocalendar()["week"].to_numpy(dtype=np.int64),
            "month": lambda: self.index.month.to_numpy(),
            "quarter": lambda: self.index.quarter.to_numpy(),
            "year": lambda: self.index.year.to_numpy(),
            "is_month_start": lambda: self._flag(1, start=True),
            "is_month_end": lambda: self._flag(1, start=False),
            "is_quarter_start": lambda: self._flag(3, start=True),
            "is_quarter_end": lambda: self._flag(3, start=False),
        }
        return getters[part]()

    def _flag(self, months: int, start: bool) -> np.ndarray:
        """1 on the first (last) day, business day or month of each block of ``months``."""
        month = self.days.astype("datetime64[M]").view(np.int64)
        first_month = month - np.mod(month, months)  # January 1970 starts a quarter
        if self.unit == "month":
            target = first_month if start else first_month + months - 1
            return month == target
        if start:
            edge = first_month.astype("datetime64[M]").astype("datetime64[D]")
        else:
            edge = (first_month + months).astype("datetime64[M]").astype("datetime64[D]") - 1
        if self.unit == "business_day":
            edge = np.busday_offset(edge, 0, roll="forward" if start else "backward")
        return self.days == edge
