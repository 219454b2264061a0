"""Forecasting from new history with the fitted models: no search and no refit.

:func:`continued` turns a :class:`FittedForecast` and the observations that have since arrived
into the fitted state of the same models at the end of that history. Each series keeps the
history the model was fitted on, joined to the new points (which win where they overlap), so
``new_history`` may be the whole history again or only what arrived. Local statistical models
run their fitted parameters over it (statsforecast's ``forward``); models without parameters
beyond the data (naive, seasonal naive, window averages) and the intermittent-demand models
re-read it; global models (LightGBM, ridge) update their features and may forecast new series,
which take the global members in their panel-wide proportions.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from tsautoml.data.grouped import GroupedArray, Panel, offsets
from tsautoml.data.validation import series_labels, shorten
from tsautoml.engine.fitted import FittedForecast
from tsautoml.ensemble.blend import Component
from tsautoml.ensemble.conformal import interval_scale
from tsautoml.exceptions import DataValidationError
from tsautoml.models.base import LocalLearner

__all__ = ["continued", "series_positions"]


def series_positions(keys: pd.DataFrame, ids: pd.DataFrame) -> np.ndarray:
    """The position in ``ids`` of the series of every row of ``keys`` (-1: not there).

    Id columns read as another type (integers saved and read back as text) still match.

    Examples
    --------
    >>> ids = pd.DataFrame({"unique_id": [10, 20]})
    >>> series_positions(pd.DataFrame({"unique_id": ["20", "30", "10"]}), ids).tolist()
    [1, -1, 0]
    """
    keys, ids = keys[list(ids.columns)].reset_index(drop=True), ids.reset_index(drop=True)
    for col in ids.columns:
        if keys[col].dtype != ids[col].dtype:
            keys[col], ids = keys[col].astype(str), ids.assign(**{col: ids[col].astype(str)})
    found = keys.merge(ids.assign(_position=np.arange(len(ids))), on=list(ids.columns), how="left")["_position"]
    return found.fillna(-1).to_numpy(dtype=np.int64)


def continued(fitted: FittedForecast, df: pd.DataFrame) -> FittedForecast:
    """The fitted state at the end of ``df``: the same models, run over each series' longer history.

    The result forecasts the series of ``df`` (in its order of series). Errors name what breaks
    the fitted schema: a missing column, another frequency or time zone, a gap between the
    fitted history and the new points, a new series where only local models serve.
    """
    c = fitted.columns
    if not isinstance(df, pd.DataFrame):
        raise DataValidationError(f"df must be a pandas DataFrame in long format ({[*c.id_cols, c.time_col, c.target_col]}), "
                                  f"got {type(df).__name__}.")
    local_exog = sorted({col for comp in fitted.components if isinstance(comp.learner, LocalLearner)
                         for col in comp.learner.exogenous_})
    missing = [col for col in [*c.id_cols, c.time_col, c.target_col, *local_exog] if col not in df.columns]
    if missing:
        raise DataValidationError(f"df lacks the columns {missing}; the new history needs {[*c.id_cols, c.time_col, c.target_col]}"
                                  + (f" and the exogenous columns {local_exog} that the chosen models read" if local_exog else "")
                                  + ".")
    keep = [*c.id_cols, c.time_col, c.target_col, *local_exog]
    expected = fitted.freq.alias if fitted.freq.alias is not None else fitted.freq.step
    try:
        new = Panel.from_frame(df[keep], c, freq=expected, season_length=fitted.freq.season_length)
    except DataValidationError as exc:  # e.g. another frequency: the model's is not a setting to change here
        raise DataValidationError(f"df does not fit the model, fitted at the frequency {expected!r}: {exc}") from exc
    if str(new.tz) != str(fitted.tz):
        raise DataValidationError(f"df's times are in the time zone {new.tz}, the model's in {fitted.tz}: give them in {fitted.tz}.")
    previous = series_positions(new.ids, fitted.ids)
    unknown = np.flatnonzero(previous < 0)
    global_members = [comp for comp in fitted.components if not isinstance(comp.learner, LocalLearner)]
    if unknown.size and not global_members:
        raise DataValidationError(
            f"df holds {unknown.size} series the model was not fitted on, e.g. {shorten(series_labels(new.ids, unknown))}; "
            f"the chosen models ({', '.join(sorted({comp.trial.learner for comp in fitted.components}))}) are fitted per "
            "series and cannot forecast them. Give the fitted series only, or fit again with these series."
        )
    history = _joined(fitted, new, previous, local_exog)
    components = _carried_components(fitted, history, previous, global_members)
    groups = _interval_groups(fitted, previous)
    return replace(
        fitted, components=components, scale=interval_scale(history.target.values, history.indptr, fitted.freq.season_length),
        interval_groups=groups, ids=history.ids, last_times=history.times[history.indptr[1:] - 1], history=history,
    )


def _joined(fitted: FittedForecast, new: Panel, previous: np.ndarray, exog: list[str]) -> Panel:
    """Each series' fitted history before its first new point, then its new points (from the fitted start on)."""
    old, c = fitted.history, fitted.columns
    parts: list[tuple[str, np.ndarray]] = []  # (which panel, rows), series after series
    lengths = np.empty(new.n_series, dtype=np.int64)
    gaps = []
    for k in range(new.n_series):
        lo, hi = new.indptr[k], new.indptr[k + 1]
        j = previous[k]
        if j < 0:
            parts.append(("new", np.arange(lo, hi)))
            lengths[k] = hi - lo
            continue
        a, b = old.indptr[j], old.indptr[j + 1]
        first_new = new.times[lo]
        if first_new > fitted.freq.future_times(old.times[b - 1 : b], 1)[0]:
            gaps.append(k)
        before = int(np.searchsorted(old.times[a:b], first_new, side="left"))
        skip = int(np.searchsorted(new.times[lo:hi], old.times[a], side="left"))  # points before the fitted start
        parts.append(("old", np.arange(a, a + before)))
        parts.append(("new", np.arange(lo + skip, hi)))
        lengths[k] = before + hi - lo - skip
    if gaps:
        k = gaps[0]
        j = previous[k]
        raise DataValidationError(
            f"The new history of {len(gaps)} series starts after a gap, e.g. series {shorten(series_labels(new.ids, np.array([k])))}: "
            f"the model's history ends at {_when(old.times[old.indptr[j + 1] - 1])} and df starts at {_when(new.times[new.indptr[k]])}. "
            f"Give every {c.time_col} from the end of the fitted history on."
        )
    source = {"old": old, "new": new}

    def gather(read: str) -> np.ndarray:
        pieces = [getattr(source[name], read)[rows] if read != "target" else source[name].target.values[rows]
                  for name, rows in parts]
        return np.concatenate(pieces) if pieces else np.empty(0)

    exog_values = {col: np.concatenate([source[name].exog[col][rows] for name, rows in parts]) for col in exog}
    return Panel(GroupedArray(gather("target"), offsets(lengths)), gather("times"), new.ids, c, fitted.freq,
                 exog_values, tz=fitted.tz)


def _when(stamp: np.generic) -> object:
    """A time as people read it (``2024-06-16``, not ``numpy.datetime64``'s nanoseconds)."""
    return pd.Timestamp(stamp) if isinstance(stamp, np.datetime64) else int(stamp)


def _carried_components(fitted: FittedForecast, history: Panel, previous: np.ndarray,
                        global_members: list[Component]) -> list[Component]:
    """The members at the end of ``history``; new series get the global members, weighted as over the fitted panel."""
    where = np.full(len(fitted.ids), -1, dtype=np.int64)  # fitted position -> position in history
    where[previous[previous >= 0]] = np.flatnonzero(previous >= 0)
    unknown = np.flatnonzero(previous < 0)
    shares = np.array([comp.weights.sum() for comp in global_members], dtype=np.float64)
    shares = shares / shares.sum() if shares.sum() > 0 else np.full(len(global_members), 1.0 / max(len(global_members), 1))
    share_of = {id(comp): share for comp, share in zip(global_members, shares, strict=True)}
    out = []
    for comp in fitted.components:
        positions = where[comp.series]
        present = positions >= 0
        series, weights = positions[present], comp.weights[present]
        if id(comp) in share_of and unknown.size:
            series = np.concatenate([series, unknown])
            weights = np.concatenate([weights, np.full(unknown.size, share_of[id(comp)])])
        if series.size == 0:
            continue
        learner = comp.learner.carried(history.select(series), np.flatnonzero(present))
        out.append(Component(trial=comp.trial, series=series, weights=weights, learner=learner))
    return out


def _interval_groups(fitted: FittedForecast, previous: np.ndarray) -> np.ndarray:
    """Each series' conformal group: its fitted one, for a new series the group most fitted series share."""
    common = int(np.bincount(fitted.interval_groups).argmax()) if fitted.interval_groups.size else 0
    return np.where(previous >= 0, fitted.interval_groups[np.maximum(previous, 0)], common)
