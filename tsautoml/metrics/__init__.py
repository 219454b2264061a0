"""Metrics for forecasting, classification and regression, and their registry.

Forecasting metrics read flat arrays laid out by ``indptr`` (series ``i`` occupies
``[indptr[i], indptr[i + 1])``) and are looked up with :func:`get_metric`::

    mase = get_metric("mase", "forecast")
    mase.score(y_true, y_pred, indptr, y_train=y_train, train_indptr=train_indptr,
               season_length=24)

Forecasting metrics (``e = y - y_hat``; NaN actuals are skipped; "per series" values are
averaged over series unless the aggregation is pooled):

======== =========== ===================================================================
name     aggregation definition
======== =========== ===================================================================
mase     series_mean mean|e| / mean|y_t - y_{t-m}| of the series' training data (m falls
                     back to 1 when the history has fewer than m + 1 values)
smape    series_mean mean 200 |e| / (|y| + |y_hat|), 0/0 counted as 0 (M4)
mape     series_mean mean 100 |e| / |y|
mae      series_mean mean|e|
rmse     series_mean sqrt(mean e^2)
nrmse    series_mean rmse / (max - min) of the series (see below)
nmae     series_mean mae / (max - min) of the series (see below)
wape     pooled      sum|e| / sum|y| over all rows
pinball  series_mean mean over rows and quantiles of max(q e, (q - 1) e)
wql      pooled      mean over q of 2 sum(pinball_q) / sum|y| (GluonTS mean_wQuantileLoss)
coverage pooled      share of actuals in [lo, hi]; compare with q_hi - q_lo
msis     series_mean mean interval score / the MASE scale, alpha = 1 - (q_hi - q_lo) (M4)
======== =========== ===================================================================

Undefined series (zero MASE/MSIS scale, a zero actual under MAPE, a zero range, no observed
actual) are NaN in ``per_series``, left out of the aggregate and counted in
``ForecastScore.n_excluded``; the aggregate is NaN only if every series is left out.

Normalization range. Azure AutoML divides ``normalized_root_mean_squared_error`` and
``normalized_mean_absolute_error`` by ``y_max - y_min``. For forecasting, ``azureml``'s
``AzureMLForecastingMetrics`` computes them series by series, taking ``y_min`` / ``y_max`` per
time series id from the training targets when training data are given and otherwise from the
series' actuals, and averages over series. ``nrmse`` / ``nmae`` do the same: the range of the
series' ``y_train`` when the history is passed, else the range of its actuals in ``y_true``.
For regression, azureml uses the range of the target over the full dataset; the regression
metrics here use the range of the ``y_true`` they are given.
"""

from tsautoml.metrics.base import (
    AGGREGATIONS,
    CLASSIFICATION_METRIC_NAMES,
    CLASSIFICATION_METRICS,
    FORECAST_METRIC_NAMES,
    FORECAST_METRICS,
    NEEDS,
    REGRESSION_METRIC_NAMES,
    REGRESSION_METRICS,
    TASKS,
    Aggregation,
    ClassificationMetricName,
    ForecastMetric,
    ForecastMetricName,
    ForecastScore,
    Metric,
    Need,
    RegressionMetricName,
    TabularMetric,
    Task,
    as_loss,
    get_metric,
    reachable,
)
from tsautoml.metrics.point import owa

__all__ = [
    "AGGREGATIONS",
    "CLASSIFICATION_METRICS",
    "CLASSIFICATION_METRIC_NAMES",
    "FORECAST_METRICS",
    "FORECAST_METRIC_NAMES",
    "NEEDS",
    "REGRESSION_METRICS",
    "REGRESSION_METRIC_NAMES",
    "TASKS",
    "Aggregation",
    "ClassificationMetricName",
    "ForecastMetric",
    "ForecastMetricName",
    "ForecastScore",
    "Metric",
    "Need",
    "RegressionMetricName",
    "TabularMetric",
    "Task",
    "as_loss",
    "reachable",
    "get_metric",
    "owa",
]
