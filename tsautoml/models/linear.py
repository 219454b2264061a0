"""Ridge regression as a global forecasting learner (see :mod:`tsautoml.models.regression`)."""

from __future__ import annotations

import warnings

import numpy as np
from scipy.linalg import LinAlgWarning
from sklearn.impute import SimpleImputer
from sklearn.linear_model import Ridge as _SkRidge
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

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
from tsautoml.models.spec import FitMemory, FloatRange, LearnerSpec

__all__ = ["Ridge"]


class Ridge(GlobalRegressionLearner):
    """L2-penalised linear regression (scikit-learn ``Ridge``) across all series.

    A missing feature (the first lags of a series, gaps in the history) is replaced by
    the mean of its column over the training rows, and a 0/1 indicator column is added
    for every feature that had missing values in training. Features are then
    standardised, so ``alpha`` penalises every coefficient alike.

    Parameters
    ----------
    alpha
        Strength of the L2 penalty (on standardised features).

    The feature and context parameters (``strategy``, ``target_transform``, ``lags``,
    ``calendar``, ``fourier_order``, ``horizon``, ``season_length``, ``holidays``,
    ``holiday_column``, ``seed``, ``n_jobs``, ``max_history``) are those of
    :class:`~tsautoml.models.regression.GlobalRegressionLearner`.

    Examples
    --------
    >>> from tsautoml.data.grouped import Panel
    >>> from tsautoml.testing import make_panel
    >>> panel = Panel.from_frame(make_panel(4, seed=0))
    >>> model = Ridge(alpha=1.0, lags="short", horizon=7, season_length=7).fit(panel)
    >>> forecast = model.predict(7)
    >>> forecast.mean.shape, bool(np.isfinite(forecast.mean).all())
    ((4, 7), True)
    """

    spec = LearnerSpec(
        "Ridge", cost=15.0, across_series=True,
        starts=lambda ctx: ({**feature_start(ctx), "alpha": 1.0},),
        domain=lambda ctx: {**feature_domain(ctx), "alpha": FloatRange(1e-3, 1e3, log=True)},
        memory=FitMemory(copies=7),  # imputed + indicators, scaled, centred, slack
    )

    def __init__(
        self,
        *,
        alpha: float = 1.0,
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
        self.alpha = alpha

    def _check_params(self) -> None:
        super()._check_params()
        alpha = self.alpha
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.number)) or not alpha >= 0:
            raise ConfigError(f"alpha must be a number >= 0, got {self.alpha!r}.")

    def _regressor_importance(self, model: Pipeline) -> np.ndarray:
        weights = np.abs(model[-1].coef_)  # on standardized inputs: the effect of one standard deviation
        return _per_feature(model, weights)

    def _regressor_contributions(self, model: Pipeline, X: np.ndarray) -> np.ndarray:
        imputer, scaler, ridge = model[0], model[1], model[2]
        standardized = scaler.transform(imputer.transform(X))
        parts = _per_feature(model, standardized * ridge.coef_)  # a missing-value indicator counts for its feature
        return np.column_stack([parts, np.full(len(X), float(ridge.intercept_))])

    def _fit_regressor(self, X: np.ndarray, y: np.ndarray, deadline: float | None) -> Pipeline:
        check_deadline(deadline)
        model = make_pipeline(
            SimpleImputer(strategy="mean", add_indicator=True, keep_empty_features=True),
            StandardScaler(),
            _SkRidge(alpha=float(self.alpha)),
        )
        with warnings.catch_warnings():  # collinear lags with a small alpha: the solve is still exact enough
            warnings.simplefilter("ignore", LinAlgWarning)
            return model.fit(X, y)


def _per_feature(model: Pipeline, values: np.ndarray) -> np.ndarray:
    """Values over the imputer's outputs (features, then missing indicators) summed per input feature."""
    imputer = model[0]
    n = imputer.n_features_in_
    out = np.array(values[..., :n], dtype=np.float64)
    if imputer.indicator_ is not None:
        np.add.at(out.T, imputer.indicator_.features_, np.moveaxis(values[..., n:], -1, 0))
    return out
