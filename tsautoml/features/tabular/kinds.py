"""Column kinds: how each column of a table is read before it is featurized.

:func:`profile_columns` gives every column one kind of :data:`COLUMN_KINDS`. The first
rule that matches wins:

1. ``drop`` when every value is missing (``"all values missing"``) or there is at most one
   distinct non-missing value (``"constant: one value"``).
2. ``boolean`` for ``bool`` dtypes, and for object / string / category columns whose
   non-missing values are all true/false-like: ``True``/``False``, ``"true"``/``"false"``,
   ``"yes"``/``"no"``, ``"y"``/``"n"``, ``"t"``/``"f"`` in any case.
3. ``datetime`` for ``datetime64`` dtypes, time-zone aware too.
4. ``numeric`` for numeric dtypes (integers and durations too), and for object / string
   columns whose non-missing values all parse as numbers (``"3.5"``). Category dtypes are
   never read as numbers: the user chose them as categories.
5. ``datetime`` for object / string / category columns where at least 95% of an evenly spaced
   sample of (at most 1,000) non-missing values parse as dates with
   ``pd.to_datetime(format="mixed")``; plain numbers and bare times such as ``"10:30"`` do not
   count as dates.
6. ``text`` for object / string / category columns that look like free text: a mean of at
   least 3 whitespace-separated tokens per value in the sample, and more than half the
   non-missing values distinct or more than 100 distinct values.
7. ``drop`` for id-like columns (``"id-like: every value is unique"``): integer columns, or
   string / category columns that are not text, whose non-missing values (at least 20 of them)
   are all distinct, e.g. a customer id. Float columns are never id-like. A yearly series
   with a distinct integer year per row is id-like too: pin it if it should be kept.
8. ``categorical`` for the remaining object / string / category columns;
   ``high_cardinality`` when they have more than ``max_onehot`` distinct values.

``pinned`` overrides the inferred kind of the columns it names (the profile's reason is then
``"pinned by the user"``). Column names are compared after ``str()``.
"""

from __future__ import annotations

import reprlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import pandas as pd

from tsautoml.exceptions import ConfigError
from tsautoml.features.tabular._values import (
    bool_like,
    date_share,
    is_textual,
    name_list,
    str_columns,
)

__all__ = ["COLUMN_KINDS", "ColumnKind", "ColumnProfile", "profile_columns"]

ColumnKind = Literal["numeric", "boolean", "categorical", "datetime", "text", "drop"]
#: Every column kind, in the order of :data:`ColumnKind`.
COLUMN_KINDS: tuple[str, ...] = get_args(ColumnKind)

ALL_MISSING = "all values missing"
CONSTANT = "constant: one value"
ID_LIKE = "id-like: every value is unique"
PINNED = "pinned by the user"

_MIN_ID_ROWS = 20
_SAMPLE = 1_000
_DATE_SHARE = 0.95
_TEXT_TOKENS = 3.0
_TEXT_DISTINCT_SHARE = 0.5
_TEXT_DISTINCT = 100


@dataclass(frozen=True, slots=True)
class ColumnProfile:
    """What :func:`profile_columns` found about one column.

    Parameters
    ----------
    name
        Column name (``str()`` of the DataFrame's label).
    kind
        One of :data:`COLUMN_KINDS`.
    n_missing
        Number of missing values.
    n_unique
        Number of distinct non-missing values.
    high_cardinality
        ``True`` for a categorical column with more than ``max_onehot`` levels.
    reason
        Why the column was dropped, or ``"pinned by the user"``; empty otherwise.

    Examples
    --------
    >>> ColumnProfile("city", "categorical", n_missing=2, n_unique=40, high_cardinality=True)
    ColumnProfile(name='city', kind='categorical', n_missing=2, n_unique=40, high_cardinality=True, reason='')
    """

    name: str
    kind: ColumnKind
    n_missing: int
    n_unique: int
    high_cardinality: bool = False
    reason: str = ""

    def __post_init__(self) -> None:
        if self.kind not in COLUMN_KINDS:
            raise ConfigError(
                f"Unknown column kind {reprlib.repr(self.kind)} for column "
                f"{reprlib.repr(self.name)}. Use one of {COLUMN_KINDS}."
            )


def profile_columns(
    X: pd.DataFrame, pinned: Mapping[str, ColumnKind] | None = None, *, max_onehot: int = 15
) -> dict[str, ColumnProfile]:
    """Infer the kind of every column of ``X`` (rules in the module docstring).

    Parameters
    ----------
    X
        The table; its column names must be unique after ``str()``.
    pinned
        Kinds chosen by the user for some columns; they override inference.
    max_onehot
        Categorical columns with more distinct values are flagged ``high_cardinality``.

    Returns
    -------
    dict
        ``{column name: ColumnProfile}`` in the column order of ``X``.

    Raises
    ------
    DataValidationError
        If ``X`` is not a DataFrame or has duplicated column names.
    ConfigError
        If ``pinned`` names a column that is not in ``X`` or a kind that does not exist, or
        ``max_onehot`` is not a positive integer.

    Examples
    --------
    >>> X = pd.DataFrame({"age": [31.0, None, 45.0], "member": ["yes", "no", "YES"]})
    >>> {name: p.kind for name, p in profile_columns(X).items()}
    {'age': 'numeric', 'member': 'boolean'}
    """
    X = str_columns(X)
    check_max_onehot(max_onehot)
    pins = _check_pins(pinned, [str(c) for c in X.columns])
    profiles: dict[str, ColumnProfile] = {}
    for name in X.columns:
        series = X[name]
        n_missing, n_unique = int(series.isna().sum()), int(series.nunique(dropna=True))
        if name in pins:
            kind, reason = pins[name], PINNED
        else:
            kind, reason = _infer(series, n_unique)
        high = kind == "categorical" and n_unique > max_onehot
        profiles[name] = ColumnProfile(name, kind, n_missing, n_unique, high, reason)
    return profiles


def check_max_onehot(max_onehot: int) -> None:
    """Raise :class:`ConfigError` unless ``max_onehot`` is a positive integer."""
    if isinstance(max_onehot, bool) or not isinstance(max_onehot, int | np.integer):
        raise ConfigError(f"max_onehot must be an integer; got {max_onehot!r}. Pass e.g. 15.")
    if max_onehot < 1:
        raise ConfigError(f"max_onehot must be >= 1; got {max_onehot}. Pass e.g. 15.")


def _check_pins(
    pinned: Mapping[str, ColumnKind] | None, columns: list[str]
) -> dict[str, ColumnKind]:
    if pinned is None:
        return {}
    if not isinstance(pinned, Mapping):
        raise ConfigError(
            f"Pinned kinds must be a mapping {{column: kind}}; got {type(pinned).__name__}. "
            "Pass e.g. {'zip_code': 'categorical'}."
        )
    pins = {str(name): kind for name, kind in pinned.items()}
    unknown = [name for name in pins if name not in set(columns)]
    if unknown:
        raise ConfigError(
            f"Kinds were pinned for columns that are not in X: {name_list(unknown)}. "
            f"The columns of X are {name_list(columns, limit=20)}; fix the names or remove them."
        )
    bad = {name: kind for name, kind in pins.items() if kind not in COLUMN_KINDS}
    if bad:
        raise ConfigError(
            f"Unknown column kinds pinned: {reprlib.repr(bad)}. "
            f"Pin each column to one of {COLUMN_KINDS}."
        )
    return pins


def _infer(series: pd.Series, n_unique: int) -> tuple[ColumnKind, str]:
    values = series.dropna()
    if values.empty:
        return "drop", ALL_MISSING
    if n_unique <= 1:
        return "drop", CONSTANT
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean", ""
    if isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(dtype):
        return "datetime", ""
    if pd.api.types.is_timedelta64_dtype(dtype):
        return "numeric", ""
    if pd.api.types.is_numeric_dtype(dtype):
        if pd.api.types.is_integer_dtype(dtype) and _id_like(len(values), n_unique):
            return "drop", ID_LIKE
        return "numeric", ""
    if is_textual(series):
        return _infer_textual(values, n_unique, isinstance(dtype, pd.CategoricalDtype))
    return "categorical", ""


def _infer_textual(values: pd.Series, n_unique: int, category: bool) -> tuple[ColumnKind, str]:
    if bool_like(values):
        return "boolean", ""
    if not category:
        numbers = pd.to_numeric(values.astype(object), errors="coerce")
        if numbers.notna().all():
            integral = bool(np.all(np.mod(np.asarray(numbers, dtype=np.float64), 1.0) == 0.0))
            if integral and _id_like(len(values), n_unique):
                return "drop", ID_LIKE
            return "numeric", ""
    sample = _sample(values)
    if date_share(sample) >= _DATE_SHARE:
        return "datetime", ""
    if _text_like(sample, n_unique, len(values)):
        return "text", ""
    if _id_like(len(values), n_unique):
        return "drop", ID_LIKE
    return "categorical", ""


def _id_like(n_values: int, n_unique: int) -> bool:
    return n_values >= _MIN_ID_ROWS and n_unique == n_values


def _sample(values: pd.Series) -> pd.Series:
    """At most ``_SAMPLE`` values, evenly spaced (deterministic, no seed needed)."""
    if len(values) <= _SAMPLE:
        return values
    return values.iloc[np.linspace(0, len(values) - 1, _SAMPLE).astype(np.int64)]


def _text_like(sample: pd.Series, n_unique: int, n_values: int) -> bool:
    tokens = float(sample.astype(str).str.split().str.len().mean())
    many = n_unique > _TEXT_DISTINCT_SHARE * n_values or n_unique > _TEXT_DISTINCT
    return tokens >= _TEXT_TOKENS and many
