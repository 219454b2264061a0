"""Quantile and interval metrics."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tsautoml.exceptions import ConfigError, DataValidationError
from tsautoml.metrics import get_metric

# Series S1 has three rows (the last actual is missing), S2 one row.
Y_TRUE = np.array([10.0, 20.0, np.nan, 5.0])
INDPTR = np.array([0, 3, 4])
QUANTILES = (0.1, 0.5, 0.9)
Y_QUANT = np.array([[8.0, 10.0, 12.0], [15.0, 18.0, 25.0], [0.0, 0.0, 0.0], [6.0, 7.0, 9.0]])
Y_TRAIN = np.array([10.0, 12.0, 11.0, 15.0, 4.0, 6.0])
TRAIN_INDPTR = np.array([0, 4, 6])
# Pinball losses per (row, quantile):
#   row 0 (y=10): 0.2, 0.0, 0.2    row 1 (y=20): 0.5, 1.0, 0.5    row 3 (y=5): 0.9, 1.0, 0.4


def test_pinball_per_series_and_mean() -> None:
    pinball = get_metric("pinball", "forecast")
    per_series = pinball.evaluate(Y_TRUE, Y_QUANT, INDPTR, quantiles=QUANTILES).per_series
    np.testing.assert_allclose(per_series, [(0.4 / 3 + 2.0 / 3) / 2, 2.3 / 3])
    score = pinball.score(Y_TRUE, Y_QUANT, INDPTR, quantiles=QUANTILES)
    assert score == pytest.approx((0.4 + 2.3 / 3) / 2)


def test_pinball_single_quantile_accepts_1d_forecast() -> None:
    pinball = get_metric("pinball", "forecast")
    median = pinball.score(Y_TRUE, Y_QUANT[:, 1], INDPTR, quantiles=0.5)
    # q = 0.5: pinball is half the absolute error: S1 mean(0, 1) = 0.5, S2 1.0.
    assert median == pytest.approx((0.5 + 1.0) / 2)


def test_pinball_asymmetry() -> None:
    pinball = get_metric("pinball", "forecast")
    under = pinball.score([10.0], [8.0], [0, 1], quantiles=[0.9])
    over = pinball.score([10.0], [12.0], [0, 1], quantiles=[0.9])
    assert (under, over) == (pytest.approx(1.8), pytest.approx(0.2))


def test_mean_weighted_quantile_loss_matches_gluonts_definition() -> None:
    wql = get_metric("wql", "forecast")
    abs_target_sum = 35.0
    per_quantile = [2 * 1.6 / abs_target_sum, 2 * 2.0 / abs_target_sum, 2 * 1.1 / abs_target_sum]
    value = wql.score(Y_TRUE, Y_QUANT, INDPTR, quantiles=QUANTILES)
    assert value == pytest.approx(np.mean(per_quantile))
    assert wql.aggregation == "pooled"
    np.testing.assert_allclose(
        wql.evaluate(Y_TRUE, Y_QUANT, INDPTR, quantiles=QUANTILES).per_series,
        [2 * 2.4 / 3 / 30, 2 * 2.3 / 3 / 5],
    )


def test_coverage() -> None:
    coverage = get_metric("coverage", "forecast")
    bounds = Y_QUANT[:, [0, 2]]
    result = coverage.evaluate(Y_TRUE, bounds, INDPTR, quantiles=(0.1, 0.9))
    assert result.value == pytest.approx(2.0 / 3.0)
    np.testing.assert_allclose(result.per_series, [1.0, 0.0])
    assert coverage.with_aggregation("series_mean").score(
        Y_TRUE, bounds, INDPTR, quantiles=(0.1, 0.9)
    ) == pytest.approx(0.5)


def test_coverage_bounds_are_inclusive() -> None:
    coverage = get_metric("coverage", "forecast")
    bounds = np.array([[1.0, 2.0], [1.0, 2.0], [1.0, 2.0]])
    assert coverage.score([1.0, 2.0, 2.5], bounds, [0, 3], quantiles=(0.05, 0.95)) == pytest.approx(
        2 / 3
    )


def test_msis() -> None:
    # alpha = 1 - (0.9 - 0.1) = 0.2; interval scores: 4, 10 and 3 + (2 / 0.2) * (6 - 5) = 13.
    # Scales (m = 1): S1 mean(2, 1, 4) = 7 / 3, S2 2.
    msis = get_metric("msis", "forecast")
    bounds = Y_QUANT[:, [0, 2]]
    per_series = msis.evaluate(
        Y_TRUE, bounds, INDPTR, y_train=Y_TRAIN, train_indptr=TRAIN_INDPTR, quantiles=(0.1, 0.9)
    ).per_series
    np.testing.assert_allclose(per_series, [7.0 / (7.0 / 3.0), 13.0 / 2.0])


def test_msis_m4_alpha() -> None:
    # 95% interval: alpha = 0.05, a miss of 1 costs 2 / 0.05 = 40; scale |3 - 1| = 2.
    msis = get_metric("msis", "forecast")
    value = msis.score(
        [0.0, 12.0],
        [[1.0, 3.0], [8.0, 11.0]],
        [0, 2],
        y_train=[1.0, 3.0],
        train_indptr=[0, 2],
        quantiles=(0.025, 0.975),
    )
    assert value == pytest.approx(((2 + 40) + (3 + 40)) / 2 / 2)


def test_msis_needs_history() -> None:
    with pytest.raises(ConfigError, match="msis needs the training history"):
        get_metric("msis", "forecast").score(
            Y_TRUE, Y_QUANT[:, [0, 2]], INDPTR, quantiles=(0.1, 0.9)
        )


@pytest.mark.parametrize(
    ("name", "quantiles", "match"),
    [
        ("pinball", None, "pinball needs the quantile levels"),
        ("pinball", (0.0, 0.5, 0.9), r"strictly between 0 and 1; got \[0.0, 0.5, 0.9\]"),
        ("pinball", (0.1, 0.5, 1.2), "strictly between 0 and 1"),
        ("coverage", (0.1, 0.5, 0.9), "exactly two quantiles"),
        ("coverage", (0.9, 0.1), "q_lo < q_hi"),
    ],
)
def test_invalid_quantiles(name: str, quantiles: Any, match: str) -> None:
    metric = get_metric(name, "forecast")
    y_pred = Y_QUANT if name == "pinball" else Y_QUANT[:, [0, 2]]
    with pytest.raises(ConfigError, match=match):
        metric.score(Y_TRUE, y_pred, INDPTR, quantiles=quantiles)


def test_quantile_columns_must_match_levels() -> None:
    with pytest.raises(DataValidationError, match=r"y_pred has shape \(4, 3\) but \(4, 2\)"):
        get_metric("pinball", "forecast").score(Y_TRUE, Y_QUANT, INDPTR, quantiles=(0.1, 0.9))


def test_crossed_interval_is_rejected() -> None:
    bounds = Y_QUANT[:, [2, 0]]
    with pytest.raises(DataValidationError, match=r"3 intervals have lo > hi \(rows \[0, 1, 3\]\)"):
        get_metric("coverage", "forecast").score(Y_TRUE, bounds, INDPTR, quantiles=(0.1, 0.9))
