"""Tabular benchmark data: loading, outer splits and the metric of each task.

The data live in ``../shared/data/tabular`` next to the repository: ``NAME.csv.gz`` (missing
values are empty cells) and ``NAME.json`` with ``target``, ``task`` (binary, multiclass or
regression), ``numeric_features``, ``categorical_features`` and, for binary tasks,
``positive_class``. Nothing here downloads anything.

Outer evaluation: a fixed 5-fold split (``StratifiedKFold`` for classification, ``KFold`` for
regression, ``shuffle=True, random_state=0``), except for datasets whose JSON ``notes`` say
that the file is the original train file followed by the original test file (adult): those
use that one split, as the literature does.

Metrics follow the AutoML Benchmark: AUC of the positive-class probability (binary), log loss
over all classes (multiclass) and R² (regression).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "tabular"
DATASETS = (
    "abalone",
    "adult",
    "breast_cancer",
    "california_housing",
    "credit_g",
    "diabetes",
    "digits",
    "iris",
    "spambase",
    "wine",
    "wine_quality_red",
)
N_FOLDS = 5
SPLIT_SEED = 0
#: "Rows 0-32560 are the original UCI training file (...), rows 32561-48841 the original
#: test file (...)": adult.json's ``notes``. Any dataset whose notes read like this gets
#: that one split instead of the 5 folds.
_ORIGINAL_SPLIT = re.compile(
    r"rows 0-(\d+) are the original .*?train.*?rows (\d+)-(\d+) the original .*?test",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class MetricSpec:
    """The benchmark metric of one task and its name in each system."""

    label: str  # as printed
    tsautoml: str
    flaml: str
    greater_is_better: bool


METRICS = {
    "binary": MetricSpec("AUC", "AUC_weighted", "roc_auc", greater_is_better=True),
    "multiclass": MetricSpec("log loss", "log_loss", "log_loss", greater_is_better=False),
    "regression": MetricSpec("R²", "r2_score", "r2", greater_is_better=True),
}


@dataclass(frozen=True)
class TabularDataset:
    """Features (categoricals as strings, NaN kept), target and task of one dataset."""

    name: str
    task: str  # binary | multiclass | regression
    X: pd.DataFrame
    y: pd.Series
    categorical: list[str]
    positive_class: Any
    meta: dict[str, Any]

    @property
    def is_classification(self) -> bool:
        return self.task != "regression"

    @property
    def metric(self) -> MetricSpec:
        return METRICS[self.task]

    @property
    def classes(self) -> np.ndarray:
        """All classes in sorted order (empty for regression)."""
        return np.unique(self.y.to_numpy()) if self.is_classification else np.array([])

    @property
    def sha256(self) -> str | None:
        files = {f["file"]: f.get("sha256") for f in self.meta.get("files", [])}
        return files.get(f"{self.name}.csv.gz")


def dataset_available(name: str, data_dir: Path = DATA_DIR) -> bool:
    return (data_dir / f"{name}.json").is_file() and (data_dir / f"{name}.csv.gz").is_file()


def load_dataset(name: str, data_dir: Path = DATA_DIR) -> TabularDataset:
    """Read ``name``: only empty cells are missing (so a category "None" stays a string)."""
    meta = json.loads((data_dir / f"{name}.json").read_text())
    target, task = meta["target"], meta["task"]
    if task not in METRICS:
        raise ValueError(f"{name}: unknown task {task!r}; expected one of {sorted(METRICS)}.")
    categorical = list(meta.get("categorical_features", []))
    features = list(meta.get("numeric_features", [])) + categorical
    frame = pd.read_csv(
        data_dir / f"{name}.csv.gz",
        dtype={c: object for c in categorical},
        keep_default_na=False,
        na_values=[""],
    )
    missing_target = frame[target].isna()
    if missing_target.any():
        raise ValueError(f"{name}: {int(missing_target.sum())} rows have no target {target!r}.")
    X = frame[features].copy()
    expected = meta.get("n_missing_cells")
    if expected is not None and int(X.isna().sum().sum()) != int(expected):
        raise ValueError(
            f"{name}: {int(X.isna().sum().sum())} missing feature cells, the JSON says {expected}."
        )
    return TabularDataset(
        name, task, X, frame[target], categorical, meta.get("positive_class"), meta
    )


def original_split(data: TabularDataset) -> int | None:
    """Number of leading training rows when the JSON notes describe an original train/test split."""
    match = _ORIGINAL_SPLIT.search(str(data.meta.get("notes", "")))
    if match is None:
        return None
    last_train, first_test, last_test = (int(g) for g in match.groups())
    if first_test != last_train + 1 or last_test != len(data.y) - 1:
        raise ValueError(
            f"{data.name}: the notes give train rows 0-{last_train} and test rows "
            f"{first_test}-{last_test}, but the file has {len(data.y)} rows."
        )
    return first_test


def split_tag(data: TabularDataset) -> str:
    """Names the outer split, for the CSV and the cache key."""
    n_train = original_split(data)
    if n_train is not None:
        return f"original-train-{n_train}"
    kind = "stratified" if data.is_classification else "kfold"
    return f"{kind}{N_FOLDS}-shuffle-seed{SPLIT_SEED}"


def outer_splits(data: TabularDataset) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train rows, test rows) of each outer fold."""
    from sklearn.model_selection import KFold, StratifiedKFold

    n_train = original_split(data)
    if n_train is not None:
        rows = np.arange(len(data.y))
        return [(rows[:n_train], rows[n_train:])]
    cls = StratifiedKFold if data.is_classification else KFold
    splitter = cls(n_splits=N_FOLDS, shuffle=True, random_state=SPLIT_SEED)
    return list(splitter.split(data.X, data.y))


# ---------------------------------------------------------------------------- scoring
def align_proba(proba: Any, system_classes: Any, classes: np.ndarray) -> np.ndarray:
    """Probabilities with one column per class of ``classes`` (0 for classes a system lacks).

    Classes are matched by their string form, so ``1``, ``np.int64(1)`` and ``"1"`` agree.
    """
    proba = np.asarray(proba, dtype=float)
    system_classes = list(np.asarray(system_classes).ravel())
    if proba.ndim != 2 or proba.shape[1] != len(system_classes):
        raise ValueError(
            f"predict_proba gave shape {proba.shape}, but classes_ has {len(system_classes)} "
            "entries; expected one column per class."
        )
    position = {str(c): i for i, c in enumerate(classes)}
    unknown = [c for c in system_classes if str(c) not in position]
    if unknown:
        raise ValueError(f"classes_ holds labels not in the data: {unknown[:5]}.")
    out = np.zeros((proba.shape[0], len(classes)))
    for j, c in enumerate(system_classes):
        out[:, position[str(c)]] = proba[:, j]
    return out


def positive_index(data: TabularDataset) -> int:
    """Column of the positive class in ``data.classes`` (the JSON's, else the last sorted one)."""
    names = [str(c) for c in data.classes]
    if data.positive_class is None:
        return len(names) - 1
    return names.index(str(data.positive_class))


def score(data: TabularDataset, y_true: pd.Series, prediction: np.ndarray) -> float:
    """The task's metric; ``prediction`` is aligned probabilities or regression values."""
    from sklearn.metrics import log_loss, r2_score, roc_auc_score

    if data.task == "regression":
        return float(r2_score(y_true.to_numpy(float), np.asarray(prediction, dtype=float)))
    if data.task == "binary":
        j = positive_index(data)
        is_positive = y_true.to_numpy() == data.classes[j]
        return float(roc_auc_score(is_positive, prediction[:, j]))
    sums = prediction.sum(axis=1, keepdims=True)
    if np.all(np.abs(sums - 1) < 1e-4):  # float32 rounding (xgboost): renormalise silently
        prediction = prediction / sums
    return float(log_loss(y_true.to_numpy(), prediction, labels=data.classes))
