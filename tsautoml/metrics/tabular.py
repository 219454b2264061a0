"""Classification and regression metrics under their Azure AutoML names.

Kernels take validated 1-D ``y_true``, the predictions (labels, a ``(n, n_classes)``
probability matrix, a 1-D probability of ``labels[1]`` for binary tasks, or regression values)
and the class labels (``None`` lets them be inferred), and return one float. They are built on
scikit-learn where it has the metric.

Class-averaged scores follow ``azureml`` scoring: every class present in ``y_true`` is scored
one-vs-rest on the one-hot labels and the scores are averaged with weights equal to the class
support, for binary tasks too (so ``average_precision_score_weighted`` averages the AP of both
classes, unlike scikit-learn's binary AP of the positive class).
"""

from __future__ import annotations

import reprlib

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats
from sklearn import metrics as skm

from tsautoml.exceptions import DataValidationError

__all__: list[str] = []

_PROBA_ATOL = 1e-5

AnyArray = NDArray[np.generic]
FloatArray = NDArray[np.float64]


def _inputs(
    metric: str, needs: frozenset[str], y_true: ArrayLike, y_pred: ArrayLike
) -> tuple[AnyArray, AnyArray]:
    """Check the shapes of tabular inputs (and finiteness for regression)."""
    truth, pred = np.asarray(y_true), np.asarray(y_pred)
    if truth.ndim != 1 or truth.size == 0:
        raise DataValidationError(f"y_true must be a non-empty 1-D array; got shape {truth.shape}.")
    if pred.ndim not in (1, 2) or pred.shape[0] != truth.size:
        raise DataValidationError(
            f"y_pred_or_proba has shape {pred.shape} but y_true has {truth.size} rows. "
            "Pass one prediction (or one row of probabilities) per row of y_true."
        )
    if needs == {"values"}:
        truth, pred = truth.astype(np.float64), pred.astype(np.float64)
        if pred.ndim != 1 or not (np.isfinite(truth).all() and np.isfinite(pred).all()):
            raise DataValidationError(
                f"{metric} needs finite 1-D y_true and predictions; got shape {pred.shape} "
                f"with {int((~np.isfinite(pred)).sum() + (~np.isfinite(truth)).sum())} "
                "non-finite values. Drop or impute them before scoring."
            )
    return truth, pred


def _check_labels(labels: AnyArray, y_true: AnyArray) -> AnyArray:
    """Check explicit class labels: 1-D, at least two, unique, covering ``y_true``."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.size < 2:
        raise DataValidationError(
            f"labels must be a 1-D array of at least 2 classes; got {reprlib.repr(labels)}. "
            "Pass the class labels in the column order of the probabilities."
        )
    if np.unique(labels).size != labels.size:
        raise DataValidationError(f"labels contain duplicates: {reprlib.repr(labels.tolist())}.")
    unknown = np.setdiff1d(y_true, labels)
    if unknown.size:
        raise DataValidationError(
            f"y_true has classes that are not in labels: {reprlib.repr(unknown.tolist())}. "
            f"Add them to labels {reprlib.repr(labels.tolist())}."
        )
    return labels


def _label_index(y_true: AnyArray, labels: AnyArray) -> NDArray[np.intp]:
    """Column of each ``y_true`` value in ``labels``."""
    order = np.argsort(labels)
    return order[np.searchsorted(labels[order], y_true)]


def _is_probability_vector(y_pred: AnyArray, classes: AnyArray) -> bool:
    """A float 1-D array whose values are not all class labels is a probability of class 1."""
    if y_pred.dtype.kind != "f":
        return False
    if classes.dtype.kind not in "fiub":
        return True
    return not bool(np.isin(y_pred, classes).all())


def _probabilities(y_pred: AnyArray, labels: AnyArray) -> FloatArray:
    """Return a checked ``(n, n_classes)`` probability matrix with columns in ``labels`` order."""
    proba = np.asarray(y_pred, dtype=np.float64)
    if proba.ndim == 1:
        if labels.size != 2:
            raise DataValidationError(
                f"A 1-D probability is only valid for binary tasks; there are {labels.size} "
                f"classes {reprlib.repr(labels.tolist())}. Pass an (n, n_classes) matrix."
            )
        proba = np.column_stack([1.0 - proba, proba])
    if proba.ndim != 2 or proba.shape[1] != labels.size:
        raise DataValidationError(
            f"y_pred_or_proba has shape {proba.shape} but there are {labels.size} classes "
            f"{reprlib.repr(labels.tolist())}. Pass one probability column per class, in the "
            "order of labels."
        )
    bad = ~np.isfinite(proba).all(axis=1) | (proba < 0).any(axis=1) | (proba > 1).any(axis=1)
    bad |= np.abs(proba.sum(axis=1) - 1.0) > _PROBA_ATOL
    if bad.any():
        rows = np.flatnonzero(bad)
        raise DataValidationError(
            f"{rows.size} rows of y_pred_or_proba are not probabilities in [0, 1] summing to 1 "
            f"(rows {reprlib.repr(rows.tolist())}). Normalise them, e.g. with a softmax."
        )
    return proba


def _proba_and_labels(
    y_true: AnyArray, y_pred: AnyArray, labels: AnyArray | None
) -> tuple[FloatArray, AnyArray]:
    labels = np.unique(y_true) if labels is None else _check_labels(labels, y_true)
    if labels.size < 2:
        raise DataValidationError(
            f"y_true has a single class {reprlib.repr(labels.tolist())} and no labels were "
            "given. Pass labels= with every class of the task."
        )
    return _probabilities(y_pred, labels), labels


def _predicted_labels(
    y_true: AnyArray, y_pred: AnyArray, labels: AnyArray | None
) -> tuple[AnyArray, AnyArray]:
    """Predicted labels and the class labels, from labels or from probabilities (argmax)."""
    classes = np.unique(y_true) if labels is None else _check_labels(labels, y_true)
    if y_pred.ndim == 2 or _is_probability_vector(y_pred, classes):
        proba, classes = _proba_and_labels(y_true, y_pred, labels)
        return classes[np.argmax(proba, axis=1)], classes
    if labels is None:
        classes = np.unique(np.concatenate([y_true, y_pred]))
    elif not np.isin(y_pred, classes).all():
        unknown = np.setdiff1d(y_pred, classes)
        raise DataValidationError(
            f"y_pred_or_proba has labels that are not in labels: {reprlib.repr(unknown.tolist())}."
        )
    return y_pred, classes


def _one_vs_rest(
    y_true: AnyArray, proba: FloatArray, labels: AnyArray, name: str
) -> tuple[FloatArray, FloatArray]:
    """One-hot ``y_true`` and ``proba`` restricted to the classes present in ``y_true``."""
    onehot = np.zeros_like(proba)
    onehot[np.arange(y_true.size), _label_index(y_true, labels)] = 1.0
    present = onehot.sum(axis=0) > 0
    if present.sum() < 2:
        raise DataValidationError(
            f"{name} is undefined: y_true has only one class {reprlib.repr(np.unique(y_true))}. "
            "Evaluate on data with at least two classes (e.g. stratified folds)."
        )
    return onehot[:, present], proba[:, present]


def _accuracy(y_true: AnyArray, y_pred: AnyArray, labels: AnyArray | None) -> float:
    predicted, _ = _predicted_labels(y_true, y_pred, labels)
    return float(skm.accuracy_score(y_true, predicted))


def _precision_weighted(y_true: AnyArray, y_pred: AnyArray, labels: AnyArray | None) -> float:
    predicted, _ = _predicted_labels(y_true, y_pred, labels)
    return float(skm.precision_score(y_true, predicted, average="weighted", zero_division=0))


def _f1_weighted(y_true: AnyArray, y_pred: AnyArray, labels: AnyArray | None) -> float:
    predicted, _ = _predicted_labels(y_true, y_pred, labels)
    return float(skm.f1_score(y_true, predicted, average="weighted", zero_division=0))


def _norm_macro_recall(y_true: AnyArray, y_pred: AnyArray, labels: AnyArray | None) -> float:
    """``(recall_macro - R) / (1 - R)`` with ``R = 1 / n_classes`` (0.5 for binary)."""
    predicted, classes = _predicted_labels(y_true, y_pred, labels)
    recall = skm.recall_score(
        y_true, predicted, labels=np.unique(y_true), average="macro", zero_division=0
    )
    chance = 1.0 / max(classes.size, 2)
    return float((recall - chance) / (1.0 - chance))


def _auc_weighted(y_true: AnyArray, y_pred: AnyArray, labels: AnyArray | None) -> float:
    proba, classes = _proba_and_labels(y_true, y_pred, labels)
    onehot, scores = _one_vs_rest(y_true, proba, classes, "AUC_weighted")
    return float(skm.roc_auc_score(onehot, scores, average="weighted"))


def _average_precision_weighted(
    y_true: AnyArray, y_pred: AnyArray, labels: AnyArray | None
) -> float:
    proba, classes = _proba_and_labels(y_true, y_pred, labels)
    onehot, scores = _one_vs_rest(y_true, proba, classes, "average_precision_score_weighted")
    return float(skm.average_precision_score(onehot, scores, average="weighted"))


def _log_loss(y_true: AnyArray, y_pred: AnyArray, labels: AnyArray | None) -> float:
    """Mean negative log probability of the true class, clipped at machine epsilon."""
    proba, classes = _proba_and_labels(y_true, y_pred, labels)
    eps = np.finfo(np.float64).eps
    p_true = proba[np.arange(y_true.size), _label_index(y_true, classes)]
    return float(-np.mean(np.log(np.clip(p_true, eps, 1.0))))


def _spearman(y_true: FloatArray, y_pred: FloatArray, labels: AnyArray | None) -> float:
    """Spearman rank correlation; NaN when either input is constant."""
    if np.ptp(y_true) == 0 or np.ptp(y_pred) == 0:
        return float("nan")
    return float(stats.spearmanr(y_true, y_pred).statistic)


def _r2(y_true: FloatArray, y_pred: FloatArray, labels: AnyArray | None) -> float:
    return float(skm.r2_score(y_true, y_pred))


def _range_or_nan(y_true: FloatArray) -> float:
    spread = float(np.ptp(y_true))
    return spread if spread > 0 else float("nan")


def _nrmse(y_true: FloatArray, y_pred: FloatArray, labels: AnyArray | None) -> float:
    """RMSE divided by ``max(y_true) - min(y_true)``; NaN when ``y_true`` is constant."""
    return float(np.sqrt(np.mean((y_true - y_pred) ** 2)) / _range_or_nan(y_true))


def _nmae(y_true: FloatArray, y_pred: FloatArray, labels: AnyArray | None) -> float:
    """MAE divided by ``max(y_true) - min(y_true)``; NaN when ``y_true`` is constant."""
    return float(np.mean(np.abs(y_true - y_pred)) / _range_or_nan(y_true))
