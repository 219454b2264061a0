"""``AutoML``: the public entry point. Validates settings, builds the task's facade, saves and loads."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, Literal, get_args

import pandas as pd

from tsautoml.backends.local import LocalBackend
from tsautoml.config import Budget, CVConfig
from tsautoml.data.columns import ColumnSpec
from tsautoml.exceptions import ConfigError, NotFittedError
from tsautoml.forecaster import Forecaster, ForecastSettings
from tsautoml.io.persistence import load_object, save_object
from tsautoml.metrics import FORECAST_METRICS

__all__ = ["TASKS", "AutoML", "load"]

logger = logging.getLogger(__name__)

TaskName = Literal["forecasting", "classification", "regression"]
TASKS: tuple[str, ...] = get_args(TaskName)
DEFAULT_TIME_BUDGET = 300.0
_POINT_METRICS = ("mase", "smape", "mape", "mae", "rmse", "nrmse", "nmae", "wape")


class AutoML:
    """Search models for a task under your constraints and keep the best (or a blend).

    Parameters
    ----------
    task
        ``"forecasting"`` (classification and regression share this API).
    horizon
        Steps to forecast (forecasting).
    season_length
        Main seasonal period in steps; default from the frequency.
    freq
        pandas alias or integer step; inferred when None.
    metric
        Primary metric (forecasting: ``"mase"`` by default; also smape, mape, mae, rmse,
        nrmse, nmae, wape).
    time_budget
        Seconds for the whole ``fit`` (search, selection and refit). When neither this nor
        ``max_trials`` is given, 300 s.
    max_trials
        Trials to evaluate at most.
    exit_score
        Stop the search once a trial reaches this score.
    patience
        Stop the search after this many trials in a row without a better score.
    allowed_models, blocked_models
        Model names to restrict the search to / to leave out (see ``FORECAST_LEARNERS``).
    group_by
        Id columns whose groups share one model choice (e.g. ``["store"]``); default: each
        series chooses its own blend.
    columns
        Column names (default ``unique_id``, ``ds``, ``y``; several id columns allowed).
    cv
        Validation scheme (rolling-origin windows).
    holidays
        Country code for holiday features of the gradient-boosting and linear models.
    seed
        Seed of every random choice; with ``max_trials`` the result is reproducible.
    n_jobs
        Trials run in parallel (-1: every core).
    progress
        Show a progress bar.

    Examples
    --------
    >>> from tsautoml.testing import make_panel
    >>> df = make_panel(3, min_length=40, max_length=60, nan_fraction=0.0)
    >>> model = AutoML(task="forecasting", horizon=7, max_trials=3, n_jobs=1, progress=False).fit(df)
    >>> model.predict().columns.tolist()
    ['unique_id', 'ds', 'forecast']
    >>> len(model.predict(level=[80]))
    21
    """

    def __init__(
        self,
        task: TaskName = "forecasting",
        *,
        horizon: int | None = None,
        season_length: int | None = None,
        freq: str | int | None = None,
        metric: str | None = None,
        time_budget: float | None = None,
        max_trials: int | None = None,
        exit_score: float | None = None,
        patience: int | None = None,
        allowed_models: Sequence[str] | None = None,
        blocked_models: Sequence[str] | None = None,
        group_by: Sequence[str] | None = None,
        columns: ColumnSpec | None = None,
        cv: CVConfig | None = None,
        holidays: str | None = None,
        seed: int = 0,
        n_jobs: int = -1,
        progress: bool = True,
    ) -> None:
        self.task = task
        self.horizon = horizon
        self.season_length = season_length
        self.freq = freq
        self.metric = metric
        self.time_budget = time_budget
        self.max_trials = max_trials
        self.exit_score = exit_score
        self.patience = patience
        self.allowed_models = allowed_models
        self.blocked_models = blocked_models
        self.group_by = group_by
        self.columns = columns
        self.cv = cv
        self.holidays = holidays
        self.seed = seed
        self.n_jobs = n_jobs
        self.progress = progress

    def fit(self, df: pd.DataFrame) -> AutoML:
        """Search, select and refit on ``df`` (long format for forecasting)."""
        settings = self._forecast_settings()
        self.model_ = Forecaster(settings, LocalBackend(self.n_jobs)).fit(df)
        return self

    def predict(
        self,
        X_future: pd.DataFrame | None = None,
        level: Sequence[float] | None = None,
        quantiles: Sequence[float] | None = None,
    ) -> pd.DataFrame:
        """Forecasts: id column(s), time, ``forecast`` and ``forecast-lo-<level>``/``-hi-<level>``.

        ``X_future`` gives the known-future exogenous values for the horizon; ``quantiles``
        (e.g. ``[0.1, 0.5, 0.9]``) adds ``forecast-q-<percent>`` columns instead of intervals.
        """
        return self._fitted().predict(X_future, level, quantiles)

    def leaderboard(self) -> pd.DataFrame:
        """Every trial and combination: rank, model, parameters, metric per window and mean, times, status."""
        return self._fitted().leaderboard()

    def model_wins(self) -> pd.DataFrame:
        """How many series each chosen model serves (largest weight), and how many fell back."""
        return self._fitted().model_wins()

    def fallbacks(self) -> pd.DataFrame:
        """Series where a chosen model could not be fitted, what replaced it and why."""
        return self._fitted().fallbacks()

    def save(self, path: str | Path) -> Path:
        """Write ``model.pkl`` and ``manifest.json`` into the folder ``path``."""
        model = self._fitted()
        manifest = {
            "task": self.task,
            "settings": {k: v for k, v in self.get_settings().items() if k != "columns"},
            "schema": {
                **asdict(model.columns_),
                "exogenous": model.exogenous_,
                "freq": model.freq_.alias if model.freq_.alias is not None else model.freq_.step,
                "season_length": model.freq_.season_length,
                "n_series": len(model.ids_),
            },
            "metric": model.settings.metric,
            "selection": model.selection_,
        }
        return save_object(self, path, manifest)

    def get_settings(self) -> dict[str, Any]:
        """The constructor arguments."""
        names = inspect.signature(type(self).__init__).parameters
        return {n: getattr(self, n) for n in names if n != "self"}

    def _fitted(self) -> Forecaster:
        if not hasattr(self, "model_"):
            raise NotFittedError("This AutoML is not fitted yet: call fit(df) first.")
        return self.model_

    def _forecast_settings(self) -> ForecastSettings:
        if self.task not in TASKS:
            raise ConfigError(f"task={self.task!r} is not one of {list(TASKS)}.")
        if self.task != "forecasting":
            raise ConfigError(
                f"task={self.task!r} is not available in this version of tsautoml; use task='forecasting'."
            )
        if self.horizon is None or int(self.horizon) != self.horizon or self.horizon < 1:
            raise ConfigError(f"Forecasting needs horizon, a positive number of steps; got {self.horizon!r}.")
        metric = self.metric or "mase"
        if metric not in _POINT_METRICS:
            known = [m for m in FORECAST_METRICS if m in _POINT_METRICS]
            raise ConfigError(f"metric={metric!r} is not a point-forecast metric; choose one of {known}.")
        time_budget = self.time_budget
        if time_budget is None and self.max_trials is None:
            time_budget = DEFAULT_TIME_BUDGET
            logger.info("No time_budget or max_trials given: searching for %.0f seconds.", time_budget)
        return ForecastSettings(
            horizon=int(self.horizon),
            budget=Budget(time_budget, self.max_trials, self.exit_score, self.patience),
            metric=metric,
            season_length=self.season_length,
            freq=self.freq,
            columns=self.columns or ColumnSpec(),
            cv=self.cv or CVConfig(),
            allowed_models=None if self.allowed_models is None else list(self.allowed_models),
            blocked_models=None if self.blocked_models is None else list(self.blocked_models),
            group_by=None if self.group_by is None else list(self.group_by),
            holidays=self.holidays,
            seed=self.seed,
            progress=self.progress,
        )


def load(path: str | Path) -> AutoML:
    """Load a model written by :meth:`AutoML.save` (warns when package versions differ)."""
    obj = load_object(path)
    if not isinstance(obj, AutoML):
        raise ConfigError(f"{path} does not hold a tsautoml AutoML model (found {type(obj).__name__}).")
    return obj
