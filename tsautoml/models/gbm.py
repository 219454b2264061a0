"""LightGBM as a global forecasting learner, recursive or direct (see :mod:`tsautoml.models.regression`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, get_args

import lightgbm as lgb
import numpy as np

from tsautoml.data.grouped import Panel
from tsautoml.data.validation import series_labels, shorten
from tsautoml.exceptions import ConfigError
from tsautoml.models.base import check_deadline
from tsautoml.models.regression import (
    GlobalRegressionLearner,
    LagPreset,
    Strategy,
    TargetTransform,
    feature_domain,
    feature_start,
)
from tsautoml.models.spec import (
    Choice,
    Domain,
    FitMemory,
    FloatRange,
    ForecastContext,
    IntRange,
    LearnerSpec,
)

__all__ = ["GBM_OBJECTIVES", "LightGBM"]

Objective = Literal["l2", "l1", "tweedie", "poisson"]
GBM_OBJECTIVES: tuple[str, ...] = get_args(Objective)
_COUNT_OBJECTIVES = ("tweedie", "poisson")


def _domain(ctx: ForecastContext) -> dict[str, Domain]:
    objectives = ("l2", "l1", "poisson", "tweedie") if ctx.nonnegative else ("l2", "l1")
    return {
        **feature_domain(ctx),
        "objective": Choice(objectives),
        "n_estimators": IntRange(50, 800, log=True),
        "learning_rate": FloatRange(0.01, 0.3, log=True),
        "num_leaves": IntRange(8, 128, log=True),
        "min_child_samples": IntRange(5, 100, log=True),
        "colsample_bytree": FloatRange(0.5, 1.0),
        "reg_lambda": FloatRange(1e-3, 10.0, log=True),
    }


def _starts(ctx: ForecastContext) -> tuple[dict[str, Any], ...]:
    """Per-series scaling over the automatic lags; and first differences over short (or seasonal) lags.

    The second is the configuration mlforecast reports near the M4 winner on yearly data
    (differences, lags 1-6, LightGBM's defaults): a known-good start where the trend matters.
    """
    tree = {"objective": "l2", "num_leaves": 31, "min_child_samples": 20, "colsample_bytree": 0.8, "reg_lambda": 0.1}
    return (
        {**feature_start(ctx), **tree, "n_estimators": 200, "learning_rate": 0.05},
        {**feature_start(ctx), **tree, "target_transform": "diff", "lags": "seasonal" if ctx.season_length > 1 else "short",
         "n_estimators": 100, "learning_rate": 0.1},
    )


def _objective_fits_transform(params: dict[str, Any]) -> bool:
    """Count objectives cannot model differences."""
    return params.get("objective") not in _COUNT_OBJECTIVES or params.get("target_transform") != "diff"

class LightGBM(GlobalRegressionLearner):
    """Gradient-boosted trees (LightGBM) across all series.

    Missing features are left to LightGBM. Training is deterministic for a ``seed``
    (``deterministic=True``, row-wise histograms) whatever ``n_jobs``.

    Parameters
    ----------
    objective
        ``"l2"``, ``"l1"``, or for non-negative targets ``"poisson"`` / ``"tweedie"`` (these
        cannot model differences: not with ``target_transform="diff"``).
    n_estimators
        Boosting rounds.
    learning_rate
        Shrinkage of each tree.
    num_leaves
        Leaves per tree.
    min_child_samples
        Rows a leaf needs at least.
    colsample_bytree
        Fraction of the features each tree sees.
    reg_lambda
        L2 penalty on the leaf values.

    The feature and context parameters (``strategy``, ``target_transform``, ``lags``,
    ``calendar``, ``fourier_order``, ``horizon``, ``season_length``, ``holidays``,
    ``holiday_column``, ``seed``, ``n_jobs``, ``max_history``) are those of
    :class:`~tsautoml.models.regression.GlobalRegressionLearner`.

    Examples
    --------
    >>> from tsautoml.data.grouped import Panel
    >>> from tsautoml.testing import make_panel
    >>> panel = Panel.from_frame(make_panel(4, seed=0))
    >>> model = LightGBM(n_estimators=20, horizon=7, season_length=7).fit(panel)
    >>> forecast = model.predict(7)
    >>> forecast.mean.shape, bool(np.isfinite(forecast.mean).all())
    ((4, 7), True)
    """

    spec = LearnerSpec(
        "LightGBM", cost=60.0, starts=_starts, domain=_domain, valid=_objective_fits_transform, across_series=True,
        # column-wise uint8 bins and the row-wise copy; gradients, hessians, scores and partitions;
        # the sampled values that find bin edges (double + row index); histograms (128 leaves x 256 bins x 2 doubles)
        memory=FitMemory(cell=2, row=40, sample=12, sample_rows=200_000, fixed=128 * 256 * 16),
    )

    def __init__(
        self,
        *,
        objective: Objective = "l2",
        n_estimators: int = 300,
        learning_rate: float = 0.05,
        num_leaves: int = 31,
        min_child_samples: int = 20,
        colsample_bytree: float = 0.8,
        reg_lambda: float = 0.0,
        strategy: Strategy = "recursive",
        target_transform: TargetTransform = "scale",
        lags: LagPreset = "auto",
        calendar: bool = True,
        fourier_order: int = 2,
        horizon: int = 1,
        season_length: int | None = None,
        holidays: str | None = None,
        holiday_column: str | None = None,
        seed: int = 0,
        n_jobs: int = 1,
        max_history: int | None = None,
    ) -> None:
        super().__init__(
            strategy=strategy,
            target_transform=target_transform,
            lags=lags,
            calendar=calendar,
            fourier_order=fourier_order,
            horizon=horizon,
            season_length=season_length,
            holidays=holidays,
            holiday_column=holiday_column,
            seed=seed,
            n_jobs=n_jobs,
            max_history=max_history,
        )
        self.objective = objective
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.colsample_bytree = colsample_bytree
        self.reg_lambda = reg_lambda

    def _check_params(self) -> None:
        super()._check_params()
        if self.objective not in GBM_OBJECTIVES:
            raise ConfigError(f"objective={self.objective!r} is not one of {list(GBM_OBJECTIVES)}.")
        if self.objective in _COUNT_OBJECTIVES and self.target_transform == "diff":
            raise ConfigError(
                f"objective={self.objective!r} cannot be combined with target_transform='diff': "
                "differences can be negative but a count objective needs a non-negative target. "
                "Use target_transform='none' or 'scale', or objective='l2' or 'l1'."
            )
        for name, value, low in (
            ("n_estimators", self.n_estimators, 1),
            ("num_leaves", self.num_leaves, 2),
            ("min_child_samples", self.min_child_samples, 1),
        ):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise ConfigError(f"{name} must be an integer >= {low}, got {value!r}.")
        if not self.learning_rate > 0:
            raise ConfigError(f"learning_rate must be > 0, got {self.learning_rate!r}.")
        if not 0 < self.colsample_bytree <= 1:
            raise ConfigError(f"colsample_bytree must be in (0, 1], got {self.colsample_bytree!r}.")
        if not self.reg_lambda >= 0:
            raise ConfigError(f"reg_lambda must be >= 0, got {self.reg_lambda!r}.")

    def _check_panel(self, panel: Panel) -> None:
        if self.objective not in _COUNT_OBJECTIVES:
            return
        negative = np.nan_to_num(panel.target.values) < 0
        if negative.any():
            series = np.searchsorted(panel.indptr, np.flatnonzero(negative), side="right") - 1
            raise ConfigError(
                f"objective={self.objective!r} needs a non-negative target, but {int(negative.sum())} "
                f"values are negative (min {np.nanmin(panel.target.values):.4g}) in series "
                f"{shorten(series_labels(panel.ids, series))}. Use objective='l2' or 'l1'."
            )

    def _lgb_params(self) -> dict[str, Any]:
        return {
            "objective": self.objective,
            "learning_rate": float(self.learning_rate),
            "num_leaves": int(self.num_leaves),
            "min_data_in_leaf": int(self.min_child_samples),
            "feature_fraction": float(self.colsample_bytree),
            "lambda_l2": float(self.reg_lambda),
            "seed": int(self.seed),
            "deterministic": True,
            "force_row_wise": True,
            "num_threads": self._threads(),
            "verbose": -1,
        }

    def _threads(self) -> int:
        return 0 if self.n_jobs == -1 else int(self.n_jobs)  # 0: LightGBM's default, all cores

    def _fit_regressor(self, X: np.ndarray, y: np.ndarray, deadline: float | None) -> lgb.Booster:
        params = self._lgb_params()
        data = lgb.Dataset(X, label=y, params={"verbose": -1}, free_raw_data=True)
        return lgb.train(
            params, data, num_boost_round=int(self.n_estimators), callbacks=[_deadline_callback(deadline)]
        )

    def _predict_regressor(self, model: lgb.Booster, X: np.ndarray) -> np.ndarray:
        # Booster.predict does not reuse the training threads: without num_threads it takes every core
        return np.asarray(model.predict(X, num_threads=self._threads()), dtype=np.float64)

    def _regressor_importance(self, model: lgb.Booster) -> np.ndarray:
        return np.asarray(model.feature_importance(importance_type="gain"), dtype=np.float64)

    def _log_link(self) -> bool:
        return self.objective in _COUNT_OBJECTIVES

    def _regressor_contributions(self, model: lgb.Booster, X: np.ndarray) -> np.ndarray:
        # SHAP values, exact for trees (TreeSHAP): one column per feature, then the expected value
        return np.asarray(model.predict(X, pred_contrib=True, num_threads=self._threads()), dtype=np.float64)


def _deadline_callback(deadline: float | None) -> Callable[[Any], None]:
    """A LightGBM callback raising :class:`TrialTimeout` once past ``deadline`` (every iteration)."""

    def callback(env: Any) -> None:
        check_deadline(deadline)

    callback.order = 0  # type: ignore[attr-defined]  # run before the built-in callbacks
    return callback
