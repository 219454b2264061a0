"""A table of mixed columns turned into one dense, finite float64 matrix.

:class:`TabularFeaturizer` profiles the columns (:func:`~tsautoml.features.tabular.profile_columns`)
and builds a scikit-learn ``ColumnTransformer`` with one pipeline per column kind. Every
statistic (medians, categories, target means, vocabularies) is learnt in ``fit`` only, so a
transformed row depends on the fit data and that row alone.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from typing import Literal, get_args

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler, TargetEncoder
from sklearn.utils.multiclass import type_of_target

from tsautoml.exceptions import ConfigError, DataValidationError, NotFittedError
from tsautoml.features.tabular._values import name_list, str_columns
from tsautoml.features.tabular.kinds import (
    ColumnKind,
    ColumnProfile,
    check_max_onehot,
    profile_columns,
)
from tsautoml.features.tabular.transformers import (
    BooleanEncoder,
    CategoricalCaster,
    DatetimeExpander,
    NumericCoercer,
    TextVectorizer,
)

__all__ = ["FLAVORS", "TARGET_TYPES", "Flavor", "TabularFeaturizer", "TargetType"]

logger = logging.getLogger(__name__)

Flavor = Literal["tree", "linear"]
#: Featurization flavors: ``"tree"`` (ordinal codes, no scaling) or ``"linear"``
#: (one-hot codes, standardized numbers).
FLAVORS: tuple[str, ...] = get_args(Flavor)
TargetType = Literal["auto", "binary", "multiclass", "continuous"]
#: Target types passed to scikit-learn's ``TargetEncoder``.
TARGET_TYPES: tuple[str, ...] = get_args(TargetType)

MISSING_TOKEN = "__missing__"
# ColumnTransformer step names, in output order; "high_cardinality" holds those categoricals.
_GROUPS = ("numeric", "boolean", "categorical", "high_cardinality", "datetime", "text")


class TabularFeaturizer(TransformerMixin, BaseEstimator):
    """Featurize a DataFrame of numeric, boolean, categorical, date and text columns.

    Per column kind (see :mod:`tsautoml.features.tabular.kinds`):

    - numeric: median imputation plus a missing indicator (``missingindicator_<col>``) for
      columns with missing values in fit; ``"linear"`` standardizes.
    - boolean: 1/0, most frequent value imputed, plus a missing indicator.
    - categorical: ``"tree"`` ordinal codes (unseen -1, missing -2); ``"linear"`` one-hot
      columns ``<col>_<level>`` (missing is its own level, unseen levels are all zeros).
    - categorical with more than ``max_onehot`` levels: scikit-learn's ``TargetEncoder``,
      cross-fitted in :meth:`fit_transform` (``"linear"`` standardizes). Without ``y`` in
      fit: ordinal codes (``"tree"``) or one-hot of the ``max_onehot`` most frequent levels.
    - datetime: ``<col>__year``, ``__month``, ``__day``, ``__dayofweek``, ``__dayofyear``,
      ``__hour`` (if times of day occur), ``__trend``; median imputation plus indicators.
    - text: TF-IDF of words and word pairs, ``<col>__tfidf__<term>``.
    - drop: not used (all missing, constant or id-like).

    Parameters
    ----------
    flavor
        ``"tree"`` for tree models, ``"linear"`` for linear and distance-based models.
    kinds
        Column kinds chosen by the user, overriding inference (e.g. ``{"zip": "categorical"}``).
    max_onehot
        Categorical columns with more levels are target-encoded.
    max_text_features
        Most TF-IDF columns in total over all text columns.
    target_type
        Target type for ``TargetEncoder``; pass ``"continuous"`` for regression.
    random_state
        Seed of the ``TargetEncoder`` cross-fitting folds.

    Attributes
    ----------
    profiles_ : dict[str, ColumnProfile]
        Kind and statistics of every input column.
    columns_ : list[str]
        Input column names in fit order.
    used_columns_ : list[str]
        Columns that make features (not dropped); ``transform`` needs these.
    column_transformer_ : sklearn.compose.ColumnTransformer
        The fitted transformer.
    n_features_out_ : int
        Number of output columns.

    Examples
    --------
    >>> X = pd.DataFrame({
    ...     "age": [31.0, None, 45.0, 52.0],
    ...     "city": ["Paris", "Lyon", None, "Paris"],
    ...     "member": ["yes", "no", "yes", "yes"],
    ... })
    >>> featurizer = TabularFeaturizer(flavor="linear").fit(X)
    >>> featurizer.get_feature_names_out().tolist()
    ['age', 'missingindicator_age', 'member', 'city_Lyon', 'city_Paris', 'city_nan']
    >>> new = pd.DataFrame({"city": ["Nice"], "age": [None], "member": [None]})
    >>> featurizer.transform(new).round(2).tolist()  # age: median 45 scaled; Nice: unseen
    [[0.23, 1.73, 1.0, 0.0, 0.0, 0.0]]
    """

    def __init__(
        self,
        flavor: Flavor = "tree",
        kinds: Mapping[str, ColumnKind] | None = None,
        max_onehot: int = 15,
        max_text_features: int = 200,
        target_type: TargetType = "auto",
        random_state: int | None = 0,
    ) -> None:
        self.flavor = flavor
        self.kinds = kinds
        self.max_onehot = max_onehot
        self.max_text_features = max_text_features
        self.target_type = target_type
        self.random_state = random_state

    def fit(self, X: pd.DataFrame, y: ArrayLike | None = None) -> TabularFeaturizer:
        """Profile the columns and fit one pipeline per column kind.

        Parameters
        ----------
        X
            The training table.
        y
            The target; needed to target-encode high-cardinality categoricals.

        Raises
        ------
        DataValidationError
            If ``X`` is not a DataFrame, has no rows, duplicated names, no usable column, or
            a numeric column holds values that are not numbers; or ``y`` does not fit ``X``.
        ConfigError
            If a setting is invalid.
        """
        self._fit(X, y)
        return self

    def fit_transform(
        self, X: pd.DataFrame, y: ArrayLike | None = None, **fit_params: object
    ) -> np.ndarray:
        """Fit, and return the features of ``X`` with cross-fitted target encodings.

        The target-encoded columns of the training rows come from ``TargetEncoder``'s
        cross-fitting (each row encoded by folds that exclude it), so they do not leak
        ``y``; :meth:`transform` uses encodings learnt on all of ``X``.
        """
        if fit_params:
            raise ConfigError(
                f"TabularFeaturizer.fit_transform takes no fit parameters; got "
                f"{sorted(fit_params)}. Pass only X and y."
            )
        return self._fit(X, y)

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        """Features of ``X``: a dense, finite float64 array with ``n_features_out_`` columns.

        Columns are selected by name: their order does not matter and extra columns are
        ignored. Missing values, columns that are entirely missing and unseen categories are
        handled with the statistics learnt in fit.

        Raises
        ------
        DataValidationError
            If a column used in fit is absent, or a numeric column holds non-numbers.
        """
        if not hasattr(self, "column_transformer_"):
            raise NotFittedError("This TabularFeaturizer is not fitted yet. Call fit first.")
        X = str_columns(X)
        absent = [c for c in self.used_columns_ if c not in set(X.columns)]
        if absent:
            raise DataValidationError(
                f"X is missing columns {name_list(absent)} that the model was trained on. "
                "Add them (entirely missing values are fine) or refit without them."
            )
        out = self.column_transformer_.transform(X[self.used_columns_])
        return np.asarray(out, dtype=np.float64)

    def get_feature_names_out(self, input_features: ArrayLike | None = None) -> np.ndarray:
        """Output column names, e.g. ``age``, ``missingindicator_age``, ``city_Paris``."""
        if not hasattr(self, "feature_names_out_"):
            raise NotFittedError("This TabularFeaturizer is not fitted yet. Call fit first.")
        if input_features is not None:
            given = [str(f) for f in np.asarray(input_features, dtype=object).ravel()]
            if given != self.columns_:
                raise DataValidationError(
                    f"input_features {name_list(given)} differ from the fitted columns "
                    f"{name_list(self.columns_)}. Pass None or the columns seen in fit."
                )
        return np.asarray(self.feature_names_out_, dtype=object)

    def _fit(self, X: pd.DataFrame, y: ArrayLike | None) -> np.ndarray:
        self._check_params()
        X = str_columns(X)
        if len(X) == 0:
            raise DataValidationError("X has no rows. Pass at least one row to fit.")
        target = _check_target(y, len(X))
        profiles = profile_columns(X, self.kinds, max_onehot=self.max_onehot)
        groups = _group_columns(profiles)
        used = [name for columns in groups.values() for name in columns]
        transformer = ColumnTransformer(
            [(g, self._pipeline(g, target), cols) for g, cols in groups.items()],
            remainder="drop",
            sparse_threshold=0.0,
            verbose_feature_names_out=True,
        )
        out = np.asarray(transformer.fit_transform(X[used], target), dtype=np.float64)
        names = _readable_names(transformer.get_feature_names_out())
        if not names:
            raise DataValidationError(
                f"The columns {name_list(used)} gave no features (e.g. text without words). "
                "Add informative columns or pin other kinds."
            )
        self.profiles_, self.columns_, self.used_columns_ = profiles, list(X.columns), used
        self.column_transformer_, self.feature_names_out_ = transformer, names
        self.n_features_out_ = len(names)
        logger.debug("Featurized %d columns into %d features.", len(used), len(names))
        return out

    def _check_params(self) -> None:
        if self.flavor not in FLAVORS:
            raise ConfigError(f"flavor must be one of {FLAVORS}; got {self.flavor!r}.")
        if self.target_type not in TARGET_TYPES:
            raise ConfigError(
                f"target_type must be one of {TARGET_TYPES}; got {self.target_type!r}."
            )
        check_max_onehot(self.max_onehot)
        count = self.max_text_features
        if isinstance(count, bool) or not isinstance(count, int | np.integer) or count < 1:
            raise ConfigError(f"max_text_features must be an integer >= 1; got {count!r}.")

    def _pipeline(self, group: str, target: np.ndarray | None) -> Pipeline:
        linear = self.flavor == "linear"
        steps: list[tuple[str, object]]
        if group in ("numeric", "datetime"):
            first = NumericCoercer() if group == "numeric" else DatetimeExpander()
            steps = [("read", first), ("impute", _median_imputer())]
        elif group == "boolean":
            imputer = SimpleImputer(
                strategy="most_frequent", add_indicator=True, keep_empty_features=True
            )
            return Pipeline([("read", BooleanEncoder()), ("impute", imputer)])
        elif group == "text":
            return Pipeline([("tfidf", TextVectorizer(max_features=self.max_text_features))])
        elif group == "high_cardinality" and target is not None:
            encoder = _target_encoder(self.target_type, self.random_state, target)
            steps = [("read", CategoricalCaster(missing=MISSING_TOKEN)), ("encode", encoder)]
        else:
            return Pipeline([("read", CategoricalCaster()), ("encode", self._code_encoder(group))])
        return Pipeline([*steps, ("scale", StandardScaler())] if linear else steps)

    def _code_encoder(self, group: str) -> OneHotEncoder | OrdinalEncoder:
        if self.flavor == "tree":
            return OrdinalEncoder(
                handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-2
            )
        if group == "high_cardinality":  # no y to target-encode: most frequent levels only
            return OneHotEncoder(
                handle_unknown="infrequent_if_exist",
                max_categories=self.max_onehot,
                sparse_output=False,
            )
        return OneHotEncoder(handle_unknown="ignore", sparse_output=False)


def _target_encoder(
    target_type: TargetType, random_state: int | None, target: np.ndarray
) -> TargetEncoder:
    """``TargetEncoder`` with seeded, shuffled cross-fitting folds.

    scikit-learn 1.9 deprecates ``shuffle`` / ``random_state`` in favour of a splitter as
    ``cv``; older versions only take an integer ``cv``.
    """
    if TargetEncoder().get_params().get("random_state") != "deprecated":
        return TargetEncoder(target_type=target_type, random_state=random_state)
    kind = target_type if target_type != "auto" else type_of_target(target, input_name="y")
    splitter: KFold | StratifiedKFold = (
        StratifiedKFold(5, shuffle=True, random_state=random_state)
        if kind in ("binary", "multiclass")
        else KFold(5, shuffle=True, random_state=random_state)
    )
    return TargetEncoder(target_type=target_type, cv=splitter)


def _median_imputer() -> SimpleImputer:
    return SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True)


def _check_target(y: ArrayLike | None, n_rows: int) -> np.ndarray | None:
    if y is None:
        return None
    target = np.asarray(y)
    if target.ndim == 2 and target.shape[1] == 1:
        target = target.ravel()
    if target.ndim != 1 or len(target) != n_rows:
        raise DataValidationError(
            f"y must be 1-D with one value per row of X ({n_rows}); got shape {target.shape}."
        )
    n_missing = int(pd.isna(target).sum())
    if n_missing:
        raise DataValidationError(
            f"y has {n_missing} missing values. Drop those rows of X and y before fitting."
        )
    return target


def _group_columns(profiles: Mapping[str, ColumnProfile]) -> dict[str, list[str]]:
    """Columns per ColumnTransformer step (non-empty steps only, in ``_GROUPS`` order)."""
    groups: dict[str, list[str]] = {group: [] for group in _GROUPS}
    for name, profile in profiles.items():
        if profile.kind == "drop":
            continue
        group = "high_cardinality" if profile.high_cardinality else profile.kind
        groups[group].append(name)
    groups = {group: columns for group, columns in groups.items() if columns}
    if not groups:
        dropped = [f"{_reprname(p.name)} ({p.reason})" for p in profiles.values()]
        raise DataValidationError(
            f"No column can be used: every column was dropped: {', '.join(dropped[:10])}"
            f"{' ...' if len(dropped) > 10 else ''}. Add informative columns, or pin kinds "
            "with kinds={column: kind} to keep some."
        )
    return groups


def _reprname(name: str) -> str:
    """A column name shortened for messages."""
    return name_list([name])


def _readable_names(verbose: np.ndarray) -> list[str]:
    """Drop the ``<step>__`` prefix unless two outputs would then share a name."""
    short = [str(name).split("__", 1)[1] for name in verbose]
    counts = Counter(short)
    return [s if counts[s] == 1 else str(v) for s, v in zip(short, verbose, strict=True)]
