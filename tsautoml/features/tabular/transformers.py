"""Small scikit-learn transformers for one column kind each.

Each takes a DataFrame (or a 2-D array, whose columns are then named ``x0``, ``x1``, ...),
works column by column, returns a 2-D numpy array and names its outputs with
``get_feature_names_out``. Fitted attributes end with ``_``; all are picklable.

- :class:`NumericCoercer`: numbers as float64, an error naming values that are not numbers.
- :class:`BooleanEncoder`: true/false-like values as 1.0 / 0.0.
- :class:`CategoricalCaster`: labels as strings so encoders work on mixed types.
- :class:`DatetimeExpander`: date parts and a numeric trend.
- :class:`TextVectorizer`: TF-IDF of words and word pairs, dense.
"""

from __future__ import annotations

import logging
import reprlib
from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer

from tsautoml.exceptions import ConfigError, DataValidationError, NotFittedError
from tsautoml.features.tabular._values import (
    str_columns,
    to_bool_float,
    to_datetime,
    to_float,
    to_str,
    years_since_1970,
)

__all__ = [
    "BooleanEncoder",
    "CategoricalCaster",
    "DatetimeExpander",
    "NumericCoercer",
    "TextVectorizer",
]

logger = logging.getLogger(__name__)

#: Date parts made by :class:`DatetimeExpander` for every column (``hour`` is added when the
#: fit data had times of day; ``trend`` is the time in fractional years since 1970).
DATE_PARTS: tuple[str, ...] = ("year", "month", "day", "dayofweek", "dayofyear")
_MIN_DF_ROWS = 20


class _ColumnwiseTransformer(TransformerMixin, BaseEstimator):
    """Shared input handling: a DataFrame with string column names, checked widths."""

    def _fit_frame(self, X: pd.DataFrame | ArrayLike) -> pd.DataFrame:
        frame = _as_frame(X)
        self.n_features_in_ = frame.shape[1]
        if isinstance(X, pd.DataFrame):
            self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        return frame

    def _transform_frame(self, X: pd.DataFrame | ArrayLike) -> pd.DataFrame:
        if not hasattr(self, "n_features_in_"):
            raise NotFittedError(f"This {type(self).__name__} is not fitted yet. Call fit first.")
        frame = _as_frame(X)
        if frame.shape[1] != self.n_features_in_:
            raise DataValidationError(
                f"X has {frame.shape[1]} columns but {type(self).__name__} was fitted on "
                f"{self.n_features_in_}. Pass the same columns as in fit."
            )
        return frame

    def _input_names(self, input_features: ArrayLike | None = None) -> list[str]:
        if not hasattr(self, "n_features_in_"):
            raise NotFittedError(f"This {type(self).__name__} is not fitted yet. Call fit first.")
        if input_features is not None:
            names = [str(f) for f in np.asarray(input_features, dtype=object).ravel()]
            if len(names) != self.n_features_in_:
                raise DataValidationError(
                    f"input_features has {len(names)} names but {self.n_features_in_} columns "
                    "were fitted. Pass one name per column, or None."
                )
            return names
        if hasattr(self, "feature_names_in_"):
            return [str(f) for f in self.feature_names_in_]
        return [f"x{i}" for i in range(self.n_features_in_)]


class NumericCoercer(_ColumnwiseTransformer):
    """Numbers as float64: missing values and infinities become NaN, others must parse.

    Booleans become 0/1, dates seconds since 1970, durations seconds, and strings such as
    ``"3.5"`` are parsed; a value that is not a number raises a
    :class:`~tsautoml.exceptions.DataValidationError` naming the column and a few values.

    Examples
    --------
    >>> X = pd.DataFrame({"age": ["31", None, "4.5e1"]})
    >>> NumericCoercer().fit_transform(X)
    array([[31.],
           [nan],
           [45.]])
    >>> NumericCoercer().fit(X).transform(pd.DataFrame({"age": ["31", "unknown"]}))
    Traceback (most recent call last):
    ...
    tsautoml.exceptions.DataValidationError: Column 'age' is numeric but holds 1 values that are not numbers, e.g. ['unknown']. ...
    """

    def fit(self, X: pd.DataFrame | ArrayLike, y: ArrayLike | None = None) -> NumericCoercer:
        """Check the columns hold numbers and remember their names."""
        self._convert(self._fit_frame(X))
        return self

    def transform(self, X: pd.DataFrame | ArrayLike) -> np.ndarray:
        """Float64 array with one column per input column."""
        return self._convert(self._transform_frame(X))

    def _convert(self, frame: pd.DataFrame) -> np.ndarray:
        names = self._input_names()
        return _stack([to_float(frame.iloc[:, j], n) for j, n in enumerate(names)], len(frame))

    def get_feature_names_out(self, input_features: ArrayLike | None = None) -> np.ndarray:
        """The input column names."""
        return np.asarray(self._input_names(input_features), dtype=object)


class BooleanEncoder(_ColumnwiseTransformer):
    """True/false-like values as 1.0 / 0.0; missing and any other value become NaN.

    True-like: ``True``, ``"true"``, ``"yes"``, ``"y"``, ``"t"``, ``1``; false-like:
    ``False``, ``"false"``, ``"no"``, ``"n"``, ``"f"``, ``0``; strings in any case.

    Examples
    --------
    >>> X = pd.DataFrame({"member": ["Yes", "no", None, "maybe"], "active": [True, False, True, None]})
    >>> BooleanEncoder().fit_transform(X)
    array([[ 1.,  1.],
           [ 0.,  0.],
           [nan,  1.],
           [nan, nan]])
    """

    def fit(self, X: pd.DataFrame | ArrayLike, y: ArrayLike | None = None) -> BooleanEncoder:
        """Remember the column names (the mapping is fixed)."""
        self._fit_frame(X)
        return self

    def transform(self, X: pd.DataFrame | ArrayLike) -> np.ndarray:
        """Float64 array of 1.0, 0.0 and NaN, one column per input column."""
        frame = self._transform_frame(X)
        return _stack([to_bool_float(frame.iloc[:, j]) for j in range(frame.shape[1])], len(frame))

    def get_feature_names_out(self, input_features: ArrayLike | None = None) -> np.ndarray:
        """The input column names."""
        return np.asarray(self._input_names(input_features), dtype=object)


class CategoricalCaster(_ColumnwiseTransformer):
    """Category labels as strings, so encoders work on columns of mixed types.

    Integral floats lose their ``.0`` (``1.0`` and ``1`` are the same label, as happens when
    a missing value turns an integer column into floats).

    Parameters
    ----------
    missing
        Label for missing values; ``None`` keeps them as ``np.nan`` (which
        ``OneHotEncoder`` and ``OrdinalEncoder`` treat as missing).

    Examples
    --------
    >>> X = pd.DataFrame({"code": [1, "b", None, 2.0]})
    >>> CategoricalCaster().fit_transform(X).ravel().tolist()
    ['1', 'b', nan, '2']
    >>> CategoricalCaster(missing="__missing__").fit_transform(X).ravel().tolist()
    ['1', 'b', '__missing__', '2']
    """

    def __init__(self, missing: str | None = None) -> None:
        self.missing = missing

    def fit(self, X: pd.DataFrame | ArrayLike, y: ArrayLike | None = None) -> CategoricalCaster:
        """Remember the column names (casting is fixed)."""
        self._fit_frame(X)
        return self

    def transform(self, X: pd.DataFrame | ArrayLike) -> np.ndarray:
        """Object array of strings (and ``missing``), one column per input column."""
        frame = self._transform_frame(X)
        out = np.empty(frame.shape, dtype=object)
        for j in range(frame.shape[1]):
            out[:, j] = to_str(frame.iloc[:, j], self.missing)
        return out

    def get_feature_names_out(self, input_features: ArrayLike | None = None) -> np.ndarray:
        """The input column names."""
        return np.asarray(self._input_names(input_features), dtype=object)


class DatetimeExpander(_ColumnwiseTransformer):
    """Date parts and a trend from date columns.

    Columns that are not ``datetime64`` are parsed with
    ``pd.to_datetime(errors="coerce", format="mixed")`` (unparseable values become missing);
    time-zone aware columns use their wall time. Each column ``c`` gives ``c__year``,
    ``c__month``, ``c__day``, ``c__dayofweek`` (Monday = 0), ``c__dayofyear``, ``c__hour``
    (only when some value in fit had a time of day other than midnight) and ``c__trend``,
    the time in fractional years since 1970-01-01. Missing times give NaN.

    Examples
    --------
    >>> X = pd.DataFrame({"signup": ["2024-03-01", None, "2025-01-31"]})
    >>> expander = DatetimeExpander().fit(X)
    >>> expander.get_feature_names_out().tolist()
    ['signup__year', 'signup__month', 'signup__day', 'signup__dayofweek', 'signup__dayofyear', 'signup__trend']
    >>> expander.transform(X)[:, :5].tolist()
    [[2024.0, 3.0, 1.0, 4.0, 61.0], [nan, nan, nan, nan, nan], [2025.0, 1.0, 31.0, 4.0, 31.0]]
    >>> round(float(expander.transform(X)[0, 5]), 3)  # 2024-03-01 in years since 1970
    54.164
    """

    def fit(self, X: pd.DataFrame | ArrayLike, y: ArrayLike | None = None) -> DatetimeExpander:
        """Find which columns have times of day."""
        frame = self._fit_frame(X)
        self.has_hour_: list[bool] = []
        for j in range(frame.shape[1]):
            stamps = to_datetime(frame.iloc[:, j]).dropna()
            self.has_hour_.append(bool((stamps != stamps.dt.normalize()).any()))
        return self

    def transform(self, X: pd.DataFrame | ArrayLike) -> np.ndarray:
        """Float64 array of the parts of every column, in :meth:`get_feature_names_out` order."""
        frame = self._transform_frame(X)
        columns: list[np.ndarray] = []
        for j, has_hour in enumerate(self.has_hour_):
            stamps = to_datetime(frame.iloc[:, j])
            parts = [*DATE_PARTS, "hour"] if has_hour else list(DATE_PARTS)
            columns += [_date_part(stamps, part) for part in parts]
            columns.append(years_since_1970(stamps))
        return _stack(columns, len(frame))

    def get_feature_names_out(self, input_features: ArrayLike | None = None) -> np.ndarray:
        """``<column>__<part>`` for every column and part."""
        names = self._input_names(input_features)
        out: list[str] = []
        for name, has_hour in zip(names, self.has_hour_, strict=True):
            parts = [*DATE_PARTS, "hour"] if has_hour else list(DATE_PARTS)
            out += [f"{name}__{part}" for part in [*parts, "trend"]]
        return np.asarray(out, dtype=object)


class TextVectorizer(_ColumnwiseTransformer):
    """TF-IDF of the words and word pairs of text columns, as a dense float64 array.

    Each column gets its own ``TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2))``
    with ``max_features // n_columns`` terms (at least 1), keeping terms seen in at least 2
    rows when there are 20 rows or more. Missing text is the empty string. A column whose
    vocabulary is empty (no word of two or more characters) gives no features; it is listed
    in ``empty_columns_``.

    Parameters
    ----------
    max_features
        Most TF-IDF columns in total, split evenly across the text columns.

    Examples
    --------
    >>> X = pd.DataFrame({"review": ["great product", "awful, broke", None, "great value"]})
    >>> vectorizer = TextVectorizer(max_features=3).fit(X)
    >>> vectorizer.get_feature_names_out().tolist()
    ['review__tfidf__awful', 'review__tfidf__awful broke', 'review__tfidf__great']
    >>> vectorizer.transform(X).round(2)
    array([[0.  , 0.  , 1.  ],
           [0.71, 0.71, 0.  ],
           [0.  , 0.  , 0.  ],
           [0.  , 0.  , 1.  ]])
    """

    def __init__(self, max_features: int = 200) -> None:
        self.max_features = max_features

    def fit(self, X: pd.DataFrame | ArrayLike, y: ArrayLike | None = None) -> TextVectorizer:
        """Learn one vocabulary and its IDF weights per column."""
        if isinstance(self.max_features, bool) or not isinstance(
            self.max_features, int | np.integer
        ):
            raise ConfigError(f"max_features must be an integer; got {self.max_features!r}.")
        if self.max_features < 1:
            raise ConfigError(f"max_features must be >= 1; got {self.max_features}. Pass e.g. 200.")
        frame = self._fit_frame(X)
        per_column = max(1, int(self.max_features) // frame.shape[1])
        min_df = 2 if len(frame) >= _MIN_DF_ROWS else 1
        names = self._input_names()
        self.vectorizers_: list[TfidfVectorizer | None] = [
            _fit_tfidf(_documents(frame.iloc[:, j]), per_column, min_df, name)
            for j, name in enumerate(names)
        ]
        self.empty_columns_ = [
            n for n, v in zip(names, self.vectorizers_, strict=True) if v is None
        ]
        return self

    def transform(self, X: pd.DataFrame | ArrayLike) -> np.ndarray:
        """Dense float64 TF-IDF values, the columns' blocks side by side."""
        frame = self._transform_frame(X)
        blocks = [
            vectorizer.transform(_documents(frame.iloc[:, j])).toarray()
            for j, vectorizer in enumerate(self.vectorizers_)
            if vectorizer is not None
        ]
        if not blocks:
            return np.empty((len(frame), 0), dtype=np.float64)
        return np.hstack(blocks).astype(np.float64, copy=False)

    def get_feature_names_out(self, input_features: ArrayLike | None = None) -> np.ndarray:
        """``<column>__tfidf__<term>`` for every kept term of every column."""
        names = self._input_names(input_features)
        out: list[str] = []
        for name, vectorizer in zip(names, self.vectorizers_, strict=True):
            if vectorizer is not None:
                out += [f"{name}__tfidf__{term}" for term in vectorizer.get_feature_names_out()]
        return np.asarray(out, dtype=object)


def _as_frame(X: pd.DataFrame | ArrayLike) -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):
        return str_columns(X)
    values = np.asarray(X, dtype=object)
    if values.ndim != 2:
        raise DataValidationError(
            f"X must be 2-D (rows x columns); got shape {values.shape}. "
            "Pass a DataFrame or reshape a single column with .reshape(-1, 1)."
        )
    return pd.DataFrame(values, columns=[f"x{i}" for i in range(values.shape[1])])


def _stack(columns: Sequence[np.ndarray], n_rows: int) -> np.ndarray:
    out = np.empty((n_rows, len(columns)), dtype=np.float64)
    for j, column in enumerate(columns):
        out[:, j] = column
    return out


def _date_part(stamps: pd.Series, part: str) -> np.ndarray:
    return np.asarray(getattr(stamps.dt, part), dtype=np.float64)


def _documents(series: pd.Series) -> np.ndarray:
    return to_str(series, missing="")


def _fit_tfidf(
    documents: np.ndarray, max_features: int, min_df: int, name: str
) -> TfidfVectorizer | None:
    """A fitted vectorizer, retried with ``min_df=1``; ``None`` when no term is left."""
    for df in dict.fromkeys((min_df, 1)):
        vectorizer = TfidfVectorizer(
            max_features=max_features,
            sublinear_tf=True,
            ngram_range=(1, 2),
            min_df=df,
            dtype=np.float64,
        )
        try:
            return vectorizer.fit(documents)
        except ValueError as error:  # empty vocabulary, or no term left after min_df
            logger.info("Text column %s: %s (min_df=%d).", reprlib.repr(name), error, df)
    return None
