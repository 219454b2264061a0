"""Holiday features from the ``holidays`` package, one country (or one per series).

Holidays are listed once per distinct (country, subdivision) over the years the times
span, plus one year either side, and looked up with :func:`numpy.searchsorted`.
"""

from __future__ import annotations

import reprlib
import warnings
from dataclasses import dataclass, field

import holidays as _holidays
import numpy as np
import numpy.typing as npt
import pandas as pd
from pandas.tseries.offsets import (
    BaseOffset,
    BQuarterBegin,
    BQuarterEnd,
    BusinessMonthBegin,
    BusinessMonthEnd,
    BYearBegin,
    BYearEnd,
    MonthBegin,
    MonthEnd,
    QuarterBegin,
    QuarterEnd,
    Week,
    YearBegin,
    YearEnd,
)

from tsautoml.data.frequency import Frequency
from tsautoml.exceptions import ConfigError, DataValidationError, TsAutoMLWarning
from tsautoml.features._checks import check_dtype, check_times

__all__ = ["HolidayFeatures"]

_DAY_NS = 86_400 * 10**9
_FAR = 10**9  # distance (days) standing for "no holiday in the listed years"
_DAILY_NAMES = ["holiday", "days_to_holiday", "days_since_holiday", "holiday_window"]
_PERIOD_NAMES = ["holiday_count"]
_PERIOD_UNITS = ("week", "month", "quarter", "year")
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
_INTEGER_REASON = (
    "Time is given as integer steps, so there are no dates to match holidays against: "
    "HolidayFeatures makes no features. Convert the time column to dates to get them."
)


@dataclass(frozen=True, slots=True)
class HolidayFeatures:
    """Public-holiday features of each series' country.

    Parameters
    ----------
    freq
        Frequency of the panel; daily and finer data get day-level features, weekly and
        coarser data get a count per period.
    country
        Country code that :func:`holidays.country_holidays` accepts (``"US"``, ``"DE"``),
        used for every series unless :meth:`transform` gets a per-series ``countries``.
    subdiv
        Subdivision of ``country`` (``"CA"``, ``"BY"``); only used with ``country``.
    window
        Days before and after a holiday that count as near it (``holiday_window``).
    max_days
        Cap of ``days_to_holiday`` and ``days_since_holiday``.

    Notes
    -----
    At daily and finer data (seconds to days, business days) each timestamp is matched by
    its calendar date, so all hours of a holiday are flagged:

    - ``holiday``: 1 if the date is a holiday.
    - ``days_to_holiday``: calendar days from the date to the next holiday on or after
      it (0 on a holiday), capped at ``max_days``.
    - ``days_since_holiday``: calendar days since the last holiday on or before the date
      (0 on a holiday), capped at ``max_days``.
    - ``holiday_window``: 1 if a holiday is at most ``window`` days before or after.

    At weekly, monthly, quarterly and yearly data, ``holiday_count`` is the number of
    distinct holiday dates in the period the timestamp labels, with pandas Period
    semantics: end-anchored offsets (``W-SUN``, ``ME``, ``QE-DEC``, ``YE-DEC``) label the
    period ending at the timestamp (``W-SUN``: Monday to that Sunday), start-anchored ones
    (``MS``, ``QS-JAN``, ``YS-JAN``) the period starting at it; business-anchored offsets
    (``BMS``, ``BQE``) label the calendar month or quarter; a multiple (``2MS``) spans all
    its periods.

    Holidays are those :func:`holidays.country_holidays` lists by default (public ones,
    including observed days); a date listed twice counts once. Integer time has no dates:
    :meth:`names` is empty, :attr:`skipped_reason` says why, and the first call of
    :meth:`names` or :meth:`transform` warns once with a ``TsAutoMLWarning``.

    Examples
    --------
    >>> import numpy as np
    >>> hf = HolidayFeatures(Frequency.from_alias("D"), country="US", window=1)
    >>> hf.names()
    ['holiday', 'days_to_holiday', 'days_since_holiday', 'holiday_window']
    >>> times = np.array(["2024-11-27", "2024-11-28", "2024-11-30"], dtype="datetime64[ns]")
    >>> hf.transform(times, np.array([0, 3]))
    array([[ 0.,  1., 16.,  1.],
           [ 1.,  0.,  0.,  1.],
           [ 0., 25.,  2.,  0.]])
    """

    freq: Frequency
    country: str | None = None
    subdiv: str | None = None
    window: int = 3
    max_days: int = 30
    _warned: list[bool] = field(default_factory=list, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name, value, low in (("window", self.window, 0), ("max_days", self.max_days, 1)):
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
                raise ConfigError(f"{name} must be an integer >= {low}, got {value!r}.")
        if self.subdiv is not None and self.country is None:
            raise ConfigError(
                f"subdiv={self.subdiv!r} was given without a country. Pass country as well, "
                "e.g. country='US', subdiv='CA'."
            )
        if self.country is not None:
            _holiday_days(self.country, self.subdiv, [])

    @property
    def skipped_reason(self) -> str | None:
        """Why no features are made (integer time), or ``None`` when they are."""
        return _INTEGER_REASON if self.freq.is_integer else None

    def names(self) -> list[str]:
        """Feature names, in column order."""
        if self.freq.is_integer:
            self._warn_skipped()
            return []
        return list(_PERIOD_NAMES if self.freq.unit in _PERIOD_UNITS else _DAILY_NAMES)

    def transform(
        self,
        times: np.ndarray,
        indptr: np.ndarray,
        countries: npt.ArrayLike | None = None,
        subdivs: npt.ArrayLike | None = None,
        dtype: npt.DTypeLike = np.float64,
    ) -> np.ndarray:
        """Holiday features of every time, shape ``(len(times), len(self.names()))``.

        Parameters
        ----------
        times
            Flat ``datetime64`` times, series after series.
        indptr
            Series ``i`` is ``times[indptr[i]:indptr[i + 1]]``.
        countries
            Country code of each series (length ``n_series``); overrides ``country``.
        subdivs
            Subdivision of each series (``None`` = whole country); without it, series
            use ``subdiv`` when their country is ``country`` and no subdivision otherwise.
        dtype
            ``float64`` (default) or ``float32``.
        """
        out_dtype = check_dtype(dtype)
        names = self.names()
        times = np.asarray(times)
        if not names:
            return np.empty((times.size, 0), dtype=out_dtype)
        ns = check_times(times, self.freq).view(np.int64)
        lengths = _check_indptr(np.asarray(indptr), ns.size)
        keys, codes = self._series_keys(countries, subdivs, lengths.size)
        row_codes = np.repeat(codes, lengths)
        if names == _PERIOD_NAMES:
            start, end = _period_days(ns, self.freq.offset)
        else:
            start = end = np.floor_divide(ns, _DAY_NS)
        years = _years(start, end)
        out = np.empty((ns.size, len(names)), dtype=out_dtype)
        for g, (country, subdiv) in enumerate(keys):
            rows = np.flatnonzero(row_codes == g)
            hol = _holiday_days(country, subdiv, years, n_series=int(np.sum(codes == g)))
            if names == _PERIOD_NAMES:
                out[rows, 0] = _count(hol, start[rows], end[rows])
            else:
                out[rows] = _daily(hol, start[rows], self.window, self.max_days)
        return out

    def _series_keys(
        self, countries: npt.ArrayLike | None, subdivs: npt.ArrayLike | None, n_series: int
    ) -> tuple[list[tuple[str, str | None]], np.ndarray]:
        """Distinct (country, subdiv) pairs and the pair index of every series."""
        if countries is None:
            if self.country is None:
                raise ConfigError(
                    "HolidayFeatures has no country: pass country='US' (one for all series) "
                    "or a per-series countries array to transform."
                )
            country_of = np.full(n_series, self.country, dtype=object)
        else:
            country_of = _per_series(countries, n_series, "countries")
            missing = np.flatnonzero(pd.isna(country_of))
            if missing.size:
                raise ConfigError(
                    f"{missing.size} series have no country, at positions "
                    f"{reprlib.repr(missing.tolist())}. Fill in their country codes."
                )
        if subdivs is not None:
            subdiv_of = _per_series(subdivs, n_series, "subdivs").copy()
            subdiv_of[pd.isna(subdiv_of)] = None
        elif countries is None:
            subdiv_of = np.full(n_series, self.subdiv, dtype=object)
        else:
            subdiv_of = np.full(n_series, None, dtype=object)
        pairs = list(zip(country_of.tolist(), subdiv_of.tolist(), strict=True))
        keys = list(dict.fromkeys(pairs))
        index = {key: i for i, key in enumerate(keys)}
        return keys, np.array([index[p] for p in pairs], dtype=np.int64)

    def _warn_skipped(self) -> None:
        if not self._warned:
            self._warned.append(True)
            warnings.warn(_INTEGER_REASON, TsAutoMLWarning, stacklevel=3)


def check_country(country: object, carried: str = "") -> str:
    """``country`` if it is a code the holidays package knows; else a ConfigError naming it."""
    if not isinstance(country, str) or country not in _holidays.list_supported_countries():
        raise ConfigError(
            f"Unknown country {country!r}{carried}. Use a code that holidays.country_holidays "
            "accepts, such as 'US' or 'DE' (see holidays.list_supported_countries())."
        )
    return country


def _holiday_days(
    country: object, subdiv: object, years: list[int], n_series: int | None = None
) -> np.ndarray:
    """Sorted distinct holiday dates (days since 1970-01-01) of one country/subdivision."""
    carried = "" if n_series is None else f" (given for {n_series} series)"
    country = check_country(country, carried)
    supported = _holidays.list_supported_countries()
    bad_subdiv = ConfigError(
        f"Unknown subdivision {subdiv!r} of country {country!r}{carried}. Use one of "
        f"{reprlib.repr(supported[country])}, or None for the whole country."
    )
    if subdiv is not None and not isinstance(subdiv, str):
        raise bad_subdiv
    try:
        listed = _holidays.country_holidays(country, subdiv=subdiv, years=years)
    except NotImplementedError as exc:
        raise bad_subdiv from exc
    days = np.array(sorted(listed.keys()), dtype="datetime64[D]").view(np.int64)
    return np.unique(days)


def _daily(hol: np.ndarray, day: np.ndarray, window: int, max_days: int) -> np.ndarray:
    """Columns holiday, days_to, days_since, window for day numbers ``day``."""
    if hol.size == 0:
        to = since = np.full(day.size, _FAR, dtype=np.int64)
    else:
        nxt = np.searchsorted(hol, day, side="left")
        prv = np.searchsorted(hol, day, side="right") - 1
        to = np.where(nxt < hol.size, hol[np.minimum(nxt, hol.size - 1)] - day, _FAR)
        since = np.where(prv >= 0, day - hol[np.maximum(prv, 0)], _FAR)
    return np.column_stack(
        [
            to == 0,
            np.minimum(to, max_days),
            np.minimum(since, max_days),
            np.minimum(to, since) <= window,
        ]
    )


def _count(hol: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Number of holidays with ``start <= day <= end``."""
    return np.searchsorted(hol, end, side="right") - np.searchsorted(hol, start, side="left")


def _period_days(ns: np.ndarray, offset: BaseOffset) -> tuple[np.ndarray, np.ndarray]:
    """First and last day (days since 1970-01-01) of the period each timestamp labels."""
    n = max(abs(offset.n), 1)
    if isinstance(offset, Week) and offset.weekday is None:  # 7n days ending at the timestamp
        end = np.floor_divide(ns, _DAY_NS)
        return end - 7 * n + 1, end
    period_freq, end_anchored = _period_spec(offset)
    periods = pd.DatetimeIndex(ns.view("datetime64[ns]")).to_period(period_freq)
    first, last = (periods - (n - 1), periods) if end_anchored else (periods, periods + (n - 1))
    return first.asfreq("D", how="start").asi8, last.asfreq("D", how="end").asi8


def _period_spec(offset: BaseOffset) -> tuple[str, bool]:
    """pandas Period frequency of an offset's periods, and whether it is end-anchored."""
    if isinstance(offset, Week):
        return f"W-{_DAYS[offset.weekday]}", True
    if isinstance(offset, MonthEnd | BusinessMonthEnd | MonthBegin | BusinessMonthBegin):
        return "M", isinstance(offset, MonthEnd | BusinessMonthEnd)
    if isinstance(offset, QuarterEnd | BQuarterEnd):
        return f"Q-{_MONTHS[offset.startingMonth - 1]}", True
    if isinstance(offset, QuarterBegin | BQuarterBegin):  # quarters end the month before
        return f"Q-{_MONTHS[(offset.startingMonth - 2) % 12]}", False
    if isinstance(offset, YearEnd | BYearEnd):
        return f"Y-{_MONTHS[offset.month - 1]}", True
    if isinstance(offset, YearBegin | BYearBegin):
        return f"Y-{_MONTHS[(offset.month - 2) % 12]}", False
    raise ConfigError(
        f"Holiday counts are not defined for freq={offset.freqstr!r}. Use a weekly (W-SUN), "
        "monthly (MS, ME), quarterly (QS, QE) or yearly (YS, YE) frequency."
    )


def _years(start: np.ndarray, end: np.ndarray) -> list[int]:
    """Years from one before the earliest to one after the latest day."""
    if start.size == 0:
        return []
    lo = int(start.min().astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64)) + 1970
    hi = int(end.max().astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64)) + 1970
    return list(range(lo - 1, hi + 2))


def _per_series(values: npt.ArrayLike, n_series: int, name: str) -> np.ndarray:
    array = np.asarray(values, dtype=object)
    if array.ndim != 1 or array.size != n_series:
        raise DataValidationError(
            f"{name} must have one entry per series ({n_series}), got shape {array.shape}. "
            "Pass one value per series, in series order."
        )
    return array


def _check_indptr(indptr: np.ndarray, n_times: int) -> np.ndarray:
    if indptr.ndim != 1 or indptr.size < 1 or indptr[0] != 0 or indptr[-1] != n_times:
        raise DataValidationError(
            f"indptr must start at 0 and end at len(times)={n_times}, got "
            f"{reprlib.repr(np.asarray(indptr).tolist())}. Build it from the series lengths."
        )
    lengths = np.diff(indptr.astype(np.int64))
    if (lengths < 0).any():
        raise DataValidationError(
            "indptr must be non-decreasing. Build it from the series lengths."
        )
    return lengths
