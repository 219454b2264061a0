"""Plots of a fitted model: forecasts, back-test windows, residuals, the leaderboard, feature importance.

Every function returns a matplotlib :class:`~matplotlib.figure.Figure` built without pyplot state:
nothing is shown or kept open; save it with ``fig.savefig(path)`` or display it in a notebook.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from tsautoml.data.columns import ColumnSpec
from tsautoml.exceptions import DataValidationError

__all__ = ["plot_backtest", "plot_forecast", "plot_importance", "plot_leaderboard", "plot_residuals"]

_NO_LABEL = "_nolegend_"
#: One colour per feature family of ``AutoML.explain().importance``.
FAMILY_COLOURS = {"lags": "tab:blue", "rolling": "tab:cyan", "calendar": "tab:green", "holiday": "tab:purple",
                  "exogenous": "tab:orange", "other": "tab:gray"}
_BOARD_COLOURS = {"trial": "tab:blue", "selection": "tab:orange", "chosen": "tab:red"}
_MODEL_COLOURS = ("tab:orange", "tab:green", "tab:purple", "tab:brown", "tab:pink", "tab:olive", "tab:cyan")


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
    ids, t = list(columns.id_cols), columns.time_col
    keys = _pick_series(forecast, ids, max_series)
    levels = _levels(forecast, "forecast")
    fig = Figure(figsize=(10, 2.6 * len(keys)), layout="constrained")
    axes = fig.subplots(len(keys), 1, squeeze=False)[:, 0]
    for ax, (_, key) in zip(axes, keys.iterrows(), strict=True):
        hist = _rows(history, ids, key)
        fc = _rows(forecast, ids, key)
        if last is not None:
            hist = hist.tail(last)
        ax.plot(hist[t], hist[columns.target_col], color="0.3", lw=1, label="history")
        if actuals is not None:
            act = _rows(actuals, ids, key)
            ax.plot(act[t], act[columns.target_col], color="0.3", lw=1, ls="--", label="actual")
        _bands(ax, fc, t, levels, legend=True)
        ax.plot(fc[t], fc["forecast"], color="tab:blue", lw=1.5, label="forecast")
        ax.set_title(_series_title(key), fontsize=10, loc="left")
    axes[0].legend(loc="upper left", fontsize=8, ncols=4)
    return fig


def plot_backtest(
    cv: pd.DataFrame,
    *,
    columns: ColumnSpec | None = None,
    models: Sequence[str] | None = None,
    max_series: int = 4,
) -> Figure:
    """One panel per series: the actuals of the back-test windows and each window's forecast.

    ``cv`` is the output of ``AutoML.cross_validation`` (``cutoff``, the target, ``forecast``,
    any ``forecast-lo/hi-<level>`` and one column per model). A dotted line marks each window's
    cutoff, the last time its models saw; ``models`` adds those model columns as thin lines.

    Examples
    --------
    >>> cv = pd.DataFrame({"unique_id": "a", "ds": [5, 6, 7, 8], "cutoff": [4, 4, 6, 6],
    ...                    "y": [5.0, 6.0, 7.0, 8.0], "Naive": [4.0, 4.0, 6.0, 6.0],
    ...                    "forecast": [4.5, 5.5, 6.8, 7.5]})
    >>> ax = plot_backtest(cv, models=["Naive"]).axes[0]
    >>> sorted(ax.get_legend_handles_labels()[1])
    ['Naive', 'actual', 'cutoff', 'forecast']
    """
    columns = columns or ColumnSpec()
    ids, t, target = list(columns.id_cols), columns.time_col, columns.target_col
    models = list(models or [])
    _require(cv, ["cutoff", target, "forecast", *models], "cv", "the output of AutoML.cross_validation")
    keys = _pick_series(cv, ids, max_series)
    levels = _levels(cv, "forecast")
    fig = Figure(figsize=(10, 2.6 * len(keys)), layout="constrained")
    axes = fig.subplots(len(keys), 1, squeeze=False)[:, 0]
    for ax, (_, key) in zip(axes, keys.iterrows(), strict=True):
        rows = _rows(cv, ids, key).sort_values(["cutoff", t])
        actual = rows.drop_duplicates(t).sort_values(t)  # overlapping windows repeat a time
        ax.plot(actual[t], actual[target], color="0.3", lw=1, marker=".", ms=3, label="actual")
        for i, (cutoff, window) in enumerate(rows.groupby("cutoff", sort=True)):
            first = i == 0
            _bands(ax, window, t, levels, legend=first)
            ax.plot(window[t], window["forecast"], color="tab:blue", lw=1.5, label="forecast" if first else _NO_LABEL)
            for colour, name in zip(_MODEL_COLOURS * len(models), models, strict=False):
                ax.plot(window[t], window[name], color=colour, lw=0.9, alpha=0.8, label=name if first else _NO_LABEL)
            ax.axvline(cutoff, color="0.5", ls=":", lw=1, label="cutoff" if first else _NO_LABEL)
        ax.set_title(f"{_series_title(key)}: {rows['cutoff'].nunique()} back-test windows", fontsize=10, loc="left")
    axes[0].legend(loc="upper left", fontsize=8, ncols=6)
    return fig


def plot_residuals(cv: pd.DataFrame, *, columns: ColumnSpec | None = None, model: str = "forecast") -> Figure:
    """Residuals (actual minus ``model``) on the back-test windows: by horizon step, over time, histogram.

    Examples
    --------
    >>> cv = pd.DataFrame({"unique_id": "a", "ds": [5, 6, 7, 8], "cutoff": [4, 4, 6, 6],
    ...                    "y": [5.0, 6.0, 7.0, 8.0], "forecast": [4.5, 5.5, 6.8, 7.5]})
    >>> [ax.get_title() for ax in plot_residuals(cv).axes]
    ['By horizon step', 'Mean over time', 'Distribution']
    """
    columns = columns or ColumnSpec()
    ids, t, target = list(columns.id_cols), columns.time_col, columns.target_col
    _require(cv, ["cutoff", target, model], "cv", "the output of AutoML.cross_validation")
    frame = cv.sort_values([*ids, "cutoff", t])
    frame = frame.assign(residual=frame[target] - frame[model], step=frame.groupby([*ids, "cutoff"]).cumcount() + 1)
    frame = frame[np.isfinite(frame["residual"].to_numpy(dtype=float))]
    if frame.empty:
        raise DataValidationError(f"cv has no row where both {target!r} and {model!r} are finite: nothing to plot.")
    fig = Figure(figsize=(12, 3.4), layout="constrained")
    by_step, over_time, hist = fig.subplots(1, 3)
    steps = np.sort(frame["step"].unique())
    by_step.boxplot([frame.loc[frame["step"] == s, "residual"].to_numpy() for s in steps], positions=steps,
                    widths=0.6, showfliers=True, flierprops={"markersize": 2})
    by_step.set_xticks(steps, [str(s) for s in steps], fontsize=8)
    by_step.set(title="By horizon step", xlabel="horizon step", ylabel=f"{target} - {model}")
    mean = frame.groupby(t)["residual"].mean()
    over_time.plot(mean.index, mean.to_numpy(), color="tab:blue", lw=1, marker=".", ms=3)
    over_time.set(title="Mean over time", xlabel=t)
    over_time.tick_params(axis="x", labelrotation=30, labelsize=8)
    hist.hist(frame["residual"].to_numpy(dtype=float), bins=int(np.clip(np.sqrt(len(frame)), 10, 40)),
              color="tab:blue", edgecolor="white")
    hist.set(title="Distribution", xlabel=f"{target} - {model}", ylabel="rows")
    for ax in (by_step, over_time):
        ax.axhline(0, color="0.4", lw=0.8)
    hist.axvline(0, color="0.4", lw=0.8)
    fig.suptitle(f"Residuals of {model} on {frame['cutoff'].nunique()} back-test windows", fontsize=11)
    return fig


def plot_leaderboard(
    leaderboard: pd.DataFrame, *, metric: str | None = None, top: int = 15, chosen: str | None = None
) -> Figure:
    """Horizontal bars of the validation metric for the best ``top`` finished trials and selections.

    ``metric`` defaults to the column scored per window (or fold). The chosen row is highlighted:
    ``chosen`` (a trial key such as ``"LightGBM#4"``, or a selection name), else the row whose
    ``note`` is ``"chosen"``, else the best-ranked one.

    Examples
    --------
    >>> board = pd.DataFrame({"rank": [1, 2, 3], "trial": [pd.NA, 1, 0],
    ...                       "model": ["mean[classic]", "AutoETS", "Naive"],
    ...                       "rung": ["selection", "ets", "cheap"], "mase_window0": [np.nan, 0.9, 1.2],
    ...                       "mase": [0.85, 0.9, 1.2], "status": "ok", "note": ["chosen", "", ""]})
    >>> [t.get_text() for t in plot_leaderboard(board).axes[0].get_yticklabels()]
    ['mean[classic]', 'AutoETS#1', 'Naive#0']
    """
    metric = metric or _board_metric(leaderboard)
    _require(leaderboard, ["rank", "model", "status", metric], "leaderboard", "the output of AutoML.leaderboard")
    scores = pd.to_numeric(leaderboard[metric], errors="coerce").to_numpy(dtype=float)
    ok = leaderboard[(leaderboard["status"] == "ok").to_numpy() & np.isfinite(scores)]
    ok = ok.sort_values("rank", kind="stable").head(top)
    labels = [_trial_label(row) for _, row in ok.iterrows()]
    kind = np.where(ok["rung"] == "selection", "selection", "trial") if "rung" in ok else np.full(len(ok), "trial")
    kind[_chosen(ok, labels, chosen)] = "chosen"
    fig = Figure(figsize=(8, 1.2 + 0.3 * max(len(ok), 1)), layout="constrained")
    ax = fig.subplots()
    positions = np.arange(len(ok))
    bars = ax.barh(positions, ok[metric].astype(float), color=[_BOARD_COLOURS[k] for k in kind])
    ax.bar_label(bars, fmt="%.3f", fontsize=7, padding=2)
    ax.set_yticks(positions, labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(f"{metric} (validation)")
    ax.set_title(f"Leaderboard: the best {len(ok)} of {len(leaderboard)} rows", fontsize=10, loc="left")
    shown = [k for k in _BOARD_COLOURS if k in set(kind)]
    ax.legend([Patch(color=_BOARD_COLOURS[k]) for k in shown], shown, fontsize=8, loc="lower right")
    if ok.empty:
        ax.text(0.5, 0.5, "No trial finished.", ha="center", va="center", transform=ax.transAxes)
    return fig


def plot_importance(importance: pd.DataFrame, *, top: int = 20) -> Figure:
    """Bars of the ``top`` most important features, coloured by family.

    ``importance`` is ``AutoML.explain().importance`` (model, trial, feature, family, importance:
    averaged over the models, a feature a model lacks counting as 0) or any frame with columns
    ``feature`` and ``importance``.

    Examples
    --------
    >>> imp = pd.DataFrame({"model": "LightGBM", "trial": 4, "feature": ["lag1", "dayofweek", "price"],
    ...                     "family": ["lags", "calendar", "exogenous"], "importance": [0.5, 0.2, 0.3]})
    >>> [t.get_text() for t in plot_importance(imp).axes[0].get_yticklabels()]
    ['lag1', 'price', 'dayofweek']
    """
    _require(importance, ["feature", "importance"], "importance", "AutoML.explain().importance")
    if importance.empty:
        raise DataValidationError("importance has no rows: no model with feature importances was chosen.")
    frame, n_models = _mean_importance(importance)
    frame = frame.head(top)
    colours = [FAMILY_COLOURS.get(str(f), "tab:blue") for f in frame["family"]]
    fig = Figure(figsize=(8, 1.2 + 0.28 * len(frame)), layout="constrained")
    ax = fig.subplots()
    positions = np.arange(len(frame))
    ax.barh(positions, frame["importance"], color=colours)
    ax.set_yticks(positions, frame["feature"].astype(str).tolist(), fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("importance (share)")
    over = f", mean over {n_models} models" if n_models > 1 else ""
    ax.set_title(f"Feature importance: the top {len(frame)} features{over}", fontsize=10, loc="left")
    if "family" in importance.columns:
        families = list(dict.fromkeys(frame["family"].astype(str)))
        ax.legend([Patch(color=FAMILY_COLOURS.get(f, "tab:blue")) for f in families], families, fontsize=8,
                  loc="lower right")
    return fig


def _mean_importance(importance: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Per feature (and family): the mean importance over the (model, trial) pairs, largest first."""
    keys = [c for c in ("component", "model", "trial") if c in importance.columns]
    n_models = len(importance[keys].drop_duplicates()) if keys else 1
    frame = importance.assign(family=importance["family"] if "family" in importance.columns else "other")
    mean = frame.groupby(["feature", "family"], dropna=False, sort=False)["importance"].sum() / n_models
    return mean.reset_index().sort_values("importance", ascending=False, kind="stable"), n_models


def _board_metric(leaderboard: pd.DataFrame) -> str:
    """The metric a leaderboard ranks by: the column that is also scored per window or fold."""
    for column in leaderboard.columns:
        match = re.fullmatch(r"(.+)_(?:window|fold)\d+", str(column))
        if match and match.group(1) in leaderboard.columns:
            return match.group(1)
    raise DataValidationError(
        f"Cannot tell the leaderboard's metric from its columns {list(leaderboard.columns)}: pass metric=."
    )


def _trial_label(row: pd.Series) -> str:
    trial = row.get("trial")
    return str(row["model"]) if trial is None or pd.isna(trial) else f"{row['model']}#{int(trial)}"


def _chosen(rows: pd.DataFrame, labels: list[str], chosen: str | None) -> np.ndarray:
    """Which of the rows is the chosen one (a boolean mask)."""
    if chosen is not None:
        return np.array([label == chosen or label.split("#")[0] == chosen for label in labels], dtype=bool)
    if "note" in rows.columns and (rows["note"] == "chosen").any():
        return (rows["note"] == "chosen").to_numpy()
    return np.arange(len(rows)) == 0


def _bands(ax: Axes, frame: pd.DataFrame, t: str, levels: list[int], *, legend: bool) -> None:
    """The ``forecast-lo/hi-<level>`` intervals, widest first and palest."""
    for alpha, lv in zip(np.linspace(0.2, 0.4, max(len(levels), 1)), levels, strict=False):
        ax.fill_between(frame[t], frame[f"forecast-lo-{lv}"], frame[f"forecast-hi-{lv}"], color="tab:blue",
                        alpha=alpha, lw=0, label=f"{lv}% interval" if legend else _NO_LABEL)


def _levels(frame: pd.DataFrame, prefix: str) -> list[int]:
    """The interval levels of the ``<prefix>-lo-<level>`` columns, widest first."""
    found = {c[len(prefix) + 4:] for c in frame.columns if str(c).startswith(f"{prefix}-lo-")}
    return sorted((int(float(lv)) for lv in found), reverse=True)


def _pick_series(frame: pd.DataFrame, ids: Sequence[str], max_series: int) -> pd.DataFrame:
    """At most ``max_series`` series keys, spread evenly over those in ``frame``."""
    keys = frame[list(ids)].drop_duplicates()
    if keys.empty:
        raise DataValidationError("The frame has no rows: there is no series to plot.")
    n = max(min(max_series, len(keys)), 1)
    return keys.iloc[np.unique(np.linspace(0, len(keys) - 1, n).round().astype(int))]


def _series_title(key: pd.Series) -> str:
    return " / ".join(str(v) for v in key.to_numpy())


def _require(frame: pd.DataFrame, names: Sequence[str], what: str, source: str) -> None:
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise DataValidationError(
            f"{what} has no columns {missing} (it has {list(frame.columns)}). Pass {source}, or name its columns."
        )


def _rows(frame: pd.DataFrame, ids: Sequence[str], key: pd.Series) -> pd.DataFrame:
    mask = np.ones(len(frame), dtype=bool)
    for col in ids:
        mask &= (frame[col] == key[col]).to_numpy()
    return frame[mask]
