"""``AutoMLClassifier`` and ``AutoMLRegressor``: the table tasks as plain scikit-learn estimators.

They take what any scikit-learn estimator takes (arrays, DataFrames with mixed column
types; ``fit(X, y)``, ``predict``, ``score``), check it the way scikit-learn does, and run
:class:`~tsautoml.automl.AutoML` underneath. ``AutoML`` itself stays the one entry point
for every task; these two exist so that tools which expect a classifier or a regressor
by name and by behaviour (``check_estimator``, pipelines, model selection) get one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils import Tags
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d, validate_data

from tsautoml.automl import AutoML
from tsautoml.config import TabularCV
from tsautoml.exceptions import DataValidationError
from tsautoml.tabular import Featurization

__all__ = ["AutoMLClassifier", "AutoMLRegressor"]


class _TableEstimator(BaseEstimator):
    """What the two estimators share: their settings, input checks and the fitted ``AutoML``."""

    _task: ClassVar[str]

    def __init__(
        self,
        *,
        metric: str | None = None,
        time_budget: float | None = None,
        max_trials: int | None = None,
        exit_score: float | None = None,
        patience: int | None = None,
        allowed_models: Sequence[str] | None = None,
        blocked_models: Sequence[str] | None = None,
        cv: TabularCV | None = None,
        featurization: Featurization = "auto",
        seed: int = 0,
        n_jobs: int = 1,
        progress: bool = False,
    ) -> None:
        self.metric = metric
        self.time_budget = time_budget
        self.max_trials = max_trials
        self.exit_score = exit_score
        self.patience = patience
        self.allowed_models = allowed_models
        self.blocked_models = blocked_models
        self.cv = cv
        self.featurization = featurization
        self.seed = seed
        self.n_jobs = n_jobs
        self.progress = progress

    def fit(self, X: Any, y: Any) -> _TableEstimator:
        """Search, select and refit on ``X``, ``y``."""
        if y is None:
            raise DataValidationError(f"{type(self).__name__} requires y to be passed, but the target y is None.")
        X = self._checked(X, reset=True)
        y = column_or_1d(check_array(y, ensure_2d=False, dtype=None, ensure_all_finite=False, input_name="y"), warn=True)
        if len(y) != len(X):
            raise DataValidationError(f"X has {len(X)} rows but y has {len(y)}; pass one target per row.")
        y = self._checked_target(y)
        self.automl_ = AutoML(self._task, **self.get_params()).fit(X, y)  # type: ignore[arg-type]
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Class labels or values for the rows of ``X``."""
        check_is_fitted(self)
        return np.asarray(self.automl_.predict(self._checked(X, reset=False)))

    def leaderboard(self) -> pd.DataFrame:
        """Every trial and ensemble of the search, ranked."""
        check_is_fitted(self)
        return self.automl_.leaderboard()

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # the featurizer imputes missing values
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        tags.non_deterministic = False
        return tags

    def _checked(self, X: Any, *, reset: bool) -> Any:
        """``X`` checked as scikit-learn does (shape, feature names); DataFrames keep their column types."""
        if isinstance(X, pd.DataFrame):
            validate_data(self, X, reset=reset, skip_check_array=True)
            if len(X) < (2 if reset else 1):
                raise DataValidationError(f"Found array with {len(X)} sample(s) (shape={X.shape}) while a minimum "
                                          f"of {2 if reset else 1} is required.")
            return X
        array = validate_data(self, X, reset=reset, dtype=None, ensure_all_finite="allow-nan",
                              ensure_min_samples=2 if reset else 1)
        if array.dtype == object:
            return pd.DataFrame(array, columns=[f"x{j}" for j in range(array.shape[1])]).infer_objects()
        return array

    def _checked_target(self, y: np.ndarray) -> np.ndarray:
        return y


class AutoMLClassifier(ClassifierMixin, _TableEstimator):
    """AutoML classification as a scikit-learn classifier.

    Parameters are those of :class:`~tsautoml.automl.AutoML` for tables; ``n_jobs`` and
    ``progress`` default to one process and no bar, as scikit-learn estimators do.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = AutoMLClassifier(max_trials=2).fit(X, y)
    >>> clf.predict(X[:3]).tolist(), clf.predict_proba(X[:2]).shape
    ([0, 0, 0], (2, 3))
    """

    _task = "classification"

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, one column per class of ``classes_``."""
        check_is_fitted(self)
        return self.automl_.predict_proba(self._checked(X, reset=False))

    @property
    def classes_(self) -> np.ndarray:
        """The class labels, in the column order of :meth:`predict_proba`."""
        check_is_fitted(self, "automl_")
        return self.automl_.classes_

    def _checked_target(self, y: np.ndarray) -> np.ndarray:
        check_classification_targets(y)
        if np.unique(y[pd.notna(y)]).size < 2:
            raise DataValidationError("y has only one class; a classifier needs at least two classes.")
        return y


class AutoMLRegressor(RegressorMixin, _TableEstimator):
    """AutoML regression as a scikit-learn regressor.

    Parameters are those of :class:`~tsautoml.automl.AutoML` for tables; ``n_jobs`` and
    ``progress`` default to one process and no bar, as scikit-learn estimators do.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> X, y = load_diabetes(return_X_y=True)
    >>> AutoMLRegressor(max_trials=2).fit(X, y).predict(X[:2]).shape
    (2,)
    """

    _task = "regression"

    def _checked_target(self, y: np.ndarray) -> np.ndarray:
        try:
            return y.astype(np.float64)
        except (TypeError, ValueError):
            raise DataValidationError("y of a regression must hold numbers.") from None
