"""Data guardrails: what was found in a classification or regression table, and what was done.

Like Azure AutoML's data guardrails, every check that applies reports ``"passed"`` (nothing
found), ``"done"`` (something found and handled, e.g. imputed) or ``"alerted"`` (something
found that the user should look at). The checks, in order:

- ``class_balance`` (classification): the smallest class has fewer than 20% of the rows of
  the largest one.
- ``missing_values``: used columns with missing values, and how they are imputed.
- ``high_cardinality``: categorical columns with too many levels to one-hot encode.
- ``dropped_columns``: all-missing, constant and id-like columns.
- ``target_leakage``: a column that alone predicts the target almost perfectly.
- ``rows_per_class`` (classification with ``n_folds``): classes with fewer rows than folds.
"""

from __future__ import annotations

import logging
import reprlib
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import pandas as pd
from sklearn.metrics import balanced_accuracy_score, r2_score
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from tsautoml.exceptions import ConfigError, DataValidationError
from tsautoml.features.tabular._values import (
    is_textual,
    name_list,
    str_columns,
    to_bool_float,
    to_datetime,
    to_float,
    to_str,
    years_since_1970,
)
from tsautoml.features.tabular.kinds import ColumnProfile

__all__ = [
    "GUARDRAIL_NAMES",
    "GUARDRAIL_STATUSES",
    "TASKS",
    "Guardrail",
    "GuardrailStatus",
    "TaskName",
    "check_guardrails",
    "guardrails_frame",
]

logger = logging.getLogger(__name__)

GuardrailStatus = Literal["passed", "done", "alerted"]
#: ``"passed"``: nothing found; ``"done"``: found and handled; ``"alerted"``: look at it.
GUARDRAIL_STATUSES: tuple[str, ...] = get_args(GuardrailStatus)
#: Names of the checks :func:`check_guardrails` runs, in report order.
GUARDRAIL_NAMES: tuple[str, ...] = (
    "class_balance",
    "missing_values",
    "high_cardinality",
    "dropped_columns",
    "target_leakage",
    "rows_per_class",
)
TaskName = Literal["classification", "regression"]
#: Tasks :func:`check_guardrails` knows.
TASKS: tuple[str, ...] = get_args(TaskName)

_IMBALANCE = 0.2
_LEAK_SCORE = 0.99
_LEAK_ROWS = 5_000
_LEAK_COLUMNS = 200
_LEAK_FOLDS = 3
_LEAK_DEPTH = 5
_IMPUTED = {
    "numeric": "median + missing indicator",
    "datetime": "median of each date part + missing indicator",
    "boolean": "most frequent value + missing indicator",
    "categorical": "its own category",
    "text": "empty string",
}


@dataclass(frozen=True, slots=True)
class Guardrail:
    """The outcome of one data check.

    Parameters
    ----------
    name
        The check, e.g. one of :data:`GUARDRAIL_NAMES`.
    status
        One of :data:`GUARDRAIL_STATUSES`.
    message
        A full sentence: what was found, on which columns or classes, and what was done.
    columns
        The columns concerned (empty for checks about classes).

    Examples
    --------
    >>> Guardrail("dropped_columns", "done", "1 column was dropped: 'id' (id-like).", ("id",))
    Guardrail(name='dropped_columns', status='done', message="1 column was dropped: 'id' (id-like).", columns=('id',))
    """

    name: str
    status: GuardrailStatus
    message: str
    columns: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.status not in GUARDRAIL_STATUSES:
            raise ConfigError(
                f"Guardrail status must be one of {GUARDRAIL_STATUSES}; got {self.status!r}."
            )
        object.__setattr__(self, "columns", tuple(str(c) for c in self.columns))


def check_guardrails(
    X: pd.DataFrame,
    y: np.ndarray,
    task: TaskName,
    profiles: Mapping[str, ColumnProfile],
    *,
    n_folds: int | None,
    seed: int = 0,
) -> list[Guardrail]:
    """Run every data check that applies to ``task`` (see the module docstring).

    Parameters
    ----------
    X
        The features, one row per value of ``y`` (the caller checks the lengths).
    y
        The target, without missing values: class labels or numbers.
    task
        ``"classification"`` or ``"regression"``.
    profiles
        Column profiles of ``X`` from :func:`~tsautoml.features.tabular.profile_columns`.
    n_folds
        Number of cross-validation folds, or ``None`` (no ``rows_per_class`` check).
    seed
        Seed of the row sample and folds of the leakage check.

    Returns
    -------
    list of Guardrail
        One entry per check that applies, in :data:`GUARDRAIL_NAMES` order.

    Examples
    --------
    >>> from tsautoml.features.tabular import profile_columns
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"x": rng.normal(size=40), "c": ["a"] * 40})
    >>> X.loc[::4, "x"] = None
    >>> y = rng.integers(0, 2, size=40)
    >>> rails = check_guardrails(X, y, "classification", profile_columns(X), n_folds=5)
    >>> [(r.name, r.status) for r in rails]  # doctest: +NORMALIZE_WHITESPACE
    [('class_balance', 'passed'), ('missing_values', 'done'), ('high_cardinality', 'passed'),
     ('dropped_columns', 'done'), ('target_leakage', 'passed'), ('rows_per_class', 'passed')]
    >>> rails[3].message
    "1 column was dropped and is not used: 'c' (constant: one value)."
    """
    if task not in TASKS:
        raise ConfigError(f"task must be one of {TASKS}; got {task!r}.")
    _check_n_folds(n_folds)
    X = str_columns(X)
    target = np.asarray(y)
    if target.ndim != 1:
        raise DataValidationError(
            f"y must be 1-D; got shape {target.shape}. Pass one value per row."
        )
    counts = _class_counts(target) if task == "classification" else None
    rails: list[Guardrail] = [] if counts is None else [_class_balance(counts)]
    rails += [
        _missing_values(profiles, len(X)),
        _high_cardinality(profiles),
        _dropped_columns(profiles),
        _target_leakage(X, target, task, profiles, seed),
    ]
    if counts is not None and n_folds is not None:
        rails.append(_rows_per_class(counts, int(n_folds)))
    return rails


def _check_n_folds(n_folds: int | None) -> None:
    if n_folds is None:
        return
    if isinstance(n_folds, bool) or not isinstance(n_folds, int | np.integer) or n_folds < 2:
        raise ConfigError(
            f"n_folds must be an integer >= 2 or None; got {n_folds!r}. "
            "Pass the number of cross-validation folds, or None without cross-validation."
        )


def guardrails_frame(guardrails: Sequence[Guardrail]) -> pd.DataFrame:
    """Guardrails as a table with columns ``guardrail``, ``status``, ``message``, ``columns``.

    Examples
    --------
    >>> frame = guardrails_frame([Guardrail("dropped_columns", "done", "'a', 'b' dropped.", ("a", "b"))])
    >>> frame.iloc[0].tolist()
    ['dropped_columns', 'done', "'a', 'b' dropped.", 'a, b']
    """
    rows = [(g.name, g.status, g.message, ", ".join(g.columns)) for g in guardrails]
    return pd.DataFrame(rows, columns=["guardrail", "status", "message", "columns"])


def _label(value: object) -> str:
    """A class label for messages (numpy scalars shown as Python values)."""
    return reprlib.repr(value.item() if isinstance(value, np.generic) else value)


def _counts_text(counts: pd.Series, limit: int = 10) -> str:
    shown = ", ".join(f"{_label(label)}: {int(n)}" for label, n in counts.iloc[:limit].items())
    return shown + (f" and {len(counts) - limit} more" if len(counts) > limit else "")


def _class_counts(y: np.ndarray) -> pd.Series:
    """Rows per class, largest first (labels of mixed types work)."""
    return pd.Series(y, dtype=object).value_counts(sort=True, dropna=False)


def _class_balance(counts: pd.Series) -> Guardrail:
    if len(counts) < 2:
        return Guardrail(
            "class_balance", "passed", f"y has a single class ({_counts_text(counts)} rows)."
        )
    small, large = counts.index[-1], counts.index[0]
    share = counts.iloc[-1] / counts.iloc[0]
    found = (
        f"the smallest class {_label(small)} has {int(counts.iloc[-1])} rows, {share:.0%} of "
        f"the largest class {_label(large)} ({int(counts.iloc[0])} rows)"
    )
    if share >= _IMBALANCE:
        return Guardrail("class_balance", "passed", f"Classes are balanced enough: {found}.")
    return Guardrail(
        "class_balance",
        "alerted",
        f"Classes are imbalanced: {found}; rows per class: {_counts_text(counts)}. Folds are "
        "stratified so every fold keeps the class shares, and the search also tries "
        "class_weight='balanced'.",
    )


def _missing_values(profiles: Mapping[str, ColumnProfile], n_rows: int) -> Guardrail:
    found = [p for p in profiles.values() if p.kind != "drop" and p.n_missing > 0]
    if not found:
        return Guardrail(
            "missing_values", "passed", "No column used for training has missing values."
        )
    parts = [
        f"{name_list([p.name])} ({p.n_missing} missing, {p.n_missing / max(n_rows, 1):.0%}: "
        f"{_IMPUTED[p.kind]})"
        for p in found[:10]
    ]
    more = f" and {len(found) - 10} more" if len(found) > 10 else ""
    return Guardrail(
        "missing_values",
        "done",
        f"{_columns(len(found))} missing values, imputed as follows: {', '.join(parts)}{more}.",
        tuple(p.name for p in found),
    )


def _high_cardinality(profiles: Mapping[str, ColumnProfile]) -> Guardrail:
    found = [p for p in profiles.values() if p.kind == "categorical" and p.high_cardinality]
    if not found:
        return Guardrail(
            "high_cardinality",
            "passed",
            "No categorical column has too many levels to one-hot encode.",
        )
    parts = [f"{name_list([p.name])} ({p.n_unique} levels)" for p in found[:10]]
    more = f" and {len(found) - 10} more" if len(found) > 10 else ""
    return Guardrail(
        "high_cardinality",
        "done",
        f"{_columns(len(found), 'categorical column')} too many levels to one-hot encode: "
        f"{', '.join(parts)}{more}; {'it was' if len(found) == 1 else 'they were'} "
        "target-encoded (cross-fitted).",
        tuple(p.name for p in found),
    )


def _dropped_columns(profiles: Mapping[str, ColumnProfile]) -> Guardrail:
    found = [p for p in profiles.values() if p.kind == "drop"]
    if not found:
        return Guardrail("dropped_columns", "passed", "No column was dropped.")
    parts = [f"{name_list([p.name])} ({p.reason or 'dropped'})" for p in found[:10]]
    more = f" and {len(found) - 10} more" if len(found) > 10 else ""
    verb = "column was" if len(found) == 1 else "columns were"
    return Guardrail(
        "dropped_columns",
        "done",
        f"{len(found)} {verb} dropped and {'is' if len(found) == 1 else 'are'} not used: "
        f"{', '.join(parts)}{more}.",
        tuple(p.name for p in found),
    )


def _rows_per_class(counts: pd.Series, n_folds: int) -> Guardrail:
    rare = counts[counts < n_folds]
    if rare.empty:
        return Guardrail(
            "rows_per_class",
            "passed",
            f"Every class has at least {n_folds} rows, one per cross-validation fold.",
        )
    return Guardrail(
        "rows_per_class",
        "alerted",
        f"{'Class' if len(rare) == 1 else 'Classes'} {_counts_text(rare)} "
        f"{'has' if len(rare) == 1 else 'have'} fewer rows than the {n_folds} cross-validation "
        "folds: some folds will not see them. Add rows, merge rare classes, or use fewer folds.",
    )


def _columns(n: int, noun: str = "column") -> str:
    return f"1 {noun} has" if n == 1 else f"{n} {noun}s have"


def _target_leakage(
    X: pd.DataFrame,
    y: np.ndarray,
    task: str,
    profiles: Mapping[str, ColumnProfile],
    seed: int,
) -> Guardrail:
    names = [n for n, p in profiles.items() if p.kind != "drop" and n in set(X.columns)]
    checked = names[:_LEAK_COLUMNS]
    rng = np.random.default_rng(seed)
    rows = np.arange(len(X))
    if len(X) > _LEAK_ROWS:
        rows = np.sort(rng.choice(len(X), size=_LEAK_ROWS, replace=False))
    target, skipped = _leak_target(y[rows], task)
    if skipped:
        return Guardrail("target_leakage", "passed", f"Target leakage was not checked: {skipped}.")
    folds = _leak_folds(target, task, seed)
    metric = "balanced accuracy" if task == "classification" else "R²"
    leaks: list[tuple[str, float]] = []
    for name in checked:
        score = _leak_score(X[name].iloc[rows], profiles[name].kind, target, folds, task, seed)
        if score >= _LEAK_SCORE:
            leaks.append((name, score))
    if not leaks:
        first = f" (the first {_LEAK_COLUMNS})" if len(names) > _LEAK_COLUMNS else ""
        return Guardrail(
            "target_leakage",
            "passed",
            f"No single column predicts the target almost perfectly ({len(checked)} columns"
            f"{first} checked on {len(rows):,} rows with {_LEAK_FOLDS}-fold CV).",
        )
    return _leak_alert(leaks, metric)


def _leak_alert(leaks: list[tuple[str, float]], metric: str) -> Guardrail:
    if len(leaks) == 1:
        name, score = leaks[0]
        message = (
            f"Column {name_list([name])} alone predicts the target almost perfectly ({metric} "
            f"{score:.3f} in {_LEAK_FOLDS}-fold CV): check it is not derived from the target "
            "or unknown at prediction time."
        )
    else:
        parts = ", ".join(f"{name_list([n])} ({metric} {s:.3f})" for n, s in leaks[:10])
        more = f" and {len(leaks) - 10} more" if len(leaks) > 10 else ""
        message = (
            f"Columns {parts}{more} each alone predict the target almost perfectly in "
            f"{_LEAK_FOLDS}-fold CV: check they are not derived from the target or unknown at "
            "prediction time."
        )
    return Guardrail("target_leakage", "alerted", message, tuple(n for n, _ in leaks))


def _leak_target(y: np.ndarray, task: str) -> tuple[np.ndarray, str]:
    """The sampled target as class codes or floats, or why leakage cannot be checked."""
    if len(y) < 2 * _LEAK_FOLDS:
        return y, f"only {len(y)} rows"
    if task == "classification":
        codes = pd.factorize(pd.Series(y, dtype=object))[0]
        return codes, "" if codes.max() >= 1 else "y has a single class"
    try:
        values = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise DataValidationError(
            f"Regression needs a numeric y; got values such as {reprlib.repr(list(y[:3]))} "
            f"({error}). Convert y to numbers, or use task='classification'."
        ) from error
    if not np.isfinite(values).all() or np.ptp(values) == 0:
        return values, "y is constant or not finite"
    return values, ""


def _leak_folds(target: np.ndarray, task: str, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    splitter: KFold | StratifiedKFold = KFold(_LEAK_FOLDS, shuffle=True, random_state=seed)
    if task == "classification" and np.bincount(target).min() >= _LEAK_FOLDS:
        splitter = StratifiedKFold(_LEAK_FOLDS, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(len(target)), target))


def _leak_score(
    column: pd.Series,
    kind: str,
    target: np.ndarray,
    folds: list[tuple[np.ndarray, np.ndarray]],
    task: str,
    seed: int,
) -> float:
    """Mean out-of-fold score of a one-column model."""
    codes = None
    if kind in ("categorical", "text"):
        codes = pd.factorize(pd.Series(to_str(column, missing="__missing__")))[0]
    else:
        values = _numbers(column, kind)
        finite = values[np.isfinite(values)]
        values[~np.isfinite(values)] = (finite.min() - 1.0) if finite.size else 0.0
    scores = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # folds with a missing class or a constant target
        for train, test in folds:
            if codes is not None:
                pred = _lookup_predict(codes[train], target[train], codes[test], task)
            else:
                pred = _tree_predict(values[train], target[train], values[test], task, seed)
            scorer = balanced_accuracy_score if task == "classification" else r2_score
            scores.append(float(scorer(target[test], pred)))
    return float(np.nanmean(scores)) if not np.all(np.isnan(scores)) else 0.0


def _numbers(column: pd.Series, kind: str) -> np.ndarray:
    """A numeric, boolean or date column as floats (NaN where missing or not a number)."""
    if kind == "boolean":
        return to_bool_float(column)
    if kind == "datetime":
        return years_since_1970(to_datetime(column))
    if is_textual(column):  # non-numbers are reported by the featurizer, not here
        return np.asarray(pd.to_numeric(column.astype(object), errors="coerce"), dtype=np.float64)
    return to_float(column, str(column.name))


def _tree_predict(
    x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, task: str, seed: int
) -> np.ndarray:
    model = (
        DecisionTreeClassifier(max_depth=_LEAK_DEPTH, random_state=seed)
        if task == "classification"
        else DecisionTreeRegressor(max_depth=_LEAK_DEPTH, random_state=seed)
    )
    model.fit(x_train.reshape(-1, 1), y_train)
    return np.asarray(model.predict(x_test.reshape(-1, 1)))


def _lookup_predict(
    codes_train: np.ndarray, y_train: np.ndarray, codes_test: np.ndarray, task: str
) -> np.ndarray:
    """Per category: the majority class (classification) or the mean (regression) in train."""
    frame = pd.DataFrame({"code": codes_train, "y": y_train})
    if task == "classification":
        pairs = frame.value_counts(["code", "y"]).reset_index()  # most frequent pairs first
        first = pairs.drop_duplicates("code")
        table = pd.Series(first["y"].to_numpy(), index=first["code"].to_numpy())
        default = float(np.bincount(y_train).argmax())
        return pd.Series(codes_test).map(table).fillna(default).to_numpy(dtype=np.int64)
    table = frame.groupby("code")["y"].mean()
    return pd.Series(codes_test).map(table).fillna(float(np.mean(y_train))).to_numpy()
