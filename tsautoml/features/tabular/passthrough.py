"""No featurization: the table's numeric columns as they are (``featurization="off"``)."""

from __future__ import annotations

import reprlib
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from tsautoml.exceptions import DataValidationError

__all__ = ["NumericPassthrough"]


class NumericPassthrough(TransformerMixin, BaseEstimator):
    """Pass numeric and boolean columns through unchanged (missing values stay NaN).

    Learners that cannot handle missing values fail on them, and the search records it.

    Examples
    --------
    >>> X = pd.DataFrame({"a": [1, 2], "b": [0.5, None]})
    >>> NumericPassthrough().fit(X).transform(X[["b", "a"]]).tolist()
    [[1.0, 0.5], [2.0, nan]]
    """

    def fit(self, X: pd.DataFrame, y: Any = None) -> NumericPassthrough:
        """Remember the columns; every one must be numeric or boolean."""
        frame = pd.DataFrame(X)
        bad = [c for c in frame.columns if not (pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c]))]
        if bad:
            raise DataValidationError(
                f"featurization='off' needs numeric columns, but {reprlib.repr(bad)} are not. Encode them, "
                "drop them, or use featurization='auto'."
            )
        self.columns_ = list(frame.columns)
        return self

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        """The remembered columns as a float matrix."""
        frame = pd.DataFrame(X)
        missing = [c for c in self.columns_ if c not in frame.columns]
        if missing:
            raise DataValidationError(f"X is missing columns {reprlib.repr(missing)} that the model was trained on.")
        try:
            return frame[self.columns_].to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError) as exc:
            raise DataValidationError(f"featurization='off' needs numeric columns: {exc}") from exc

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """The column names."""
        return np.asarray([str(c) for c in self.columns_], dtype=object)
