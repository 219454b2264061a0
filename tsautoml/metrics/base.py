"""Metric objects, the checks on their inputs, and the registry of named metrics.

:class:`ForecastMetric` scores flat forecasts laid out by ``indptr`` (series ``i`` occupies
``[indptr[i], indptr[i + 1])``), :class:`TabularMetric` scores classification and regression
predictions. Both are frozen and stateless; the kernels live in :mod:`~tsautoml.metrics.point`,
:mod:`~tsautoml.metrics.probabilistic` and :mod:`~tsautoml.metrics.tabular`.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Literal, TypeAlias, get_args, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tsautoml.exceptions import ConfigError
from tsautoml.metrics import point, probabilistic, tabular
from tsautoml.metrics.point import _ForecastData, _Parts

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
]

Task = Literal["forecast", "classification", "regression"]
TASKS: tuple[Task, ...] = get_args(Task)
Aggregation = Literal["series_mean", "pooled"]
AGGREGATIONS: tuple[Aggregation, ...] = get_args(Aggregation)
#: What a metric reads: forecasts (``point``, ``quantiles``, ``interval``), the training
#: ``history``, or tabular predictions (``labels``, ``probabilities``, ``values``).
Need = Literal["point", "quantiles", "interval", "history", "labels", "probabilities", "values"]
NEEDS: tuple[Need, ...] = get_args(Need)
ForecastMetricName = Literal[
    "mase",
    "smape",
    "mape",
    "mae",
    "rmse",
    "nrmse",
    "nmae",
    "wape",
    "pinball",
    "wql",
    "coverage",
    "msis",
]
FORECAST_METRIC_NAMES: tuple[ForecastMetricName, ...] = get_args(ForecastMetricName)
ClassificationMetricName = Literal[
    "accuracy",
    "AUC_weighted",
    "average_precision_score_weighted",
    "norm_macro_recall",
    "precision_score_weighted",
    "f1_score_weighted",
    "log_loss",
]
CLASSIFICATION_METRIC_NAMES: tuple[ClassificationMetricName, ...] = get_args(
    ClassificationMetricName
)
RegressionMetricName = Literal[
    "spearman_correlation",
    "normalized_root_mean_squared_error",
    "r2_score",
    "normalized_mean_absolute_error",
]
REGRESSION_METRIC_NAMES: tuple[RegressionMetricName, ...] = get_args(RegressionMetricName)

FloatArray = NDArray[np.float64]
_ForecastKernel = Callable[[_ForecastData], _Parts]
_TabularKernel = Callable[[np.ndarray, np.ndarray, "np.ndarray | None"], float]
_PointwiseLoss = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
#: The per-series scale of a metric's pointwise loss.
Scale = Literal["seasonal", "range", "one"]


@dataclass(frozen=True, slots=True)
class ForecastScore:
    """Result of :meth:`ForecastMetric.evaluate`.

    Parameters
    ----------
    value
        The aggregate. NaN when every series is excluded.
    per_series
        One value per series; NaN where the metric is undefined for that series.
    n_excluded
        Number of series left out of the aggregate (undefined, or without observed actuals).

    Examples
    --------
    >>> import numpy as np
    >>> ForecastScore(1.5, np.array([1.0, 2.0, np.nan]), 1).n_excluded
    1
    """

    value: float
    per_series: FloatArray
    n_excluded: int


def _aggregate(parts: _Parts, aggregation: Aggregation) -> ForecastScore:
    per_series = parts.num / parts.den
    per_series[~np.isfinite(per_series) | (parts.n_obs == 0)] = np.nan
    if parts.root:
        per_series = np.sqrt(per_series)
    if aggregation == "series_mean":
        used = np.isfinite(per_series)
        value = float(per_series[used].mean()) if used.any() else math.nan
    else:
        used = np.isfinite(parts.num) & np.isfinite(parts.den) & (parts.n_obs > 0)
        value = float(parts.num[used].sum() / parts.den[used].sum())
        value = math.sqrt(value) if parts.root and value >= 0 else value
        value = value if math.isfinite(value) else math.nan
    return ForecastScore(value, per_series, int((~used).sum()))


@dataclass(frozen=True, slots=True)
class ForecastMetric:
    """A forecasting metric: one value per series, then one aggregate.

    Parameters
    ----------
    name
        Registry name, e.g. ``"mase"``.
    greater_is_better
        Whether larger values are better (see :func:`as_loss`).
    needs
        What the metric reads: ``"point"`` (1-D ``y_pred``), ``"quantiles"`` (``(n, k)``
        ``y_pred`` with ``quantiles``), ``"interval"`` (``(n, 2)`` bounds with
        ``quantiles=(q_lo, q_hi)``) and ``"history"`` (``y_train``, ``train_indptr``).
    aggregation
        ``"series_mean"``: mean of the per-series values over the series where they are
        defined. ``"pooled"``: ``sum(num) / sum(den)`` over all rows, e.g. WAPE's
        ``sum|e| / sum|y|``.
    kernel
        Private function from validated inputs to per-series sums.
    pointwise
        ``loss(y, f, scale)`` per point, whose sums per series order forecasts as the metric
        does (None for the quantile and interval metrics); see :meth:`pointwise_loss`.
    scale
        Each series' scale of the pointwise loss: ``"seasonal"`` (MASE's in-sample naive
        error), ``"range"`` (nrmse/nmae's ``max - min`` of the history) or ``"one"``.

    Notes
    -----
    NaN actuals are missing observations and are skipped. A series whose value is
    undefined (zero MASE/MSIS scale, a zero actual under MAPE, a zero range under
    nrmse/nmae, no observed actual) gets NaN in ``evaluate(...).per_series`` and is left out of the
    aggregate; :meth:`evaluate` reports how many were left out. The aggregate is NaN only when
    every series is left out, so an undefined series never turns it into ``inf``.

    ``nrmse`` and ``nmae`` (Azure's ``normalized_root_mean_squared_error`` and
    ``normalized_mean_absolute_error``) divide each series' error by ``max - min`` of that
    series' ``y_train`` when the history is passed, else of its actuals, like azureml's
    forecasting metrics; see :mod:`tsautoml.metrics`.

    Examples
    --------
    >>> import numpy as np
    >>> mae = get_metric("mae", "forecast")
    >>> y_true = np.array([1.0, 2.0, 3.0, 10.0, 10.0])
    >>> y_pred = np.array([1.0, 2.0, 6.0, 11.0, 9.0])
    >>> indptr = np.array([0, 3, 5])
    >>> mae.evaluate(y_true, y_pred, indptr).per_series
    array([1., 1.])
    >>> mae.score(y_true, y_pred, indptr)
    1.0
    >>> mase = get_metric("mase", "forecast")
    >>> y_train, train_indptr = np.array([1.0, 3.0, 10.0, 12.0, 10.0]), np.array([0, 2, 5])
    >>> mase.score(y_true, y_pred, indptr, y_train=y_train, train_indptr=train_indptr)
    0.5
    """

    name: str
    greater_is_better: bool
    needs: frozenset[Need]
    aggregation: Aggregation
    kernel: _ForecastKernel = field(repr=False, compare=False)
    pointwise: _PointwiseLoss | None = field(default=None, repr=False, compare=False)
    scale: Scale = "one"
    best: float = 0.0  # the score of a perfect forecast

    def __post_init__(self) -> None:
        if self.aggregation not in AGGREGATIONS:
            raise ConfigError(
                f"aggregation must be one of {AGGREGATIONS}; got {self.aggregation!r}."
            )
        unknown = sorted(set(self.needs) - set(NEEDS))
        if unknown:
            raise ConfigError(f"needs has unknown entries {unknown}; valid ones are {NEEDS}.")

    def evaluate(
        self,
        y_true: ArrayLike,
        y_pred: ArrayLike,
        indptr: ArrayLike,
        *,
        y_train: ArrayLike | None = None,
        train_indptr: ArrayLike | None = None,
        season_length: int = 1,
        quantiles: ArrayLike | None = None,
    ) -> ForecastScore:
        """Score the forecasts and report the per-series values and excluded series.

        Parameters
        ----------
        y_true
            Actuals of all series, flat, NaN for missing observations.
        y_pred
            Forecasts aligned with ``y_true``: 1-D for point metrics, ``(n, k)`` for quantile
            metrics, ``(n, 2)`` lower/upper bounds for interval metrics.
        indptr
            Series ``i`` occupies ``[indptr[i], indptr[i + 1])`` of ``y_true`` and ``y_pred``.
        y_train, train_indptr
            Training history of the same series in the same order (MASE, MSIS; optional
            range for nrmse/nmae).
        season_length
            Seasonal period ``m`` of the MASE/MSIS scale.
        quantiles
            Quantile level of each column of ``y_pred`` (quantile and interval metrics).

        Returns
        -------
        ForecastScore
            Aggregate, per-series values and the number of excluded series.
        """
        data = point._forecast_data(
            self.name,
            self.needs,
            y_true,
            y_pred,
            indptr,
            y_train,
            train_indptr,
            season_length,
            quantiles,
        )
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return _aggregate(self.kernel(data), self.aggregation)

    def score(
        self,
        y_true: ArrayLike,
        y_pred: ArrayLike,
        indptr: ArrayLike,
        *,
        y_train: ArrayLike | None = None,
        train_indptr: ArrayLike | None = None,
        season_length: int = 1,
        quantiles: ArrayLike | None = None,
    ) -> float:
        """Aggregate score; the parameters are those of :meth:`evaluate`."""
        return self.evaluate(
            y_true,
            y_pred,
            indptr,
            y_train=y_train,
            train_indptr=train_indptr,
            season_length=season_length,
            quantiles=quantiles,
        ).value

    def series_scale(self, y_train: np.ndarray, train_indptr: np.ndarray, season_length: int = 1) -> FloatArray:
        """Each series' scale of :meth:`pointwise_loss`, from its history (NaN or 0: undefined).

        Examples
        --------
        >>> import numpy as np
        >>> get_metric("mase", "forecast").series_scale(np.array([1.0, 3.0, 2.0]), np.array([0, 3])).tolist()
        [1.5]
        """
        n = train_indptr.size - 1
        if self.scale == "seasonal":
            return point.seasonal_scale(y_train, train_indptr, season_length)
        if self.scale == "range":
            return point.series_range(y_train, train_indptr)
        return np.ones(n)

    def pointwise_loss(self, y: np.ndarray, f: np.ndarray, scale: np.ndarray) -> FloatArray:
        """Per-point loss whose sum over a series orders its forecasts as this metric does.

        ``scale`` is each point's series scale (:meth:`series_scale`). A missing actual, or a
        point where the metric is undefined (a zero scale, a zero actual under MAPE), costs 0;
        a missing forecast costs ``inf``.

        Examples
        --------
        >>> import numpy as np
        >>> smape = get_metric("smape", "forecast")
        >>> smape.pointwise_loss(np.array([1.0, np.nan, 1.0]), np.array([3.0, 1.0, np.nan]), np.ones(3)).tolist()
        [100.0, 0.0, inf]
        """
        if self.pointwise is None:
            raise ConfigError(f"{self.name} has no pointwise loss; choose a point-forecast metric.")
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            loss = self.pointwise(y, f, scale)
        loss = np.where(np.isfinite(loss) & ~np.isnan(y), loss, 0.0)
        return np.where(np.isnan(f) & ~np.isnan(y), np.inf, loss)

    def with_aggregation(self, aggregation: Aggregation) -> ForecastMetric:
        """Return a copy that aggregates with ``aggregation``.

        Examples
        --------
        >>> get_metric("wape", "forecast").with_aggregation("series_mean").aggregation
        'series_mean'
        """
        return replace(self, aggregation=aggregation)


@dataclass(frozen=True, slots=True)
class TabularMetric:
    """A classification or regression metric computed over all rows.

    Parameters
    ----------
    name
        Azure AutoML name, e.g. ``"AUC_weighted"``.
    greater_is_better
        Whether larger values are better (see :func:`as_loss`).
    needs
        ``"labels"`` (predicted labels, or probabilities turned into labels by argmax),
        ``"probabilities"`` (an ``(n, n_classes)`` matrix, or for binary tasks the 1-D
        probability of ``labels[1]``) or ``"values"`` (regression).
    task
        ``"classification"`` or ``"regression"``.
    kernel
        Private function ``(y_true, y_pred_or_proba, labels) -> float``.
    aggregation
        Always ``"pooled"``.

    Examples
    --------
    >>> import numpy as np
    >>> auc = get_metric("AUC_weighted", "classification")
    >>> y = np.array(["a", "b", "b", "a"])
    >>> auc.score(y, np.array([0.2, 0.9, 0.6, 0.7]), labels=["a", "b"])
    0.75
    >>> get_metric("accuracy", "classification").score(y, np.array(["a", "b", "a", "a"]))
    0.75
    """

    name: str
    greater_is_better: bool
    needs: frozenset[Need]
    task: Literal["classification", "regression"]
    kernel: _TabularKernel = field(repr=False, compare=False)
    aggregation: Aggregation = "pooled"
    best: float = 1.0  # the score of perfect predictions

    def score(
        self, y_true: ArrayLike, y_pred_or_proba: ArrayLike, *, labels: ArrayLike | None = None
    ) -> float:
        """Score predictions.

        Parameters
        ----------
        y_true
            True labels or values, 1-D.
        y_pred_or_proba
            Predicted labels, class probabilities (columns in ``labels`` order) or values.
        labels
            Class labels in the column order of the probabilities. Default: the sorted unique
            values of ``y_true`` (plus predicted labels for label metrics). Pass them when a
            fold may miss a class: ``norm_macro_recall`` uses ``1 / len(labels)`` as chance.

        Returns
        -------
        float
            The score; NaN where the metric is undefined (constant inputs).
        """
        if labels is not None and self.task == "regression":
            raise ConfigError(f"{self.name} is a regression metric; do not pass labels.")
        truth, pred = tabular._inputs(self.name, self.needs, y_true, y_pred_or_proba)
        label_arr = None if labels is None else np.asarray(labels)
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(self.kernel(truth, pred, label_arr))


Metric: TypeAlias = ForecastMetric | TabularMetric


def as_loss(metric: Metric, value: float) -> float:
    """Turn a score of ``metric`` into a loss to minimise, for a search loop.

    Scores where greater is better are negated. NaN (undefined) becomes ``+inf`` so that an
    undefined trial ranks last.

    Parameters
    ----------
    metric
        The metric that produced ``value``.
    value
        The score.

    Returns
    -------
    float
        ``value`` or ``-value``; ``inf`` for NaN.

    Examples
    --------
    >>> as_loss(get_metric("r2_score", "regression"), 0.8)
    -0.8
    >>> as_loss(get_metric("mase", "forecast"), float("nan"))
    inf
    """
    if math.isnan(value):
        return math.inf
    return -value if metric.greater_is_better else value


def _fm(
    name: str,
    needs: set[Need],
    aggregation: Aggregation,
    kernel: _ForecastKernel,
    greater_is_better: bool = False,
    pointwise: _PointwiseLoss | None = None,
    scale: Scale = "one",
    best: float = 0.0,
) -> ForecastMetric:
    return ForecastMetric(name, greater_is_better, frozenset(needs), aggregation, kernel, pointwise, scale, best)


def _tm(name: str, greater_is_better: bool, need: Need, kernel: _TabularKernel) -> TabularMetric:
    task: Literal["classification", "regression"] = (
        "regression" if need == "values" else "classification"
    )
    best = 1.0 if greater_is_better else 0.0
    return TabularMetric(name, greater_is_better, frozenset({need}), task, kernel, best=best)


def reachable(metric: ForecastMetric | TabularMetric, score: float) -> bool:
    """Whether ``score`` is at or short of the metric's perfect score (an ``exit_score`` a search can meet)."""
    return score <= metric.best if metric.greater_is_better else score >= metric.best


_FORECAST = (
    _fm("mase", {"point", "history"}, "series_mean", point._mase_parts, False, point.absolute_loss, "seasonal"),
    _fm("smape", {"point"}, "series_mean", point._smape_parts, False, point.smape_loss),
    _fm("mape", {"point"}, "series_mean", point._mape_parts, False, point.ape_loss),
    _fm("mae", {"point"}, "series_mean", point._mae_parts, False, point.absolute_loss),
    _fm("rmse", {"point"}, "series_mean", point._rmse_parts, False, point.squared_loss),
    _fm("nrmse", {"point"}, "series_mean", point._nrmse_parts, False, point.squared_loss, "range"),
    _fm("nmae", {"point"}, "series_mean", point._nmae_parts, False, point.absolute_loss, "range"),
    _fm("wape", {"point"}, "pooled", point._wape_parts, False, point.absolute_loss),
    _fm("pinball", {"quantiles"}, "series_mean", probabilistic._pinball_parts),
    _fm("wql", {"quantiles"}, "pooled", probabilistic._wql_parts),
    _fm("coverage", {"interval"}, "pooled", probabilistic._coverage_parts, True, best=1.0),
    _fm("msis", {"interval", "history"}, "series_mean", probabilistic._msis_parts),
)
_CLASSIFICATION = (
    _tm("accuracy", True, "labels", tabular._accuracy),
    _tm("AUC_weighted", True, "probabilities", tabular._auc_weighted),
    _tm(
        "average_precision_score_weighted",
        True,
        "probabilities",
        tabular._average_precision_weighted,
    ),
    _tm("norm_macro_recall", True, "labels", tabular._norm_macro_recall),
    _tm("precision_score_weighted", True, "labels", tabular._precision_weighted),
    _tm("f1_score_weighted", True, "labels", tabular._f1_weighted),
    _tm("log_loss", False, "probabilities", tabular._log_loss),
)
_REGRESSION = (
    _tm("spearman_correlation", True, "values", tabular._spearman),
    _tm("normalized_root_mean_squared_error", False, "values", tabular._nrmse),
    _tm("r2_score", True, "values", tabular._r2),
    _tm("normalized_mean_absolute_error", False, "values", tabular._nmae),
)

FORECAST_METRICS: Mapping[str, ForecastMetric] = MappingProxyType({m.name: m for m in _FORECAST})
CLASSIFICATION_METRICS: Mapping[str, TabularMetric] = MappingProxyType(
    {m.name: m for m in _CLASSIFICATION}
)
REGRESSION_METRICS: Mapping[str, TabularMetric] = MappingProxyType({m.name: m for m in _REGRESSION})
_ALIASES: Mapping[Task, Mapping[str, str]] = MappingProxyType(
    {
        "forecast": {
            "normalized_root_mean_squared_error": "nrmse",
            "normalized_mean_absolute_error": "nmae",
            "mean_wquantileloss": "wql",
            "quantile_loss": "pinball",
        },
        "classification": {},
        "regression": {
            "nrmse": "normalized_root_mean_squared_error",
            "nmae": "normalized_mean_absolute_error",
            "r2": "r2_score",
            "spearman": "spearman_correlation",
        },
    }
)
_REGISTRIES: Mapping[Task, Mapping[str, Metric]] = MappingProxyType(
    {
        "forecast": FORECAST_METRICS,
        "classification": CLASSIFICATION_METRICS,
        "regression": REGRESSION_METRICS,
    }
)


@overload
def get_metric(name: str, task: Literal["forecast"] = ...) -> ForecastMetric: ...
@overload
def get_metric(name: str, task: Literal["classification", "regression"]) -> TabularMetric: ...
def get_metric(name: str, task: Task = "forecast") -> Metric:
    """Look a metric up by name for a task.

    Names match case-insensitively. Forecasting names are lower case (``"mase"``,
    ``"smape"``, ``"rmse"`` ...) and the Azure names ``normalized_root_mean_squared_error``
    and ``normalized_mean_absolute_error`` are accepted for ``nrmse`` and ``nmae``.

    Parameters
    ----------
    name
        Metric name, e.g. ``"mase"`` or ``"AUC_weighted"``.
    task
        ``"forecast"``, ``"classification"`` or ``"regression"``.

    Returns
    -------
    ForecastMetric or TabularMetric
        The registered metric.

    Raises
    ------
    ConfigError
        If ``task`` or ``name`` is unknown; the message lists the valid names.

    Examples
    --------
    >>> get_metric("MASE").name
    'mase'
    >>> get_metric("normalized_root_mean_squared_error", "forecast").name
    'nrmse'
    >>> get_metric("f1_score_weighted", "classification").greater_is_better
    True
    """
    if task not in _REGISTRIES:
        raise ConfigError(f"task must be one of {list(TASKS)}; got {task!r}.")
    registry, aliases = _REGISTRIES[task], _ALIASES[task]
    by_key = {key.lower(): value for key, value in {**aliases, **{n: n for n in registry}}.items()}
    key = str(name).lower()
    if key in by_key:
        return registry[by_key[key]]
    close = difflib.get_close_matches(key, list(by_key), n=1)
    hint = f" Did you mean {by_key[close[0]]!r}?" if close else ""
    raise ConfigError(
        f"Unknown {task} metric {name!r}. Valid names: {sorted(registry, key=str.lower)}.{hint}"
    )
