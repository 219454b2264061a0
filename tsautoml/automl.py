"""``AutoML``: the public entry point. Validates settings, builds the task's facade, saves and loads."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.pipeline import Pipeline
from sklearn.utils import ClassifierTags, RegressorTags, Tags

from tsautoml.backends import make_backend
from tsautoml.checks import raise_problems, setting_problems
from tsautoml.config import Budget, CVConfig, ScaleOut, TabularCV
from tsautoml.data.columns import ColumnSpec
from tsautoml.engine.sizes import parse_memory
from tsautoml.evaluation import Evaluation
from tsautoml.exceptions import ConfigError, NotFittedError
from tsautoml.explain import Explanation
from tsautoml.forecaster import Forecaster, ForecastSettings
from tsautoml.io.persistence import load_object, save_object
from tsautoml.setting_types import TASKS, TaskName, names
from tsautoml.tabular import Featurization, TabularModel, TabularSettings

__all__ = ["TASKS", "AutoML", "load"]

logger = logging.getLogger(__name__)

DEFAULT_TIME_BUDGET = {"forecasting": 300.0, "classification": 60.0, "regression": 60.0}
DEFAULT_METRIC = {"forecasting": "mase", "classification": "accuracy", "regression": "r2_score"}


class AutoML(BaseEstimator):
    """Search models for a task under your constraints and keep the best (or a blend).

    Parameters
    ----------
    task
        ``"forecasting"``, ``"classification"`` or ``"regression"``: one search loop, budget
        and leaderboard for all three.
    horizon
        Steps to forecast (forecasting).
    season_length
        Main seasonal period in steps; default from the frequency.
    freq
        pandas alias or integer step; inferred when None.
    metric
        Primary metric. Forecasting: ``"mase"`` by default; also smape, mape, mae, rmse,
        nrmse, nmae, wape. Classification: ``"accuracy"`` by default; also AUC_weighted,
        average_precision_score_weighted, norm_macro_recall, precision_score_weighted,
        f1_score_weighted, log_loss. Regression: ``"r2_score"`` by default; also
        spearman_correlation, normalized_root_mean_squared_error,
        normalized_mean_absolute_error.
    time_budget
        Seconds for the whole ``fit`` (search, selection and refit). When neither this nor
        ``max_trials`` is given, forecasting times the classic statistical models on a few
        series and searches for about 1.5 times what fitting them on every validation window
        would take (30 s to 30 min, printed; 300 s if they cannot be timed); classification and
        regression search for 60 s.
    max_trials
        Trials to evaluate at most.
    exit_score
        Stop the search once a trial reaches this score.
    patience
        Stop the search after this many trials in a row without a better score.
    allowed_models, blocked_models
        Model names to restrict the search to / to leave out (forecasting: ``FORECAST_LEARNERS``;
        tables: LightGBM, HistGradientBoosting, RandomForest, ExtraTrees, KNeighbors, and
        LogisticRegression or Ridge/ElasticNet).
    group_by
        Id columns whose groups each get their own search (e.g. ``["store"]``, or
        ``["unique_id"]`` for one search per series): all groups climb from cheap models to
        dearer ones under the one ``time_budget``, dearer models only where they can still win.
        Default: one search over all series, each series choosing its own blend.
    columns
        Column names (default ``unique_id``, ``ds``, ``y``; several id columns allowed).
    cv
        Validation scheme: :class:`CVConfig` (forecasting, rolling-origin windows) or
        :class:`TabularCV` (k-fold, stratified for classification, or a holdout fraction;
        default: 5-fold, or a 10% holdout on large tables). Explicit validation data go to
        ``fit(X, y, X_val=..., y_val=...)``.
    featurization
        Tables: ``"auto"`` (type inference, imputation, encodings, dates, text), ``"off"``
        (numeric columns as they are), ``{column: kind}`` to pin kinds (numeric, boolean,
        categorical, datetime, text, drop), or your own scikit-learn transformer.
    holidays
        Country code for holiday features of the gradient-boosting and linear models.
    refit
        Forecasting: True (default) re-estimates the chosen models on all the data before
        forecasting. False keeps the models the last validation window scored: each is fitted
        on every series up to that window's cutoff and run forward over the last points without
        re-estimation (statsforecast's ``forward``; global models update their features), so
        the forecast comes from the very models validated; it costs about as much as a refit.
    seed
        Seed of every random choice; with ``max_trials`` the result is reproducible.
    n_jobs
        Trials run in parallel (-1: every core; with ``backend="dask"``: Dask workers of the
        local cluster, -1: one per core).
    progress
        Show a progress bar.
    scale
        Where and how the search runs beyond one process: :class:`ScaleOut` (backend,
        ``dask_address``, ``max_memory``, ``run_dir``, ``resume``). The same five names as
        keywords still work for one release, with a ``DeprecationWarning``.

    Examples
    --------
    >>> from tsautoml.testing import make_panel
    >>> df = make_panel(3, min_length=40, max_length=60, nan_fraction=0.0)
    >>> model = AutoML(task="forecasting", horizon=7, max_trials=3, n_jobs=1, progress=False).fit(df)
    >>> model.predict().columns.tolist()
    ['unique_id', 'ds', 'forecast']
    >>> len(model.predict(level=[80]))
    21
    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True, as_frame=True)
    >>> clf = AutoML("classification", max_trials=2, n_jobs=1, progress=False).fit(X, y)
    >>> clf.predict_proba(X.head(2)).shape
    (2, 3)
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
        cv: CVConfig | TabularCV | None = None,
        holidays: str | None = None,
        refit: bool = True,
        featurization: Featurization = "auto",
        seed: int = 0,
        n_jobs: int = -1,
        progress: bool = True,
        scale: ScaleOut | None = None,
        **deprecated: Any,
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
        self.refit = refit
        self.featurization = featurization
        self.seed = seed
        self.n_jobs = n_jobs
        self.progress = progress
        self.scale = _scale_out(scale, deprecated)

    def fit(
        self, X: Any, y: Any = None, *, target: str | None = None, X_val: Any = None, y_val: Any = None
    ) -> AutoML:
        """Search, select and refit.

        Forecasting: ``fit(df)`` with ``df`` in long format. Classification / regression:
        ``fit(X, y)`` or ``fit(df, target="column")``, optionally with explicit validation
        data ``X_val, y_val`` (the final model is refitted on both).
        """
        raise_problems(setting_problems(self))
        if self.task == "forecasting":
            if y is not None or target is not None or X_val is not None:
                raise ConfigError("Forecasting takes one long-format frame: fit(df); y, target and X_val are for tables.")
            settings: ForecastSettings | TabularSettings = self.forecast_settings()
        else:
            settings = self.tabular_settings()
        scale = self.scale or ScaleOut()
        with make_backend(scale.backend, self.n_jobs, scale.dask_address) as backend:
            if isinstance(settings, ForecastSettings):
                model: Forecaster | TabularModel = Forecaster(settings, backend).fit(X)
            else:
                model = TabularModel(settings, backend).fit(X, y, target=target, X_val=X_val, y_val=y_val)
        del model.backend  # the workers are gone; the fitted model predicts (and pickles) on its own
        self.model_ = model
        return self

    def predict(
        self,
        X_future: pd.DataFrame | None = None,
        level: float | Sequence[float] | None = None,
        quantiles: float | Sequence[float] | None = None,
        *,
        df: pd.DataFrame | None = None,
    ) -> pd.DataFrame | np.ndarray:
        """Forecasts, or class labels / values for the rows of a table.

        Forecasting returns a frame: id column(s), time, ``forecast`` and
        ``forecast-lo-<level>``/``-hi-<level>``; ``X_future`` gives the known-future
        exogenous values for the horizon; ``quantiles`` (e.g. ``[0.1, 0.5, 0.9]``) adds
        ``forecast-q-<percent>`` columns instead of intervals. ``df`` (the observations that
        arrived since ``fit``, or the whole history again) forecasts its series from its end
        with the fitted models, without a search or a refit; new series need a global model
        (LightGBM, ridge) among the chosen ones. Tables: ``predict(X)``.
        """
        model = self._fitted()
        if isinstance(model, TabularModel):
            if X_future is None or level is not None or quantiles is not None or df is not None:
                raise ConfigError("For a table, call predict(X) with the rows to predict (no level, quantiles or df).")
            return model.predict(X_future)
        return model.predict(X_future, level, quantiles, df)

    def evaluate(
        self,
        test_df: Any,
        y: Any = None,
        *,
        metrics: Sequence[str] | None = None,
        level: float | Sequence[float] | None = None,
        quantiles: float | Sequence[float] | None = None,
        X_future: pd.DataFrame | None = None,
        df: pd.DataFrame | None = None,
    ) -> Evaluation:
        """Score the model on new data, overall and (forecasts) per series.

        Forecasting: ``evaluate(test_df)`` with the actuals of some or all forecast steps
        (id columns, time, target; exogenous future columns are read from it when the model
        needs them), MASE, sMAPE, MAPE, MAE, RMSE and WAPE by default, coverage and MSIS per
        level with ``level``, pinball with ``quantiles``; ``df`` scores the forecast from the end
        of that new history (as ``predict(df=...)``). Tables: ``evaluate(X, y)`` with the task's
        metrics.
        """
        model = self._fitted()
        if isinstance(model, TabularModel):
            if y is None or level is not None or quantiles is not None or X_future is not None or df is not None:
                raise ConfigError("For a table, call evaluate(X, y) with the rows and their labels or values.")
            return model.evaluate(test_df, y, metrics)
        if y is not None:
            raise ConfigError("For forecasting, call evaluate(test_df): the actuals are its target column, not y.")
        return model.evaluate(test_df, metrics, level, quantiles, X_future, df)

    def cross_validation(self, level: float | Sequence[float] | None = None) -> pd.DataFrame:
        """The search's out-of-fold forecasts in statsforecast's layout (no refit): ids, time, ``cutoff``,
        target, one column per model, ``forecast`` for the chosen combination, intervals with ``level``."""
        return self._forecaster("cross_validation").cross_validation(level)

    def explain(self, X: Any = None, y: Any = None, *, X_future: pd.DataFrame | None = None) -> Explanation:
        """Why the model predicts what it does (:class:`~tsautoml.explain.Explanation`).

        Forecasting: ``explain()``, or ``explain(X_future=...)`` with the known-future values
        when the models read them: which models serve each series with which weights, and for
        the global models each feature's importance, per family, and its part of every forecast.
        Tables: ``explain(X)`` or ``explain(X, y)`` (an ensemble needs ``y`` for permutation
        importances).
        """
        model = self._fitted()
        if isinstance(model, TabularModel):
            if X is None or X_future is not None:
                raise ConfigError("For a table, call explain(X) with the rows to explain (and y for an ensemble).")
            return model.explain(X, y)
        if y is not None or (X is not None and X_future is not None):
            raise ConfigError("For forecasting, call explain() or explain(X_future=...); there is no y.")
        return model.explain(X_future if X_future is not None else X)

    def report(self, path: str | Path, *, max_series: int = 6) -> Path:
        """Write one self-contained HTML report of the fitted model to ``path`` (images inlined, no network).

        Settings and versions, the data, the leaderboard, and for forecasts the model wins, a
        gallery of ``max_series`` forecasts, interval coverage and residuals on the back-test
        windows and the importances; for tables the guardrails. Returns the path written.
        """
        from tsautoml.html_report import write_report

        return write_report(self, path, max_series=max_series)

    def summary(self) -> dict[str, Any]:
        """What the fit did: task, metric, the chosen model or combination, why the search stopped, seconds, trials."""
        model = self._fitted()
        board = model.leaderboard()
        trials = int(board["trial"].notna().sum()) if "trial" in board else len(board)
        if isinstance(model, TabularModel):
            chosen, reason, seconds = model.chosen_, model.search_.stop_reason, model.elapsed_
        else:
            chosen, reason, seconds = model.report.selection, model.report.stop_reason, model.report.fit_time
        return {"task": self.task, "metric": model.settings.metric, "chosen": chosen, "stop_reason": reason,
                "fit_time": float(seconds), "trials": trials}

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities of the rows of ``X``, one column per class in ``classes_`` order."""
        return self._tabular("predict_proba").predict_proba(X)

    @property
    def classes_(self) -> np.ndarray:
        """The class labels (classification), in the column order of :meth:`predict_proba`."""
        return self._tabular("classes_").classes_

    def score(self, X: Any, y: Any) -> float:
        """The primary metric of the predictions for ``X`` against ``y`` (tables)."""
        return self._tabular("score").score(X, y)

    def guardrails(self) -> pd.DataFrame:
        """The data guardrails of a table: guardrail, status (passed/done/alerted), message, columns."""
        return self._tabular("guardrails").guardrails()

    def pipeline(self) -> Pipeline:
        """The fitted scikit-learn Pipeline (featurizer, then model or ensemble) of a table.

        It pickles and predicts on its own, without tsautoml's search code.
        """
        return self._tabular("pipeline").pipeline_

    def leaderboard(self) -> pd.DataFrame:
        """Every trial and combination: rank, model, parameters, metric per window and mean, times, status."""
        return self._fitted().leaderboard()

    def model_wins(self) -> pd.DataFrame:
        """How many series each chosen model serves (largest weight), and how many fell back."""
        return self._forecaster("model_wins").model_wins()

    def fallbacks(self) -> pd.DataFrame:
        """Series where a chosen model could not be fitted, what replaced it and why."""
        return self._forecaster("fallbacks").fallbacks()

    def series_notes(self) -> pd.DataFrame:
        """Series that are valid but unusual (constant, all zero, intermittent, extreme, too short), and what was done."""
        return self._forecaster("series_notes").series_notes()

    def group_choices(self) -> pd.DataFrame:
        """Each group's chosen models, mean weights, validation score and any note (one row without ``group_by``)."""
        return self._forecaster("group_choices").report.group_choices

    def group_leaderboard(self) -> pd.DataFrame:
        """Every (group, trial) with its status, score and error."""
        return self._forecaster("group_leaderboard").report.group_trials

    def unstarted_groups(self) -> pd.DataFrame:
        """The groups the time budget never reached, and the model they got instead."""
        return self._forecaster("unstarted_groups").report.unstarted

    def memory_plan(self) -> Any:
        """The memory plan (estimate, chunks, and what had to shrink, in ``changes``)."""
        return self._forecaster("memory_plan").report.plan

    def save(self, path: str | Path, *, overwrite: bool = False) -> Path:
        """Write ``model.pkl`` and ``manifest.json`` (with the pickle's sha256) into the folder ``path``.

        An existing model in ``path`` is replaced only with ``overwrite=True``.
        """
        model = self._fitted()
        settings = {k: v for k, v in self.get_params(deep=False).items() if k not in ("columns", "featurization", "scale")}
        settings["scale"] = None if self.scale is None else {k: str(v) if isinstance(v, Path) else v
                                                             for k, v in asdict(self.scale).items()}
        manifest = {"task": self.task, "settings": settings, "metric": model.settings.metric}
        if isinstance(model, Forecaster):
            fitted = model.fitted_
            manifest["schema"] = {
                **asdict(fitted.columns),
                "exogenous": fitted.exogenous,
                "freq": fitted.freq.alias if fitted.freq.alias is not None else fitted.freq.step,
                "season_length": fitted.freq.season_length,
                "n_series": len(fitted.ids),
            }
            manifest["selection"] = fitted.report.selection
        else:
            manifest["schema"] = {
                "columns": {str(name): p.kind for name, p in model.profiles_.items()},
                "classes": None if self.task == "regression" else model.classes_.tolist(),
            }
            manifest["selection"] = model.chosen_
        return save_object(self, path, manifest, overwrite=overwrite)

    def __sklearn_tags__(self) -> Tags:
        """scikit-learn's tags: a classifier or a regressor for tables, so ``cross_val_score`` and ``clone`` work."""
        tags = super().__sklearn_tags__()
        if self.task == "classification":
            tags.estimator_type, tags.classifier_tags = "classifier", ClassifierTags()
        elif self.task == "regression":
            tags.estimator_type, tags.regressor_tags = "regressor", RegressorTags()
        tags.target_tags.required = self.task != "forecasting"
        return tags

    def _fitted(self) -> Forecaster | TabularModel:
        if not hasattr(self, "model_"):
            what = "fit(df)" if self.task == "forecasting" else "fit(X, y)"
            raise NotFittedError(f"This AutoML is not fitted yet: call {what} first.")
        return self.model_

    def _tabular(self, method: str) -> TabularModel:
        model = self._fitted()
        if not isinstance(model, TabularModel):
            raise ConfigError(f"{method} is for classification and regression, not task={self.task!r}.")
        return model

    def _forecaster(self, method: str) -> Forecaster:
        model = self._fitted()
        if not isinstance(model, Forecaster):
            raise ConfigError(f"{method} is for forecasting, not task={self.task!r}.")
        return model

    def _budget(self) -> Budget:
        time_budget = self.time_budget
        if time_budget is None and self.max_trials is None:
            time_budget = DEFAULT_TIME_BUDGET[self.task]
            if self.task != "forecasting":  # forecasting sizes its default from the data (engine/default_budget.py)
                logger.info("No time_budget or max_trials given: searching for %.0f seconds.", time_budget)
        whole = {name: None if getattr(self, name) is None else int(getattr(self, name)) for name in ("max_trials", "patience")}
        return Budget(time_budget, exit_score=self.exit_score, **whole)

    def _models(self) -> dict[str, list[str] | None]:
        return {"allowed_models": names(self.allowed_models), "blocked_models": names(self.blocked_models)}

    def tabular_settings(self) -> TabularSettings:
        """The settings a classification / regression ``fit`` runs with (checked by ``fit``, not here)."""
        task: Literal["classification", "regression"] = "classification" if self.task == "classification" else "regression"
        metric = self.metric or DEFAULT_METRIC[task]
        return TabularSettings(
            task=task,
            budget=self._budget(),
            metric=metric,
            cv=self.cv,  # type: ignore[arg-type]  # a TabularCV, checked by setting_problems
            featurization=self.featurization,
            **self._models(),
            seed=self.seed,
            progress=self.progress,
        )

    def forecast_settings(self) -> ForecastSettings:
        """The settings a forecasting ``fit`` runs with (checked by ``fit``, not here)."""
        metric = self.metric or DEFAULT_METRIC["forecasting"]
        scale = self.scale or ScaleOut()
        parse_memory(scale.max_memory)  # a clear error before the search
        return ForecastSettings(
            horizon=int(self.horizon),  # type: ignore[arg-type]  # a whole number, checked by setting_problems
            budget=self._budget(),
            budget_from_data=self.time_budget is None and self.max_trials is None,
            metric=metric,
            season_length=None if self.season_length is None else int(self.season_length),
            freq=self.freq if self.freq is None or isinstance(self.freq, str) else int(self.freq),
            columns=self.columns or ColumnSpec(),
            cv=self.cv or CVConfig(),  # type: ignore[arg-type]  # a CVConfig, checked by setting_problems
            **self._models(),
            group_by=names(self.group_by),
            holidays=self.holidays,
            refit=self.refit,
            seed=self.seed,
            progress=self.progress,
            scale=scale,
        )


_SCALE_KEYWORDS = ("backend", "dask_address", "max_memory", "run_dir", "resume")


def _scale_out(scale: ScaleOut | None, deprecated: dict[str, Any]) -> ScaleOut | None:
    """``scale``, or one built from the scale-out keywords of the previous release (with a warning)."""
    unknown = sorted(set(deprecated) - set(_SCALE_KEYWORDS))
    if unknown:
        raise TypeError(f"AutoML() got unexpected keyword arguments {unknown}.")
    if not deprecated:
        return scale
    if scale is not None:
        raise ConfigError(f"Pass the scale-out settings once: scale=ScaleOut(...) or {sorted(deprecated)}, not both.")
    warnings.warn(
        f"AutoML({', '.join(f'{k}=...' for k in deprecated)}) is deprecated and will be removed in the next release; "
        f"pass scale=ScaleOut({', '.join(f'{k}=...' for k in deprecated)}) instead.",
        DeprecationWarning, stacklevel=3,
    )
    return ScaleOut(**deprecated)


def load(path: str | Path) -> AutoML:
    """Load a model written by :meth:`AutoML.save` (warns when package versions differ)."""
    obj = load_object(path)
    if not isinstance(obj, AutoML):
        raise ConfigError(f"{path} does not hold a tsautoml AutoML model (found {type(obj).__name__}).")
    return obj
