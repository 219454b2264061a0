"""Forecast plots: history, forecast and prediction intervals per series (matplotlib, no pyplot state)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from tsautoml.data.columns import ColumnSpec

__all__ = ["plot_forecast"]


def plot_forecast(
    history: pd.DataFrame,
    forecast: pd.DataFrame,
    *,
    columns: ColumnSpec | None = None,
    actuals: pd.DataFrame | None = None,
    max_series: int = 4,
    last: int | None = 120,
) -> Figure:
    """One panel per series: the last ``last`` observations, actuals and forecast with its intervals.

    ``forecast`` is the output of ``AutoML.predict`` (``forecast`` and any
    ``forecast-lo-<level>`` / ``forecast-hi-<level>`` columns).

    Examples
    --------
    >>> hist = pd.DataFrame({"unique_id": "a", "ds": range(10), "y": np.arange(10.0)})
    >>> fc = pd.DataFrame({"unique_id": "a", "ds": [10, 11], "forecast": [10.0, 11.0],
    ...                    "forecast-lo-80": [9.0, 9.5], "forecast-hi-80": [11.0, 12.5]})
    >>> len(plot_forecast(hist, fc).axes)
    1
    """
    columns = columns or ColumnSpec()
    ids = list(columns.id_cols)
    keys = forecast[ids].drop_duplicates()
    keys = keys.iloc[np.unique(np.linspace(0, len(keys) - 1, min(max_series, len(keys))).round().astype(int))]
    levels = sorted({int(float(c.rsplit("-", 1)[1])) for c in forecast.columns if c.startswith("forecast-lo-")}, reverse=True)
    fig = Figure(figsize=(10, 2.6 * len(keys)), layout="constrained")
    axes = fig.subplots(len(keys), 1, squeeze=False)[:, 0]
    for ax, (_, key) in zip(axes, keys.iterrows(), strict=True):
        hist = _rows(history, ids, key)
        fc = _rows(forecast, ids, key)
        if last is not None:
            hist = hist.tail(last)
        t = columns.time_col
        ax.plot(hist[t], hist[columns.target_col], color="0.3", lw=1, label="history")
        if actuals is not None:
            act = _rows(actuals, ids, key)
            ax.plot(act[t], act[columns.target_col], color="0.3", lw=1, ls="--", label="actual")
        for alpha, lv in zip(np.linspace(0.2, 0.4, max(len(levels), 1)), levels, strict=False):
            ax.fill_between(fc[t], fc[f"forecast-lo-{lv}"], fc[f"forecast-hi-{lv}"], color="tab:blue",
                            alpha=alpha, lw=0, label=f"{lv}% interval")
        ax.plot(fc[t], fc["forecast"], color="tab:blue", lw=1.5, label="forecast")
        ax.set_title(" / ".join(str(v) for v in key.to_numpy()), fontsize=10, loc="left")
    axes[0].legend(loc="upper left", fontsize=8, ncols=4)
    return fig


def _rows(frame: pd.DataFrame, ids: Sequence[str], key: pd.Series) -> pd.DataFrame:
    mask = np.ones(len(frame), dtype=bool)
    for col in ids:
        mask &= (frame[col] == key[col]).to_numpy()
    return frame[mask]
