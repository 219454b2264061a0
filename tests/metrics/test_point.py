"""Forecasting point metrics, aggregation, input checks and the registry."""

from __future__ import annotations

import math
import pickle
from typing import Any

import numpy as np
import pytest

from tsautoml.exceptions import ConfigError, DataValidationError
from tsautoml.metrics import (
    CLASSIFICATION_METRIC_NAMES,
    CLASSIFICATION_METRICS,
    FORECAST_METRIC_NAMES,
    FORECAST_METRICS,
    REGRESSION_METRIC_NAMES,
    REGRESSION_METRICS,
    ForecastMetric,
    as_loss,
    get_metric,
    owa,
)

# Three series of lengths 3, 2 and 1; the last actual of series A is missing (NaN), so its
# forecast (7.0) must be ignored. Absolute errors: A [1, 2], B [2, 0], C [4].
Y_TRUE = np.array([2.0, 4.0, np.nan, 10.0, 20.0, 5.0])
Y_PRED = np.array([3.0, 2.0, 7.0, 12.0, 20.0, 1.0])
INDPTR = np.array([0, 3, 5, 6])
# Training histories of lengths 4, 5 and 3.
Y_TRAIN = np.array([1.0, 2.0, 4.0, 7.0, 10.0, 14.0, 12.0, 20.0, 16.0, 5.0, 5.0, 8.0])
TRAIN_INDPTR = np.array([0, 4, 9, 12])
HISTORY: dict[str, Any] = {"y_train": Y_TRAIN, "train_indptr": TRAIN_INDPTR}


def per_series(name: str, **kwargs: Any) -> np.ndarray:
    return get_metric(name, "forecast").evaluate(Y_TRUE, Y_PRED, INDPTR, **kwargs).per_series


def score(name: str, **kwargs: Any) -> float:
    return get_metric(name, "forecast").score(Y_TRUE, Y_PRED, INDPTR, **kwargs)


def test_mae_per_series_and_series_mean() -> None:
    np.testing.assert_allclose(per_series("mae"), [1.5, 1.0, 4.0])
    assert score("mae") == pytest.approx(6.5 / 3)


def test_rmse() -> None:
    expected = [math.sqrt(2.5), math.sqrt(2.0), 4.0]
    np.testing.assert_allclose(per_series("rmse"), expected)
    assert score("rmse") == pytest.approx(sum(expected) / 3)


def test_smape_m4_definition() -> None:
    expected = [(40.0 + 200 * 2 / 6) / 2, (200 * 2 / 22 + 0.0) / 2, 200 * 4 / 6]
    np.testing.assert_allclose(per_series("smape"), expected)
    assert score("smape") == pytest.approx(sum(expected) / 3)


def test_smape_counts_zero_over_zero_as_zero() -> None:
    smape = get_metric("smape", "forecast")
    assert smape.score([0.0, 0.0, 4.0], [0.0, 0.0, 4.0], [0, 3]) == 0.0
    assert smape.score([0.0, 2.0], [0.0, 0.0], [0, 2]) == pytest.approx(100.0)


def test_mape_in_percent() -> None:
    np.testing.assert_allclose(per_series("mape"), [50.0, 10.0, 80.0])
    assert score("mape") == pytest.approx(140.0 / 3)


def test_mape_series_with_zero_actual_is_nan_and_excluded() -> None:
    mape = get_metric("mape", "forecast")
    result = mape.evaluate([0.0, 2.0, 4.0, 5.0], [1.0, 2.0, 5.0, 5.0], [0, 2, 4])
    assert np.isnan(result.per_series[0])
    assert result.per_series[1] == pytest.approx(12.5)
    assert result.value == pytest.approx(12.5)
    assert result.n_excluded == 1


def test_mase_non_seasonal() -> None:
    # Scales (mean |y_t - y_{t-1}|): A 2, B 4.5, C 1.5.
    expected = [1.5 / 2, 1.0 / 4.5, 4.0 / 1.5]
    np.testing.assert_allclose(per_series("mase", **HISTORY), expected)
    assert score("mase", **HISTORY) == pytest.approx(sum(expected) / 3)


def test_mase_seasonal() -> None:
    # m = 2: scales A mean(3, 5) = 4, B mean(2, 6, 4) = 4, C |8 - 5| = 3.
    expected = [1.5 / 4, 1.0 / 4, 4.0 / 3]
    np.testing.assert_allclose(per_series("mase", season_length=2, **HISTORY), expected)


def test_mase_falls_back_to_lag_one_for_short_history() -> None:
    # m = 4: A (4 values) and C (3 values) are shorter than m + 1 and use lag 1;
    # B (5 values) uses |16 - 10| = 6.
    expected = [1.5 / 2, 1.0 / 6, 4.0 / 1.5]
    np.testing.assert_allclose(per_series("mase", season_length=4, **HISTORY), expected)


def test_mase_zero_scale_series_is_nan_and_excluded() -> None:
    mase = get_metric("mase", "forecast")
    result = mase.evaluate(
        [1.0, 4.0], [2.0, 2.0], [0, 1, 2], y_train=[3.0, 3.0, 3.0, 1.0, 3.0], train_indptr=[0, 3, 5]
    )
    assert np.isnan(result.per_series[0])
    assert result.per_series[1] == pytest.approx(1.0)
    assert (result.value, result.n_excluded) == (pytest.approx(1.0), 1)
    assert math.isfinite(result.value)


def test_all_series_undefined_gives_nan_not_inf() -> None:
    mase = get_metric("mase", "forecast")
    result = mase.evaluate([1.0], [2.0], [0, 1], y_train=[3.0, 3.0], train_indptr=[0, 2])
    assert np.isnan(result.value)
    assert result.n_excluded == 1


def test_nan_in_history_is_skipped() -> None:
    mase = get_metric("mase", "forecast")
    value = mase.score([4.0], [2.0], [0, 1], y_train=[1.0, np.nan, 2.0, 4.0], train_indptr=[0, 4])
    assert value == pytest.approx(2.0 / 2.0)


def test_nrmse_and_nmae_use_training_range_when_given() -> None:
    # Training ranges: A 6, B 10, C 3 (Azure's per-series y_min / y_max of training).
    np.testing.assert_allclose(
        per_series("nrmse", **HISTORY), [math.sqrt(2.5) / 6, math.sqrt(2.0) / 10, 4.0 / 3]
    )
    np.testing.assert_allclose(per_series("nmae", **HISTORY), [1.5 / 6, 1.0 / 10, 4.0 / 3])


def test_nrmse_without_history_uses_actuals_range_and_excludes_constant() -> None:
    # Ranges of the actuals: A 2, B 10, C 0 -> C is undefined and excluded.
    result = get_metric("nrmse", "forecast").evaluate(Y_TRUE, Y_PRED, INDPTR)
    np.testing.assert_allclose(result.per_series[:2], [math.sqrt(2.5) / 2, math.sqrt(2.0) / 10])
    assert np.isnan(result.per_series[2])
    assert result.value == pytest.approx((math.sqrt(2.5) / 2 + math.sqrt(2.0) / 10) / 2)
    assert result.n_excluded == 1
    assert get_metric("nmae", "forecast").score(Y_TRUE, Y_PRED, INDPTR) == pytest.approx(
        (1.5 / 2 + 1.0 / 10) / 2
    )


def test_wape_pooled_differs_from_series_mean() -> None:
    wape = get_metric("wape", "forecast")
    assert wape.aggregation == "pooled"
    assert wape.score(Y_TRUE, Y_PRED, INDPTR) == pytest.approx(9.0 / 41.0)
    np.testing.assert_allclose(wape.evaluate(Y_TRUE, Y_PRED, INDPTR).per_series, [0.5, 2.0 / 30, 0.8])
    mean_of_series = wape.with_aggregation("series_mean").score(Y_TRUE, Y_PRED, INDPTR)
    assert mean_of_series == pytest.approx((0.5 + 2.0 / 30 + 0.8) / 3)
    assert mean_of_series != pytest.approx(9.0 / 41.0)


def test_mae_pooled_weights_rows_not_series() -> None:
    mae = get_metric("mae", "forecast")
    assert mae.with_aggregation("pooled").score(Y_TRUE, Y_PRED, INDPTR) == pytest.approx(9.0 / 5)
    assert mae.score(Y_TRUE, Y_PRED, INDPTR) == pytest.approx(6.5 / 3)


def test_pooled_rmse_is_root_of_overall_mean_square() -> None:
    rmse = get_metric("rmse", "forecast").with_aggregation("pooled")
    assert rmse.score(Y_TRUE, Y_PRED, INDPTR) == pytest.approx(math.sqrt((1 + 4 + 4 + 0 + 16) / 5))


def test_forecast_at_missing_actual_is_ignored() -> None:
    changed = Y_PRED.copy()
    changed[2] = 1e6
    for name in ("mae", "rmse", "smape", "mape", "wape"):
        metric = get_metric(name, "forecast")
        assert metric.score(Y_TRUE, changed, INDPTR) == metric.score(Y_TRUE, Y_PRED, INDPTR)


def test_empty_and_all_missing_series_are_excluded() -> None:
    result = get_metric("mae", "forecast").evaluate(
        [np.nan, np.nan, 3.0], [1.0, 1.0, 1.0], [0, 0, 2, 3]
    )
    assert np.isnan(result.per_series[:2]).all()
    assert (result.value, result.n_excluded) == (2.0, 2)


def _reference_per_series(
    y: np.ndarray,
    yhat: np.ndarray,
    indptr: np.ndarray,
    y_train: np.ndarray,
    train_indptr: np.ndarray,
    m: int,
) -> dict[str, np.ndarray]:
    """Loop over series: the obvious implementation, to check the vectorised kernels."""
    out: dict[str, list[float]] = {"mae": [], "smape": [], "mase": []}
    for i in range(len(indptr) - 1):
        yt, yp = y[indptr[i] : indptr[i + 1]], yhat[indptr[i] : indptr[i + 1]]
        ok = ~np.isnan(yt)
        yt, yp = yt[ok], yp[ok]
        hist = y_train[train_indptr[i] : train_indptr[i + 1]]
        lag = m if len(hist) > m else 1
        scale = np.mean(np.abs(hist[lag:] - hist[:-lag]))
        out["mae"].append(np.mean(np.abs(yt - yp)))
        out["smape"].append(np.mean(200 * np.abs(yt - yp) / (np.abs(yt) + np.abs(yp))))
        out["mase"].append(np.mean(np.abs(yt - yp)) / scale)
    return {k: np.array(v) for k, v in out.items()}


def test_vectorised_kernels_match_a_loop_over_series() -> None:
    rng = np.random.default_rng(0)
    lengths, train_lengths = rng.integers(1, 9, 40), rng.integers(2, 30, 40)
    indptr = np.r_[0, np.cumsum(lengths)]
    train_indptr = np.r_[0, np.cumsum(train_lengths)]
    y = rng.gamma(2.0, 10.0, indptr[-1])
    y[rng.random(y.size) < 0.1] = np.nan
    y[indptr[:-1]] = rng.gamma(2.0, 10.0, 40)  # every series keeps one observed actual
    yhat = rng.gamma(2.0, 10.0, indptr[-1])
    y_train = rng.gamma(2.0, 10.0, train_indptr[-1])
    expected = _reference_per_series(y, yhat, indptr, y_train, train_indptr, 7)
    for name, values in expected.items():
        got = get_metric(name, "forecast").evaluate(
            y, yhat, indptr, y_train=y_train, train_indptr=train_indptr, season_length=7
        ).per_series
        np.testing.assert_allclose(got, values, rtol=1e-12, err_msg=name)


def test_owa() -> None:
    assert owa(10.0, 2.0, 10.0, 2.0) == 1.0
    assert owa(9.0, 2.0, 12.0, 2.5) == pytest.approx(0.5 * (0.75 + 0.8))
    with pytest.raises(DataValidationError, match="mase_naive2 is 0.0"):
        owa(1.0, 1.0, 1.0, 0.0)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"y_pred": Y_PRED[:-1]}, DataValidationError, r"y_pred has shape \(5,\)"),
        ({"indptr": np.array([1, 3, 5, 6])}, DataValidationError, r"indptr = \[1, 3, 5, 6\]"),
        ({"indptr": np.array([0, 4, 3, 6])}, DataValidationError, "never decrease"),
        ({"indptr": np.array([0, 3, 5])}, DataValidationError, "end at 6"),
        ({"indptr": np.array([0.0, 3.0, 6.0])}, DataValidationError, "dtype float64"),
        ({"y_true": np.r_[Y_TRUE[:-1], np.inf]}, DataValidationError, "y_true has 1 infinite"),
        ({"y_pred": np.r_[np.nan, Y_PRED[1:]]}, DataValidationError, "first in row 0"),
        (
            {"y_true": Y_TRUE[:, None]},
            DataValidationError,
            r"y_true must be 1-D; got shape \(6, 1\)",
        ),
    ],
)
def test_invalid_forecast_inputs(kwargs: dict, error: type, match: str) -> None:
    args = {"y_true": Y_TRUE, "y_pred": Y_PRED, "indptr": INDPTR, **kwargs}
    with pytest.raises(error, match=match):
        get_metric("mae", "forecast").score(args["y_true"], args["y_pred"], args["indptr"])


def test_mase_without_history_names_the_arguments() -> None:
    with pytest.raises(ConfigError, match="mase needs the training history.*y_train"):
        score("mase")


def test_history_must_describe_the_same_series() -> None:
    with pytest.raises(DataValidationError, match="train_indptr describes 2 series but indptr"):
        score("mase", y_train=Y_TRAIN, train_indptr=[0, 4, 12])
    with pytest.raises(ConfigError, match="train_indptr is missing"):
        score("mase", y_train=Y_TRAIN)


@pytest.mark.parametrize("season_length", [0, -1, 2.5, True])
def test_invalid_season_length(season_length: object) -> None:
    with pytest.raises(ConfigError, match="season_length"):
        score("mase", season_length=season_length, **HISTORY)


def test_invalid_metric_definition() -> None:
    mae = get_metric("mae", "forecast")
    with pytest.raises(ConfigError, match="aggregation must be one of"):
        ForecastMetric("x", False, frozenset({"point"}), "median", mae.kernel)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="unknown entries"):
        ForecastMetric("x", False, frozenset({"pointy"}), "pooled", mae.kernel)  # type: ignore[arg-type]


def test_registries_match_their_name_literals() -> None:
    assert tuple(FORECAST_METRICS) == FORECAST_METRIC_NAMES
    assert tuple(CLASSIFICATION_METRICS) == CLASSIFICATION_METRIC_NAMES
    assert tuple(REGRESSION_METRICS) == REGRESSION_METRIC_NAMES
    assert all(m.name == n for n, m in FORECAST_METRICS.items())
    with pytest.raises(TypeError):
        FORECAST_METRICS["mine"] = FORECAST_METRICS["mae"]  # type: ignore[index]


def test_get_metric_aliases_and_case() -> None:
    assert get_metric("MASE").name == "mase"
    assert get_metric("sMAPE", "forecast").name == "smape"
    assert get_metric("normalized_root_mean_squared_error", "forecast").name == "nrmse"
    assert get_metric("normalized_mean_absolute_error", "forecast").name == "nmae"
    assert get_metric("auc_weighted", "classification").name == "AUC_weighted"
    assert get_metric("nrmse", "regression").name == "normalized_root_mean_squared_error"


def test_get_metric_unknown_name_lists_valid_names() -> None:
    with pytest.raises(ConfigError, match=r"Unknown forecast metric 'masse'.*'mase'.*'smape'") as e:
        get_metric("masse", "forecast")
    assert "Did you mean 'mase'?" in str(e.value)
    with pytest.raises(ConfigError, match=r"Unknown classification metric 'mase'.*'accuracy'"):
        get_metric("mase", "classification")
    with pytest.raises(ConfigError, match="task must be one of"):
        get_metric("mase", "timeseries")  # type: ignore[call-overload]


def test_as_loss_signs() -> None:
    assert as_loss(get_metric("mase"), 1.2) == 1.2
    assert as_loss(get_metric("coverage"), 0.9) == -0.9
    assert as_loss(get_metric("accuracy", "classification"), 0.7) == -0.7
    assert as_loss(get_metric("log_loss", "classification"), 0.3) == 0.3
    assert as_loss(get_metric("smape"), float("nan")) == math.inf


def test_metrics_pickle_and_compare_by_definition() -> None:
    mase = get_metric("mase")
    clone = pickle.loads(pickle.dumps(mase))
    assert clone == mase
    assert clone.score(Y_TRUE, Y_PRED, INDPTR, **HISTORY) == mase.score(
        Y_TRUE, Y_PRED, INDPTR, **HISTORY
    )


def test_metric_metadata() -> None:
    mase = get_metric("mase")
    assert mase.needs == {"point", "history"}
    assert not mase.greater_is_better
    assert mase.aggregation == "series_mean"
    assert {m.aggregation for m in CLASSIFICATION_METRICS.values()} == {"pooled"}
