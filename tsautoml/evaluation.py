"""Scoring a fitted model on new data: forecasts against the actuals that arrived, tables against labels.

:class:`Evaluation` holds the overall scores (one row per metric) and, for forecasts, one row per
series. Each metric's meaning stays in the metric (:mod:`tsautoml.metrics`); this module lays the
data out for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from tsautoml.exceptions import ConfigError
from tsautoml.metrics import get_metric
from tsautoml.metrics.base import (
    CLASSIFICATION_METRICS,
    REGRESSION_METRICS,
    ForecastMetric,
    ForecastScore,
)

__all__ = ["DEFAULT_FORECAST_METRICS", "Evaluation", "ForecastActuals", "score_forecasts", "score_table"]

#: The point metrics ``evaluate`` reports when none are named.
DEFAULT_FORECAST_METRICS = ("mase", "smape", "mape", "mae", "rmse", "wape")
#: Metrics that read intervals (named ``<metric>-<level>`` in the output) or quantiles.
INTERVAL_METRICS = ("coverage", "msis")
QUANTILE_METRICS = ("pinball", "wql")


@dataclass(frozen=True, eq=False)
class Evaluation:
    """Scores of a fitted model on new data.

    Parameters
    ----------
    overall
        One row per metric: ``metric``, ``value``, and for forecasts ``n_series`` (scored) and
        ``n_excluded`` (series where the metric is undefined, e.g. MAPE on a zero actual), for
        tables ``n_rows``.
    per_series
        Forecasts: the id columns and one column per metric; empty for tables.
    """

    overall: pd.DataFrame
    per_series: pd.DataFrame = field(default_factory=pd.DataFrame)

    def __getitem__(self, metric: str) -> float:
        """The overall value of ``metric``, e.g. ``evaluation["mase"]``."""
        values = self.overall.set_index("metric")["value"]
        if metric not in values.index:
            raise KeyError(f"{metric!r} was not evaluated; evaluated: {list(values.index)}.")
        return float(values[metric])

    def __repr__(self) -> str:
        return f"Evaluation(\n{self.overall.to_string(index=False)}\n)"


@dataclass(frozen=True, eq=False)
class ForecastActuals:
    """Actuals and forecasts aligned series after series, with each series' training history.

    ``bounds[level] = (lo, hi)`` and ``quantiles[q]`` are aligned with ``y`` like ``forecast``.
    """

    ids: pd.DataFrame
    y: np.ndarray
    forecast: np.ndarray
    indptr: np.ndarray
    y_train: np.ndarray
    train_indptr: np.ndarray
    season_length: int
    bounds: dict[float, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    quantiles: dict[float, np.ndarray] = field(default_factory=dict)


def forecast_metric_names(metrics: Sequence[str] | None, levels: Sequence[float], quantiles: Sequence[float]) -> list[str]:
    """The metrics to report: the named ones (or the defaults), plus the interval and quantile ones asked for.

    Examples
    --------
    >>> forecast_metric_names(None, [80], [])
    ['mase', 'smape', 'mape', 'mae', 'rmse', 'wape', 'coverage', 'msis']
    """
    if isinstance(metrics, str):
        metrics = [metrics]
    names = [get_metric(m, "forecast").name for m in metrics] if metrics is not None else list(DEFAULT_FORECAST_METRICS)
    if metrics is None:
        names += list(INTERVAL_METRICS) if levels else []
        names += ["pinball"] if quantiles else []
    need_level = [n for n in names if n in INTERVAL_METRICS and not levels]
    if need_level:
        raise ConfigError(f"The metrics {need_level} score prediction intervals: pass level, e.g. level=[80, 95].")
    need_quantiles = [n for n in names if n in QUANTILE_METRICS and not quantiles]
    if need_quantiles:
        raise ConfigError(f"The metrics {need_quantiles} score quantiles: pass quantiles, e.g. quantiles=[0.1, 0.5, 0.9].")
    return list(dict.fromkeys(names))


def score_forecasts(data: ForecastActuals, names: Sequence[str]) -> Evaluation:
    """Each metric of ``names`` on ``data``, overall and per series (interval metrics once per level)."""
    rows, columns = [], {}
    for name in names:
        metric = get_metric(name, "forecast")

        def score_of(pred: np.ndarray, quantiles: list[float] | None = None, metric: ForecastMetric = metric) -> ForecastScore:
            return metric.evaluate(data.y, pred, data.indptr, y_train=data.y_train, train_indptr=data.train_indptr,
                                   season_length=data.season_length, quantiles=quantiles)

        if name in INTERVAL_METRICS:
            for level, (lo, hi) in sorted(data.bounds.items()):
                alpha = (100 - level) / 200
                score = score_of(np.column_stack([lo, hi]), [alpha, 1 - alpha])
                rows.append(_row(f"{name}-{level:g}", score.value, score.per_series, score.n_excluded))
                columns[f"{name}-{level:g}"] = score.per_series
            continue
        if name in QUANTILE_METRICS:
            qs = sorted(data.quantiles)
            pred = np.column_stack([data.quantiles[q] for q in qs])
            score = score_of(pred, qs)
        else:
            score = score_of(data.forecast)
        rows.append(_row(name, score.value, score.per_series, score.n_excluded))
        columns[name] = score.per_series
    per_series = pd.concat([data.ids.reset_index(drop=True), pd.DataFrame(columns)], axis=1)
    return Evaluation(pd.DataFrame(rows, columns=["metric", "value", "n_series", "n_excluded"]), per_series)


def _row(metric: str, value: float, per_series: np.ndarray, excluded: int) -> dict[str, object]:
    return {"metric": metric, "value": value, "n_series": int(per_series.size - excluded), "n_excluded": int(excluded)}


def score_table(
    task: Literal["classification", "regression"], y: np.ndarray, predicted: np.ndarray, proba: np.ndarray | None, classes: np.ndarray | None,
    metrics: Sequence[str] | None,
) -> Evaluation:
    """The task's metrics (or ``metrics``) of the predictions of a table against its labels or values."""
    registry = CLASSIFICATION_METRICS if task == "classification" else REGRESSION_METRICS
    names = list(registry) if metrics is None else [get_metric(m, task).name for m in metrics]
    rows = []
    for name in names:
        metric = registry[name]
        pred = proba if "probabilities" in metric.needs and proba is not None else predicted
        rows.append({"metric": name, "value": metric.score(y, pred, labels=classes), "n_rows": len(y)})
    return Evaluation(pd.DataFrame(rows, columns=["metric", "value", "n_rows"]))
