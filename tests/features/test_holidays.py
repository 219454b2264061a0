from __future__ import annotations

import numpy as np
import pytest

from tsautoml.data.frequency import Frequency
from tsautoml.exceptions import ConfigError
from tsautoml.features.holidays import HolidayFeatures

DAILY = ["holiday", "days_to_holiday", "days_since_holiday", "holiday_window"]


def _dt(*dates: str) -> np.ndarray:
    return np.array(dates, dtype="datetime64[ns]")


def _one(n: int) -> np.ndarray:
    return np.array([0, n], dtype=np.int64)


def _counts(alias: str, country: str, *dates: str) -> list[float]:
    hf = HolidayFeatures(Frequency.from_alias(alias), country=country)
    assert hf.names() == ["holiday_count"]
    return hf.transform(_dt(*dates), _one(len(dates)))[:, 0].tolist()


def test_daily_us_around_thanksgiving() -> None:
    # US 2024: Veterans Day 11-11, Thanksgiving 11-28, Christmas 12-25.
    times = np.arange("2024-11-25", "2024-12-03", dtype="datetime64[D]").astype("datetime64[ns]")
    hf = HolidayFeatures(Frequency.from_alias("D"), country="US", window=2, max_days=30)
    assert hf.names() == DAILY
    out = hf.transform(times, _one(times.size))
    np.testing.assert_array_equal(out[:, 0], [0, 0, 0, 1, 0, 0, 0, 0])
    np.testing.assert_array_equal(out[:, 1], [3, 2, 1, 0, 26, 25, 24, 23])
    np.testing.assert_array_equal(out[:, 2], [14, 15, 16, 0, 1, 2, 3, 4])
    np.testing.assert_array_equal(out[:, 3], [0, 1, 1, 1, 1, 1, 0, 0])
    capped = HolidayFeatures(Frequency.from_alias("D"), country="US", max_days=10)
    np.testing.assert_array_equal(
        capped.transform(times, _one(times.size))[:, 2], [10, 10, 10, 0, 1, 2, 3, 4]
    )


def test_daily_german_unity_day() -> None:
    # DE 2023: ..., Pentecost Monday 5-29, German Unity Day 10-03, Christmas 12-25.
    times = _dt("2023-10-01", "2023-10-03", "2023-10-04")
    out = HolidayFeatures(Frequency.from_alias("D"), country="DE").transform(times, _one(3))
    np.testing.assert_array_equal(out, [[0, 2, 30, 1], [1, 0, 0, 1], [0, 30, 1, 1]])


def test_hourly_flags_every_hour_of_the_holiday() -> None:
    times = np.arange("2024-11-27T22", "2024-11-29T02", dtype="datetime64[h]").astype(
        "datetime64[ns]"
    )
    hf = HolidayFeatures(Frequency.from_alias("h"), country="US")
    out = hf.transform(times, _one(times.size))
    on_day = times.astype("datetime64[D]") == np.datetime64("2024-11-28")
    assert on_day.sum() == 24
    np.testing.assert_array_equal(out[:, 0], on_day)
    np.testing.assert_array_equal(out[:2, 1], [1, 1])  # 27 Nov, 22:00 and 23:00


def test_business_day_distances_count_calendar_days() -> None:
    # Friday 2024-11-29 and Monday 2024-12-02: Thanksgiving was 1 and 4 days before.
    out = HolidayFeatures(Frequency.from_alias("B"), country="US").transform(
        _dt("2024-11-28", "2024-11-29", "2024-12-02"), _one(3)
    )
    np.testing.assert_array_equal(out[:, 0], [1, 0, 0])
    np.testing.assert_array_equal(out[:, 2], [0, 1, 4])


def test_weekly_counts_use_period_semantics() -> None:
    # W-SUN labels Monday..Sunday: 2024-11-17 -> 11..17 Nov (Veterans Day),
    # 2024-11-24 -> 18..24, 2024-12-01 -> 25 Nov..1 Dec (Thanksgiving), 2024-12-08 -> 2..8 Dec.
    assert _counts(
        "W-SUN", "US", "2024-11-10", "2024-11-17", "2024-11-24", "2024-12-01", "2024-12-08"
    ) == [
        0,
        1,
        0,
        1,
        0,
    ]
    # W-MON labels Tuesday..Monday: 2024-11-11 -> 5..11 Nov (Veterans Day on the label),
    # 2024-11-18 -> 12..18, 2024-11-25 -> 19..25, 2024-12-02 -> 26 Nov..2 Dec (Thanksgiving).
    assert _counts("W-MON", "US", "2024-11-11", "2024-11-18", "2024-11-25", "2024-12-02") == [
        1,
        0,
        0,
        1,
    ]


def test_monthly_quarterly_yearly_counts() -> None:
    # US 2024: Oct 14 (Columbus), Nov 11 and Nov 28, Dec 25 -> 1, 2, 1.
    assert _counts("MS", "US", "2024-10-01", "2024-11-01", "2024-12-01") == [1, 2, 1]
    assert _counts("ME", "US", "2024-10-31", "2024-11-30", "2024-12-31") == [1, 2, 1]
    assert _counts("ME", "DE", "2023-10-31", "2023-11-30", "2023-12-31") == [1, 0, 2]
    assert _counts("QS", "US", "2024-10-01") == [4]
    assert _counts("QE", "US", "2024-12-31") == [4]
    # QS-NOV labels November..January: Nov 11, Nov 28, Dec 25, 2025-01-01, MLK Day 2025-01-20.
    assert _counts("QS-NOV", "US", "2024-11-01") == [5]
    # QE-JAN labels the same three months, ending at the timestamp.
    assert _counts("QE-JAN", "US", "2025-01-31") == [5]
    assert _counts("YS", "US", "2024-01-01") == [11]
    # Multiples span all their months: 2MS from its start, 2ME back from its end.
    # US 2024: Labor Day 9-2, Columbus Day 10-14, nothing in August.
    assert _counts("2MS", "US", "2024-09-01") == [2]  # September + October
    assert _counts("2ME", "US", "2024-10-31") == [2]  # September + October


def test_one_date_listed_twice_counts_once() -> None:
    # DE 2008: Ascension Day fell on Labour Day (1 May); Pentecost Monday 12 May.
    assert _counts("MS", "DE", "2008-05-01") == [2]


def test_per_series_countries() -> None:
    # Same dates for a US and a DE series: 2023-10-03 is German Unity Day,
    # 2023-11-23 is US Thanksgiving.
    dates = _dt("2023-10-03", "2023-11-23")
    times = np.concatenate([dates, dates, dates])
    indptr = np.array([0, 2, 4, 6])
    hf = HolidayFeatures(Frequency.from_alias("D"), country="US")
    out = hf.transform(times, indptr, countries=np.array(["US", "DE", "US"], dtype=object))
    np.testing.assert_array_equal(out[:, 0], [0, 1, 1, 0, 0, 1])
    one_country = hf.transform(times, indptr)
    np.testing.assert_array_equal(one_country[:, 0], [0, 1, 0, 1, 0, 1])
    monthly = HolidayFeatures(Frequency.from_alias("MS"))
    counts = monthly.transform(
        _dt("2023-10-01", "2023-10-01"), np.array([0, 1, 2]), countries=["US", "DE"]
    )
    np.testing.assert_array_equal(counts[:, 0], [1, 1])  # Columbus Day 10-09, Unity Day 10-03


def test_subdivisions() -> None:
    # Epiphany (6 January) is a holiday in Bavaria, not in Germany as a whole.
    times = np.concatenate([_dt("2024-01-06"), _dt("2024-01-06")])
    hf = HolidayFeatures(Frequency.from_alias("D"), country="DE", subdiv="BY")
    np.testing.assert_array_equal(hf.transform(times, np.array([0, 1, 2]))[:, 0], [1, 1])
    out = hf.transform(times, np.array([0, 1, 2]), subdivs=["BY", None])
    np.testing.assert_array_equal(out[:, 0], [1, 0])
    with pytest.raises(ConfigError, match="'ZZ'"):
        HolidayFeatures(Frequency.from_alias("D"), country="DE", subdiv="ZZ")


def test_unknown_and_missing_countries() -> None:
    freq = Frequency.from_alias("D")
    with pytest.raises(ConfigError, match="Unknown country 'XX'"):
        HolidayFeatures(freq, country="XX")
    times = _dt("2024-01-01", "2024-01-01", "2024-01-01")
    indptr = np.array([0, 1, 2, 3])
    with pytest.raises(ConfigError, match=r"'XX' \(given for 2 series\)"):
        HolidayFeatures(freq).transform(times, indptr, countries=["US", "XX", "XX"])
    with pytest.raises(ConfigError, match=r"2 series have no country, at positions \[0, 2\]"):
        HolidayFeatures(freq).transform(times, indptr, countries=[None, "US", np.nan])
    with pytest.raises(ConfigError, match="no country"):
        HolidayFeatures(freq).transform(times, indptr)


def test_integer_time_makes_no_features_and_warns() -> None:
    hf = HolidayFeatures(Frequency.from_alias(None), country="US")
    assert hf.skipped_reason is not None and "integer" in hf.skipped_reason
    with pytest.warns(UserWarning, match="integer steps") as record:
        assert hf.names() == []
        out = hf.transform(np.arange(4), _one(4))
    assert len(record) == 1
    assert out.shape == (4, 0)


def test_float32_output() -> None:
    hf = HolidayFeatures(Frequency.from_alias("D"), country="US")
    out = hf.transform(_dt("2024-11-28", "2024-11-29"), _one(2), dtype=np.float32)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [[1, 0, 0, 1], [0, 26, 1, 1]])
