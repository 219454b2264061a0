"""What a forecasting fit produces: one object that ``predict``, ``save`` and the reports read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from tsautoml.data.columns import ColumnSpec
from tsautoml.data.frequency import Frequency
from tsautoml.data.grouped import Panel
from tsautoml.engine.backtest import Backtest
from tsautoml.engine.memory import MemoryPlan
from tsautoml.ensemble.blend import Component
from tsautoml.ensemble.conformal import ConformalIntervals

__all__ = ["FittedForecast", "SearchReport"]


@dataclass(frozen=True, eq=False)
class SearchReport:
    """What the search found and did.

    Parameters
    ----------
    leaderboard
        Every trial and way of combining them (:func:`~tsautoml.engine.report.leaderboard`).
    group_choices, group_trials, unstarted
        Each group's choice; every (group, trial); the groups the budget never reached.
    plan
        The memory plan.
    stop_reason
        Why the search stopped.
    selection
        The name of the way the trials are combined (:mod:`~tsautoml.engine.selection`).
    refit_failures
        Trial key -> why its refit failed.
    unvalidated
        Positions of the series too short for one validation window.
    grouped
        Whether the search ran per ``group_by`` group.
    series_notes
        The valid but unusual series (:func:`~tsautoml.data.series_notes.note_series`).
    fit_time
        Seconds of the whole ``fit``.
    """

    leaderboard: pd.DataFrame
    group_choices: pd.DataFrame
    group_trials: pd.DataFrame
    unstarted: pd.DataFrame
    plan: MemoryPlan
    stop_reason: str
    selection: str
    refit_failures: dict[str, str] = field(default_factory=dict)
    unvalidated: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    grouped: bool = False
    series_notes: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["series", "note", "detail"]))
    fit_time: float = 0.0


@dataclass(frozen=True, eq=False)
class FittedForecast:
    """The fitted forecast of a panel.

    Parameters
    ----------
    components
        The refitted members and the weight each gives its series.
    conformal, scale, interval_groups
        Conformal intervals: quantiles of scaled errors per interval group, each series'
        scale and interval group.
    ids, columns, freq, last_times, tz
        The series' id rows, the column names, the frequency, each series' last (wall) time and
        the data's time zone (None for naive times).
    exogenous
        The exogenous columns the chosen models read (their future values are needed).
    horizon
        Steps ahead.
    report
        The search's reports.
    history
        The training target and times (no exogenous columns): the scale of ``evaluate``'s MASE and
        the history of the plots.
    backtest
        The search's out-of-fold forecasts (:class:`~tsautoml.engine.backtest.Backtest`).
    """

    components: list[Component]
    conformal: ConformalIntervals
    scale: np.ndarray
    interval_groups: np.ndarray
    ids: pd.DataFrame
    columns: ColumnSpec
    freq: Frequency
    last_times: np.ndarray
    exogenous: list[str]
    horizon: int
    report: SearchReport
    history: Panel
    backtest: Backtest
    tz: Any = None
