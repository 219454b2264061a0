"""Validation at the door: every setting, and the data against the settings, before any trial.

:func:`setting_problems` lists what is wrong with an :class:`~tsautoml.AutoML`'s settings;
``AutoML.fit`` raises them all at once as one :class:`ConfigError`. :func:`check` runs the
same checks, the data checks and the table guardrails without searching, and returns every
problem found as a DataFrame.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from tsautoml.config import CVConfig, ScaleOut, TabularCV
from tsautoml.data.columns import ColumnSpec
from tsautoml.data.series_notes import WHAT_IS_DONE, note_series
from tsautoml.data.validation import series_labels, shorten
from tsautoml.exceptions import ConfigError, TsAutoMLError, TsAutoMLWarning
from tsautoml.metrics import CLASSIFICATION_METRICS, FORECAST_METRICS, REGRESSION_METRICS, reachable
from tsautoml.setting_types import (
    TASKS,
    is_real,
    names,
    names_problem,
    positive_seconds,
    whole_number,
)

if TYPE_CHECKING:
    from tsautoml.automl import AutoML

__all__ = ["POINT_METRICS", "Problem", "check", "raise_problems", "setting_problems"]

POINT_METRICS = ("mase", "smape", "mape", "mae", "rmse", "nrmse", "nmae", "wape")
_FORECAST_ONLY = ("horizon", "season_length", "freq", "group_by", "columns", "holidays")
Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or worth knowing) about the settings or the data."""

    severity: Severity
    what: str
    where: str
    fix: str

    def message(self) -> str:
        """``what (where). fix``."""
        where = f" ({self.where})" if self.where not in ("", "settings", "data") else ""
        return " ".join(part for part in (f"{self.what.rstrip('.')}{where}.", self.fix) if part)


def raise_problems(problems: list[Problem], error: type[TsAutoMLError] = ConfigError) -> None:
    """Raise every error among ``problems`` at once (one line each after the first)."""
    errors = [p.message() for p in problems if p.severity == "error"]
    if len(errors) == 1:
        raise error(errors[0])
    if errors:
        raise error(f"{len(errors)} problems: " + " | ".join(errors))


def setting_problems(model: AutoML) -> list[Problem]:
    """Everything wrong with the settings of ``model`` (types, ranges, and how they agree)."""
    out: list[Problem] = []

    def bad(what: str | None, fix: str, where: str = "settings") -> None:
        if what is not None:
            out.append(Problem("error", what, where, fix))

    task = model.task
    if task not in TASKS:
        bad(f"task={task!r} is not a task", f"Use one of {list(TASKS)}.")
        return out
    forecasting = task == "forecasting"
    if forecasting:
        if model.horizon is None:
            bad("horizon is not set", "Forecasting needs horizon, the number of steps to forecast, e.g. horizon=14.")
        else:
            bad(whole_number("horizon", model.horizon, low=1), "Pass a positive whole number of steps, e.g. horizon=14.")
        if model.season_length is not None:
            bad(whole_number("season_length", model.season_length, low=1),
                "Pass a whole number of steps (e.g. 7 for daily data with a weekly season), or None for the default.")
        freq = model.freq
        if freq is not None and not isinstance(freq, str):
            bad(whole_number("freq", freq, low=1), "Pass a pandas alias such as 'D' or 'MS', an integer step, or None.")
        bad(_holidays_problem(model.holidays), "")
    else:
        given = [n for n in _FORECAST_ONLY if getattr(model, n) is not None]
        scale = model.scale
        if scale is not None and (scale.max_memory is not None or scale.run_dir is not None):
            given.append("scale (max_memory, run_dir)")
        if given:
            bad(f"{given} are forecasting settings", f"Leave them unset for task={task!r}.")
    metric = _metric_problem(model, out)
    if model.time_budget is not None:
        bad(positive_seconds("time_budget", model.time_budget), "Pass seconds as a number, e.g. time_budget=60.")
    for name in ("max_trials", "patience"):
        if getattr(model, name) is not None:
            bad(whole_number(name, getattr(model, name), low=1), f"Pass a positive whole number, or None for no {name}.")
    _exit_score(model.exit_score, metric, bad)
    for name in ("allowed_models", "blocked_models", "group_by"):
        bad(names_problem(name, getattr(model, name)), f"Pass a list of names, e.g. {name}=[{_example(name)!r}].")
    _models(model, bad)
    _group_by(model, bad)
    bad(_typed("columns", model.columns, ColumnSpec), "Pass columns=ColumnSpec(id_cols=..., time_col=..., target_col=...).")
    want = CVConfig if forecasting else TabularCV
    bad(_typed("cv", model.cv, want), f"For task={task!r} pass cv={want.__name__}(...), or None.")
    bad(_typed("scale", model.scale, ScaleOut), "Pass scale=ScaleOut(...), or None.")
    if not isinstance(model.seed, np.integer | int) or isinstance(model.seed, bool) or model.seed < 0:
        bad(f"seed={model.seed!r} is not a non-negative whole number", "Pass e.g. seed=0.")
    if whole_number("n_jobs", model.n_jobs) is not None or model.n_jobs == 0:
        bad(f"n_jobs={model.n_jobs!r} is not a non-zero whole number", "Pass -1 (every core), 1, 2, ...")
    if not isinstance(model.refit, bool | np.bool_):
        bad(f"refit={model.refit!r} is not True or False", "Pass refit=True (re-estimate on all data) or refit=False.")
    elif not model.refit and not forecasting:
        bad("refit=False is a forecasting setting", f"Leave refit=True for task={task!r}: the final model is fitted on all rows.")
    if not isinstance(model.progress, bool | np.bool_):
        bad(f"progress={model.progress!r} is not True or False", "Pass progress=True or progress=False.")
    return out


def check(data: Any, y: Any = None, **settings: Any) -> pd.DataFrame:
    """Every problem with ``settings`` and the data, without searching.

    ``data`` is the frame ``AutoML(**settings).fit`` would take (with ``y`` for a table).
    Returns one row per problem: ``severity`` (error, warning, info), ``what``, ``where``,
    ``fix``; an empty frame means the data and settings are ready for a search.

    Examples
    --------
    >>> from tsautoml.testing import make_panel
    >>> df = make_panel(2, min_length=30, max_length=30, nan_fraction=0.0)
    >>> check(df, horizon=7).empty
    True
    >>> check(df, horizon=0, season_length=7.5)["what"].tolist()
    ['horizon=0 is below 1', 'season_length=7.5 is not a whole number']
    """
    from tsautoml.automl import AutoML

    try:
        model = AutoML(**settings)
    except TypeError as exc:
        return _frame([Problem("error", str(exc), "settings", "Check the spelling against help(tsautoml.AutoML).")])
    problems = setting_problems(model)
    if any(p.severity == "error" for p in problems):
        return _frame(problems)
    if model.task == "forecasting":
        problems += _panel_problems(model, data)
    else:
        problems += _table_problems(model, data, y)
    return _frame(problems)


def _frame(problems: list[Problem]) -> pd.DataFrame:
    return pd.DataFrame([vars(p) for p in problems], columns=["severity", "what", "where", "fix"])


def _metric_problem(model: AutoML, out: list[Problem]) -> Any:
    """The metric object, or None (with a problem recorded when the name is wrong)."""
    registry: dict[str, Any]
    if model.task == "forecasting":
        registry = {name: FORECAST_METRICS[name] for name in POINT_METRICS}
        default = "mase"
    elif model.task == "classification":
        registry, default = dict(CLASSIFICATION_METRICS), "accuracy"
    else:
        registry, default = dict(REGRESSION_METRICS), "r2_score"
    name = default if model.metric is None else model.metric
    if name not in registry:
        out.append(Problem("error", f"metric={name!r} is not a {model.task} metric", "settings",
                           f"Choose one of {list(registry)}."))
        return None
    return registry[name]


def _exit_score(score: Any, metric: Any, bad: Any) -> None:
    if score is None:
        return
    if not (is_real(score) and math.isfinite(score)):
        bad(f"exit_score={score!r} is not a finite number", "Pass a score of the metric, or None.")
    elif metric is not None and not reachable(metric, score):
        better = "higher" if metric.greater_is_better else "lower"
        bad(f"exit_score={score!r} can never be reached: {metric.name} is at best {metric.best:g} ({better} is better)",
            f"Pass a score between the metric's worst and {metric.best:g}.")


def _models(model: AutoML, bad: Any) -> None:
    """Unknown model names, and an allowed/blocked pair that leaves nothing (the registry's own check)."""
    from tsautoml.models.registry import FORECAST_LEARNERS, select_learners
    from tsautoml.models.tabular import tabular_learners

    if any(names_problem(n, getattr(model, n)) is not None for n in ("allowed_models", "blocked_models")):
        return
    if model.task == "forecasting":
        known: dict[str, Any] = dict(FORECAST_LEARNERS)
    else:
        known = dict(tabular_learners("classification" if model.task == "classification" else "regression"))
    try:
        select_learners(known, names(model.allowed_models), names(model.blocked_models))
    except ConfigError as exc:
        bad(str(exc), "")


def _group_by(model: AutoML, bad: Any) -> None:
    if model.group_by is None or names_problem("group_by", model.group_by) is not None:
        return
    id_cols = list((model.columns if isinstance(model.columns, ColumnSpec) else ColumnSpec()).id_cols)
    missing = [c for c in names(model.group_by) or [] if c not in id_cols]
    if missing:
        bad(f"group_by columns {missing} are not id columns (the id columns are {id_cols})",
            "Group by id columns: add them with columns=ColumnSpec(id_cols=[...]).")


def _typed(name: str, value: Any, kind: type) -> str | None:
    if value is None or isinstance(value, kind):
        return None
    return f"{name}={value!r} is not a {kind.__name__}"


def _example(name: str) -> str:
    return {"group_by": "store", "blocked_models": "AutoARIMA"}.get(name, "AutoETS")


def _holidays_problem(country: Any) -> str | None:
    from tsautoml.features.holidays import check_country

    if country is None:
        return None
    try:
        check_country(country)
    except ConfigError as exc:
        return str(exc)
    return None


def _panel_problems(model: AutoML, df: Any) -> list[Problem]:
    """The panel checks of ``fit``, then what the data make of the settings (short, constant series)."""
    from tsautoml.data.grouped import Panel
    from tsautoml.search.splitters import validation_splitter

    columns = model.columns or ColumnSpec()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            panel = Panel.from_frame(df, columns, freq=model.freq, season_length=model.season_length)
    except TsAutoMLError as exc:
        return [Problem("error", str(exc), "data", "")]
    out = [Problem("warning", str(w.message), "data", "") for w in caught]
    cv = model.cv if isinstance(model.cv, CVConfig) else CVConfig()
    splitter = validation_splitter(cv.n_windows, int(model.horizon or 0), cv.step)
    windows = splitter.windows_available(np.diff(panel.indptr))
    if not windows.any():
        return [*out, Problem("error", "Every series is too short for one validation window", "data",
                              f"One window of horizon {model.horizon} needs {splitter.required_length(1)} points: "
                              "use a shorter horizon or longer series.")]
    notes = note_series(panel, windows, cv.n_windows)
    for note, rows in notes.groupby("note", sort=False):
        series = rows["series"].to_numpy()
        out.append(Problem("warning" if note == "too short to validate" else "info", f"{series.size} series are {note}",
                           f"series {shorten(series_labels(panel.ids, series))}", WHAT_IS_DONE[note]))
    return out


def _table_problems(model: AutoML, X: Any, y: Any) -> list[Problem]:
    """The table checks of ``fit`` and the data guardrails."""
    from tsautoml.backends.local import LocalBackend
    from tsautoml.tabular import TabularModel

    inspector = TabularModel(model.tabular_settings(), LocalBackend(1))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", TsAutoMLWarning)  # the alerted guardrails are rows below
            inspector.inspect(X, y)
    except TsAutoMLError as exc:
        return [Problem("error", str(exc), "data", "")]
    severity: dict[str, Severity] = {"alerted": "warning", "done": "info"}
    rails = inspector.guardrails()
    return [Problem(severity[row.status], row.message, row.columns or "table", "")
            for row in rails.itertuples() if row.status in severity]
