from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from tsautoml.data.frequency import Frequency
from tsautoml.exceptions import ConfigError, DataValidationError
from tsautoml.features.calendar import CalendarFeatures

DAY_FLAGS = ["is_month_start", "is_month_end", "is_quarter_start", "is_quarter_end"]
DAY_PARTS = [
    "dayofweek",
    "dayofmonth",
    "dayofyear",
    "weekofyear",
    "month",
    "quarter",
    "year",
    *DAY_FLAGS,
]


def _dt(*dates: str) -> np.ndarray:
    return np.array(dates, dtype="datetime64[ns]")


def _frame(cal: CalendarFeatures, times: np.ndarray) -> dict[str, np.ndarray]:
    return dict(zip(cal.names(), cal.transform(times).T, strict=True))


@pytest.mark.parametrize(
    ("alias", "expected"),
    [
        ("30min", ["minute", "hour", *DAY_PARTS]),
        ("h", ["hour", *DAY_PARTS]),
        ("D", DAY_PARTS),
        ("B", DAY_PARTS),
        ("W-SUN", ["dayofmonth", "weekofyear", "month", "quarter", "year"]),
        ("MS", ["month", "quarter", "year", "is_quarter_start", "is_quarter_end"]),
        ("QS", ["quarter", "year"]),
        ("YS", ["year"]),
    ],
)
def test_date_parts_are_pruned_to_the_frequency(alias: str, expected: list[str]) -> None:
    cal = CalendarFeatures(Frequency.from_alias(alias), fourier_order=0)
    assert cal.names() == expected
    assert cal.skipped_reason is None


def test_daily_parts_on_known_dates() -> None:
    cal = CalendarFeatures(Frequency.from_alias("D"), fourier_order=0)
    # 2024-02-29: Thursday, leap day, day 60, ISO week 9, last day of February.
    # 2024-12-30: Monday in ISO week 1 of 2025, day 365 of a leap year.
    # 2021-01-03: Sunday in ISO week 53 of 2020.
    # 2024-10-01: Tuesday, first day of month and quarter.
    # 2024-03-31: Sunday, last day of month and quarter.
    got = _frame(cal, _dt("2024-02-29", "2024-12-30", "2021-01-03", "2024-10-01", "2024-03-31"))
    np.testing.assert_array_equal(got["dayofweek"], [3, 0, 6, 1, 6])
    np.testing.assert_array_equal(got["dayofmonth"], [29, 30, 3, 1, 31])
    np.testing.assert_array_equal(got["dayofyear"], [60, 365, 3, 275, 91])
    np.testing.assert_array_equal(got["weekofyear"], [9, 1, 53, 40, 13])
    np.testing.assert_array_equal(got["month"], [2, 12, 1, 10, 3])
    np.testing.assert_array_equal(got["quarter"], [1, 4, 1, 4, 1])
    np.testing.assert_array_equal(got["year"], [2024, 2024, 2021, 2024, 2024])
    np.testing.assert_array_equal(got["is_month_start"], [0, 0, 0, 1, 0])
    np.testing.assert_array_equal(got["is_month_end"], [1, 0, 0, 0, 1])
    np.testing.assert_array_equal(got["is_quarter_start"], [0, 0, 0, 1, 0])
    np.testing.assert_array_equal(got["is_quarter_end"], [0, 0, 0, 0, 1])


def test_hourly_and_subhourly_parts() -> None:
    hourly = CalendarFeatures(Frequency.from_alias("h"), fourier_order=0)
    got = _frame(hourly, _dt("2024-03-31T23:00", "2024-04-01T00:00", "2024-04-01T13:00"))
    np.testing.assert_array_equal(got["hour"], [23, 0, 13])
    np.testing.assert_array_equal(got["is_quarter_end"], [1, 0, 0])
    np.testing.assert_array_equal(got["is_quarter_start"], [0, 1, 1])  # every hour of the day
    half_hourly = CalendarFeatures(Frequency.from_alias("30min"), fourier_order=0)
    got = _frame(half_hourly, _dt("2024-01-01T10:30", "2024-01-01T11:00"))
    np.testing.assert_array_equal(got["minute"], [30, 0])
    np.testing.assert_array_equal(got["hour"], [10, 11])


def test_business_day_flags_use_business_days() -> None:
    # June 2024 starts on a Saturday: the first business day is Monday 3 June.
    # 2024-03-29 is Friday, the last business day of Q1 (31 March is a Sunday).
    times = _dt("2024-06-03", "2024-03-29", "2024-05-31")
    bday = _frame(CalendarFeatures(Frequency.from_alias("B"), fourier_order=0), times)
    day = _frame(CalendarFeatures(Frequency.from_alias("D"), fourier_order=0), times)
    np.testing.assert_array_equal(bday["is_month_start"], [1, 0, 0])
    np.testing.assert_array_equal(bday["is_quarter_end"], [0, 1, 0])
    np.testing.assert_array_equal(bday["is_month_end"], [0, 1, 1])
    np.testing.assert_array_equal(day["is_month_start"], [0, 0, 0])
    np.testing.assert_array_equal(day["is_quarter_end"], [0, 0, 0])


def test_weekly_monthly_quarterly_values() -> None:
    weekly = _frame(CalendarFeatures(Frequency.from_alias("W-SUN"), 0), _dt("2024-12-01"))
    assert {k: float(v[0]) for k, v in weekly.items()} == {
        "dayofmonth": 1,
        "weekofyear": 48,
        "month": 12,
        "quarter": 4,
        "year": 2024,
    }
    months_start = _dt("2024-01-01", "2024-03-01", "2024-04-01", "2024-05-01")
    months_end = _dt("2024-01-31", "2024-03-31", "2024-04-30", "2024-05-31")
    for alias, times in (("MS", months_start), ("ME", months_end)):
        got = _frame(CalendarFeatures(Frequency.from_alias(alias), 0), times)
        np.testing.assert_array_equal(got["month"], [1, 3, 4, 5])
        np.testing.assert_array_equal(got["is_quarter_start"], [1, 0, 1, 0])
        np.testing.assert_array_equal(got["is_quarter_end"], [0, 1, 0, 0])
    quarterly = CalendarFeatures(Frequency.from_alias("QS"), 0).transform(_dt("2024-10-01"))
    np.testing.assert_array_equal(quarterly, [[4, 2024]])


def test_parts_subset_and_unsupported_parts() -> None:
    cal = CalendarFeatures(Frequency.from_alias("D"), fourier_order=0, parts=("month", "dayofweek"))
    np.testing.assert_array_equal(cal.transform(_dt("2024-02-29")), [[2, 3]])
    with pytest.raises(ConfigError, match="hour"):
        CalendarFeatures(Frequency.from_alias("MS"), parts=("hour",))
    with pytest.raises(ConfigError, match="dayofweak"):
        CalendarFeatures(Frequency.from_alias("D"), parts=("dayofweak",))
    with pytest.raises(ConfigError, match="fourier_order"):
        CalendarFeatures(Frequency.from_alias("D"), fourier_order=-1)


def test_fourier_order_is_capped_at_half_the_period() -> None:
    cal = CalendarFeatures(Frequency.from_alias("QS"), fourier_order=5, parts=())
    # p = 4: k <= 2, and sin(2*pi*2*t/4) = sin(pi*t) is zero at every step.
    assert cal.names() == ["fourier_sin_p4_k1", "fourier_cos_p4_k1", "fourier_cos_p4_k2"]
    daily = CalendarFeatures(Frequency.from_alias("D"), fourier_order=5, parts=())
    assert [n for n in daily.names() if n.endswith("_p7_k3")] == [
        "fourier_sin_p7_k3",
        "fourier_cos_p7_k3",
    ]
    assert "fourier_sin_p7_k4" not in daily.names()
    assert "fourier_cos_p365.25_k5" in daily.names()


def test_fourier_values_match_the_formula() -> None:
    daily = CalendarFeatures(Frequency.from_alias("D"), fourier_order=2, parts=())
    got = _frame(daily, _dt("1970-01-01", "2024-01-01"))
    t = 19723  # days from 1970-01-01 to 2024-01-01: 54 * 365 + 13 leap days
    for k in (1, 2):
        for p in (7, 365.25):
            np.testing.assert_allclose(
                got[f"fourier_sin_p{p:g}_k{k}"], [0, math.sin(2 * math.pi * k * t / p)], atol=1e-12
            )
            np.testing.assert_allclose(
                got[f"fourier_cos_p{p:g}_k{k}"], [1, math.cos(2 * math.pi * k * t / p)], atol=1e-12
            )
    hourly = _frame(
        CalendarFeatures(Frequency.from_alias("h"), 1, parts=()), _dt("2024-05-05T06:00")
    )
    np.testing.assert_allclose(hourly["fourier_sin_p24_k1"], [1.0])  # 6 h = a quarter day
    np.testing.assert_allclose(hourly["fourier_cos_p24_k1"], [0.0], atol=1e-12)
    # Monthly t is the month count since January 1970: March 2024 is 54 * 12 + 2 = 650.
    for alias, date in (("MS", "2024-03-01"), ("ME", "2024-03-31")):
        monthly = _frame(CalendarFeatures(Frequency.from_alias(alias), 1, parts=()), _dt(date))
        np.testing.assert_allclose(
            monthly["fourier_sin_p12_k1"], [math.sin(2 * math.pi * 650 / 12)]
        )
    # Weekly t is days / 7: 2024-12-01 is day 20058.
    weekly = _frame(CalendarFeatures(Frequency.from_alias("W-SUN"), 1, parts=()), _dt("2024-12-01"))
    p = 365.25 / 7
    np.testing.assert_allclose(
        weekly[f"fourier_cos_p{round(p, 4):g}_k1"], [math.cos(2 * math.pi * (20058 / 7) / p)]
    )


def test_fourier_is_continuous_across_series_and_into_the_future() -> None:
    freq = Frequency.from_alias("D")
    cal = CalendarFeatures(freq, fourier_order=3, parts=())
    a = np.arange("2024-01-01", "2024-01-21", dtype="datetime64[D]").astype("datetime64[ns]")
    b = np.arange("2024-01-10", "2024-01-26", dtype="datetime64[D]").astype("datetime64[ns]")
    both = cal.transform(np.concatenate([a, b]))
    np.testing.assert_array_equal(both[a.size :][:11], both[9:20])  # same dates, same values
    np.testing.assert_array_equal(both[a.size :], cal.transform(b))
    future = freq.future_times(a[-1:], 5)
    ahead = cal.transform(future)
    np.testing.assert_allclose(ahead, both[a.size + 11 : a.size + 16])
    # One step moves each (sin, cos) pair by the angle 2*pi*k/p, across the series' end too.
    path = np.vstack([cal.transform(a), ahead])
    for j, (p, k, kind) in enumerate(cal.fourier_terms()):
        if kind == "sin":
            angle = np.arctan2(path[:, j], path[:, j + 1])
            step = np.mod(np.diff(angle), 2 * np.pi)
            np.testing.assert_allclose(step, 2 * np.pi * k / p)


def test_business_day_fourier_skips_weekends() -> None:
    cal = CalendarFeatures(Frequency.from_alias("B"), fourier_order=1, parts=())
    # Friday, Monday, Monday a week later: one step, then five steps (a full p = 5 cycle).
    got = _frame(cal, _dt("2024-06-07", "2024-06-10", "2024-06-17"))
    angle = np.arctan2(got["fourier_sin_p5_k1"], got["fourier_cos_p5_k1"])
    np.testing.assert_allclose(np.mod(angle[1] - angle[0], 2 * np.pi), 2 * np.pi / 5)
    np.testing.assert_allclose(got["fourier_sin_p5_k1"][1], got["fourier_sin_p5_k1"][2], atol=1e-12)


def test_integer_time_gives_only_fourier_terms_and_warns_once() -> None:
    freq = Frequency(alias=None, step=2, season_length=7, seasonalities=(7.0,))
    cal = CalendarFeatures(freq, fourier_order=1)
    assert cal.skipped_reason is not None and "integer" in cal.skipped_reason
    with pytest.warns(UserWarning, match="integer steps") as record:
        names = cal.names()
        out = cal.transform(np.array([0, 2, 4, 14], dtype=np.int64))
    assert len(record) == 1
    assert names == ["fourier_sin_p7_k1", "fourier_cos_p7_k1"]
    t = np.array([0, 1, 2, 7])  # time / step
    np.testing.assert_allclose(out[:, 0], np.sin(2 * np.pi * t / 7), atol=1e-12)
    np.testing.assert_allclose(out[:, 1], np.cos(2 * np.pi * t / 7), atol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        by_season = CalendarFeatures(Frequency.from_alias(None, season_length=12), 1).names()
    assert by_season == ["fourier_sin_p12_k1", "fourier_cos_p12_k1"]
    with pytest.raises(ConfigError, match="month"):
        CalendarFeatures(freq, parts=("month",))


def test_dtype_and_time_checks() -> None:
    cal = CalendarFeatures(Frequency.from_alias("D"), fourier_order=2)
    out = cal.transform(_dt("2024-02-29", "2024-03-01"), dtype=np.float32)
    assert out.dtype == np.float32
    assert out.shape == (2, len(cal.names()))
    np.testing.assert_allclose(out, cal.transform(_dt("2024-02-29", "2024-03-01")), rtol=1e-6)
    with pytest.raises(ConfigError, match="int64"):
        cal.transform(_dt("2024-02-29"), dtype=np.int64)
    with pytest.raises(DataValidationError, match="datetime64"):
        cal.transform(np.array([1, 2]))
