"""Tabular accuracy: tsautoml ``AutoML`` vs FLAML at the same time budget, and LightGBM defaults.

For each dataset of ``../shared/data/tabular`` it runs, on every outer fold and one after the
other in this process:

* ``tsautoml``: ``AutoML(task=..., time_budget=B, metric=..., seed=0, n_jobs=N,
  progress=False).fit(X, y)``, then ``predict_proba`` (columns follow ``classes_``) or
  ``predict``;
* ``flaml``: ``flaml.AutoML().fit(X, y, task=..., metric=..., time_budget=B, n_jobs=N, seed=0,
  verbose=0)`` with FLAML's default estimator list (categoricals passed as strings, which
  FLAML turns into ``category`` itself);
* ``lightgbm_default``: ``LGBMClassifier``/``LGBMRegressor(n_jobs=N, random_state=0,
  verbose=-1)``, categoricals as pandas ``category`` with the training fold's categories
  (unseen values become NaN).

Outer folds: 5-fold ``StratifiedKFold`` (classification) or ``KFold`` (regression),
``shuffle=True, random_state=0``; adult uses its original train/test split (one fold, read
from its JSON ``notes``). Metrics (AutoML Benchmark): AUC of the positive class (binary;
tsautoml ``AUC_weighted``, FLAML ``roc_auc``), log loss over all classes (multiclass;
``log_loss``), R² (regression; ``r2_score`` / ``r2``), all scored here with scikit-learn.

Summary. Per dataset, mean±std over folds (best in bold). Systems are ranked within each
dataset by their mean (ties averaged; a system with a failed fold ranks last), and the ranks
are averaged over datasets. tsautoml is *clearly worse* than ``lightgbm_default`` on a
dataset when, with d_k = tsautoml - lightgbm on fold k (signed so that d > 0 is better, i.e.
negated for log loss), mean(d) < -SE with SE = std(d, ddof=1) / sqrt(K), *and* |mean(d)| >
0.5% of |lightgbm's mean|. With one fold (adult, or ``--folds 1``) there is no SE and only the
relative gap counts. *Clearly better* is the mirror image. Fit times are compared with the
budget (FLAML's include its final refit on the whole training fold).

A system that raises is recorded (status ``failed`` and the error) and the run goes on. The
results of ``flaml`` and ``lightgbm_default`` are cached in ``results/cache/`` per dataset,
fold, budget (flaml only) and n_jobs, and reused until the data file, the split or the
library versions change; ``--refresh-peers`` refits them.

Run from the repository root with the project's environment (FLAML: ``pip install
"flaml[automl]"``), on an otherwise idle machine::

    python benchmarks/tabular_accuracy.py                       # all 11 datasets, 20 s, ~40 min
    python benchmarks/tabular_accuracy.py --datasets iris,diabetes,breast_cancer --folds 1 --budget 5
    python benchmarks/tabular_accuracy.py --systems tsautoml     # peers from the cache only
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pandas as pd

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(ROOT), str(BENCH)]

import _report as report  # noqa: E402
import _tabular_data as tab  # noqa: E402
import _tabular_report as tabular_report  # noqa: E402
from _tabular_data import TabularDataset  # noqa: E402

SYSTEMS = ("tsautoml", "flaml", "lightgbm_default")
PEERS = ("flaml", "lightgbm_default")  # cached
BUDGETED = ("tsautoml", "flaml")
#: Packages whose versions are recorded (and, for peers, must match a cached result).
PACKAGES = {
    "tsautoml": ("tsautoml", "scikit-learn", "lightgbm"),
    "flaml": ("flaml", "lightgbm", "xgboost", "scikit-learn"),
    "lightgbm_default": ("lightgbm", "scikit-learn"),
}
CSV_COLUMNS = [
    "timestamp", "commit", "dataset", "task", "metric", "split", "fold", "n_train", "n_test",
    "system", "version", "budget_s", "n_jobs", "score", "fit_s", "predict_s", "status",
    "cached", "detail", "error",
]  # fmt: skip


@dataclass(frozen=True)
class Settings:
    budget: float
    n_jobs: int


@dataclass
class Fitted:
    """A system's test predictions (probabilities aligned with ``data.classes``, or values)."""

    prediction: np.ndarray
    fit_s: float
    predict_s: float
    detail: str = ""
    log: str = ""


@dataclass
class Result:
    """One (dataset, fold, system) row of the CSV."""

    dataset: str
    fold: int
    system: str
    score: float = float("nan")
    fit_s: float = float("nan")
    predict_s: float = float("nan")
    status: str = "ok"
    cached: bool = False
    detail: str = ""
    error: str = ""


# ---------------------------------------------------------------------------- systems
def timed(call: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    out = call()
    return out, time.perf_counter() - start


def _predict(data: TabularDataset, model: Any, X_test: pd.DataFrame) -> tuple[np.ndarray, float]:
    """Aligned probabilities (classification) or float predictions, and the predict time."""
    if data.is_classification:
        proba, seconds = timed(lambda: model.predict_proba(X_test))
        return tab.align_proba(proba, model.classes_, data.classes), seconds
    values, seconds = timed(lambda: model.predict(X_test))
    return np.asarray(values, dtype=float).ravel(), seconds


def fit_tsautoml(
    data: TabularDataset, X: pd.DataFrame, y: pd.Series, X_test: pd.DataFrame, s: Settings
) -> Fitted:
    from tsautoml import AutoML

    model = AutoML(
        task="classification" if data.is_classification else "regression",
        time_budget=s.budget, metric=data.metric.tsautoml, seed=0, n_jobs=s.n_jobs,
        progress=False,
    )  # fmt: skip
    _, fit_s = timed(lambda: model.fit(X, y))
    prediction, predict_s = _predict(data, model, X_test)
    return Fitted(prediction, fit_s, predict_s, log=_leaderboard_text(model))


def _leaderboard_text(model: Any) -> str:
    """The top of tsautoml's leaderboard for the log (or why there is none)."""
    try:
        return model.leaderboard().head(5).to_string(index=False, max_colwidth=60)
    except Exception as exc:  # the tabular API is new: record, do not fail the run
        return f"(no leaderboard: {type(exc).__name__}: {exc})"


def fit_flaml(
    data: TabularDataset, X: pd.DataFrame, y: pd.Series, X_test: pd.DataFrame, s: Settings
) -> Fitted:
    from flaml import AutoML as FlamlAutoML

    automl = FlamlAutoML()
    _, fit_s = timed(
        lambda: automl.fit(
            X,
            y,
            task="classification" if data.is_classification else "regression",
            metric=data.metric.flaml,
            time_budget=s.budget,
            n_jobs=s.n_jobs,
            seed=0,
            verbose=0,
        )
    )
    prediction, predict_s = _predict(data, automl, X_test)
    detail = f"best {automl.best_estimator}"
    return Fitted(prediction, fit_s, predict_s, detail=detail, log=f"{detail} {automl.best_config}")


def as_categories(
    train: pd.DataFrame, test: pd.DataFrame, columns: Sequence[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``category`` columns with the training fold's categories; unseen test values -> NaN."""
    train, test = train.copy(), test.copy()
    for col in columns:
        train[col] = train[col].astype("category")
        test[col] = pd.Categorical(test[col], categories=train[col].cat.categories)
    return train, test


def fit_lightgbm(
    data: TabularDataset, X: pd.DataFrame, y: pd.Series, X_test: pd.DataFrame, s: Settings
) -> Fitted:
    import lightgbm as lgb

    X, X_test = as_categories(X, X_test, data.categorical)
    cls = lgb.LGBMClassifier if data.is_classification else lgb.LGBMRegressor
    model = cls(n_jobs=s.n_jobs, random_state=0, verbose=-1)
    _, fit_s = timed(lambda: model.fit(X, y))
    prediction, predict_s = _predict(data, model, X_test)
    return Fitted(prediction, fit_s, predict_s)


FIT = {"tsautoml": fit_tsautoml, "flaml": fit_flaml, "lightgbm_default": fit_lightgbm}


# ------------------------------------------------------------------------------ cache
def versions(system: str) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for package in PACKAGES[system]:
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = None
    return out


def cache_path(cache_dir: Path, system: str, data: TabularDataset, fold: int, s: Settings) -> Path:
    budget = f"_b{s.budget:g}" if system in BUDGETED else ""  # LightGBM defaults take no budget
    return cache_dir / f"tabular_{system}_{data.name}_fold{fold}{budget}_j{s.n_jobs}.json"


def cache_key(system: str, data: TabularDataset, fold: int, s: Settings) -> dict[str, Any]:
    """What a cached result must match."""
    return {
        "dataset": data.name,
        "sha256": data.sha256,
        "split": tab.split_tag(data),
        "fold": fold,
        "metric": data.metric.label,
        "budget_s": s.budget if system in BUDGETED else None,
        "n_jobs": s.n_jobs,
        "versions": versions(system),
    }


def load_cached(path: Path, key: dict[str, Any]) -> Result | None:
    if not path.is_file():
        return None
    stored = json.loads(path.read_text())
    if stored.get("key") != key:
        return None
    result = Result(**stored["result"])
    result.cached = True
    return result


def save_cached(path: Path, key: dict[str, Any], result: Result) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"key": key, "result": asdict(result), "created": report.now()}
    path.write_text(json.dumps(payload, indent=1) + "\n")


# -------------------------------------------------------------------------------- runs
class RunLog:
    """The per-run log (overwritten each run): one block per fit, tracebacks, the report."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._file: TextIO = path.open("w")

    def write(self, *lines: str) -> None:
        self._file.write("\n".join(lines) + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()


def fit_one(
    system: str, data: TabularDataset, fold: int, rows: tuple[np.ndarray, np.ndarray],
    s: Settings, log: RunLog,
) -> Result:  # fmt: skip
    """Fit and score one system on one fold; any exception becomes a failed result."""
    train, test = rows
    X, y = data.X.iloc[train].reset_index(drop=True), data.y.iloc[train].reset_index(drop=True)
    X_test, y_test = data.X.iloc[test].reset_index(drop=True), data.y.iloc[test]
    result = Result(data.name, fold, system)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fitted = FIT[system](data, X, y, X_test, s)
            result.score = tab.score(data, y_test, fitted.prediction)
            result.fit_s, result.predict_s = fitted.fit_s, fitted.predict_s
            result.detail = fitted.detail
        except Exception as exc:  # recorded in the results and the log, the run goes on
            result.status, result.error = "failed", f"{type(exc).__name__}: {exc}"[:300]
            fitted = None
            log.write(traceback.format_exc().rstrip())
    messages = sorted({f"{w.category.__name__}: {w.message}"[:200] for w in caught})
    if messages:
        result.detail = "; ".join(filter(None, [result.detail, f"{len(caught)} warnings"]))
        log.write(f"warnings ({len(caught)}, {len(messages)} distinct):", *messages[:10])
    if fitted is not None and fitted.log:
        log.write(fitted.log)
    return result


def run_fold(
    system: str, data: TabularDataset, fold: int, rows: tuple[np.ndarray, np.ndarray],
    args: argparse.Namespace, log: RunLog,
) -> Result:  # fmt: skip
    """A peer from the cache when it is there, else fitted now (and cached when it succeeded)."""
    s = Settings(args.budget, args.n_jobs)
    log.write("", f"## {data.name} fold {fold} {system}")
    path, key = cache_path(args.out.parent / "cache", system, data, fold, s), None
    if system in PEERS:
        key = cache_key(system, data, fold, s)
        cached = None if args.refresh_peers else load_cached(path, key)
        if cached is not None:
            log.write(f"from cache {path.name}")
            return cached
    result = fit_one(system, data, fold, rows, s, log)
    if key is not None and result.status == "ok":
        save_cached(path, key, result)
    return result


def progress_line(r: Result) -> str:
    if r.status != "ok":
        return f"    {r.system:<17} failed: {r.error[:120]}"
    cached = " (cached)" if r.cached else ""
    return (
        f"    {r.system:<17} {r.score:.4f}  fit {r.fit_s:6.1f} s  predict {r.predict_s:5.2f} s"
        f"{cached}  {r.detail}"
    )


def csv_row(
    r: Result, data: TabularDataset, rows: tuple[np.ndarray, np.ndarray],
    args: argparse.Namespace, stamp: str,
) -> dict[str, Any]:  # fmt: skip
    main_package = PACKAGES[r.system][0]
    return {
        **asdict(r), "timestamp": stamp, "commit": report.commit(), "task": data.task,
        "metric": data.metric.label, "split": tab.split_tag(data), "n_train": len(rows[0]),
        "n_test": len(rows[1]), "version": versions(r.system)[main_package],
        "budget_s": args.budget if r.system in BUDGETED else None, "n_jobs": args.n_jobs,
    }  # fmt: skip


def append_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows)[CSV_COLUMNS].to_csv(
        path, mode="a", header=not path.is_file(), index=False, float_format="%.6g"
    )


def run_dataset(
    data: TabularDataset, args: argparse.Namespace, log: RunLog, stamp: str
) -> tuple[list[Result], tabular_report.DatasetInfo]:
    splits = tab.outer_splits(data)[: args.folds]
    print(
        f"\n{data.name}: {data.task}, {len(data.y):,} rows, {len(splits)} outer folds", flush=True
    )
    results = []
    for fold, rows in enumerate(splits):
        print(f"  fold {fold + 1}/{len(splits)}", flush=True)
        for system in args.systems:
            result = run_fold(system, data, fold, rows, args, log)
            print(progress_line(result), flush=True)
            log.write(progress_line(result).strip())
            append_csv(args.out, [csv_row(result, data, rows, args, stamp)])
            results.append(result)
    info = tabular_report.DatasetInfo(
        data.name, data.task, data.metric.label, data.metric.greater_is_better, len(data.y),
        len(splits),
    )  # fmt: skip
    return results, info


# ------------------------------------------------------------------------------- main
def _csv_list(choices: Sequence[str]) -> Callable[[str], list[str]]:
    def parse(text: str) -> list[str]:
        names = [n.strip() for n in text.split(",") if n.strip()]
        unknown = [n for n in names if n not in choices]
        if unknown or not names:
            raise argparse.ArgumentTypeError(
                f"unknown or empty: {unknown}; choose a comma-separated list of {', '.join(choices)}"
            )
        return names

    return parse


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--datasets", type=_csv_list(tab.DATASETS), default=list(tab.DATASETS))
    p.add_argument("--systems", type=_csv_list(SYSTEMS), default=list(SYSTEMS))
    p.add_argument("--budget", type=float, default=20.0, help="time_budget per fit, s")
    p.add_argument("--n-jobs", type=_positive_int, default=2, help="threads/workers per fit")
    p.add_argument("--folds", type=_positive_int, default=tab.N_FOLDS, help="first K outer folds")
    p.add_argument("--refresh-peers", action="store_true", help="refit peers even when cached")
    p.add_argument("--data-dir", type=Path, default=tab.DATA_DIR)
    p.add_argument(
        "--out", type=Path, default=BENCH / "results" / "tabular_accuracy.csv",
        help="results CSV (appended); the log and cache/ go next to it",
    )  # fmt: skip
    return p.parse_args(argv)


def _header(args: argparse.Namespace, stamp: str) -> list[str]:
    libs = {p: v for s in args.systems for p, v in versions(s).items()}
    return [
        f"# tabular_accuracy {stamp} commit {report.commit()} cpus {os.cpu_count()}",
        f"# systems {args.systems} budget {args.budget:g} s n_jobs {args.n_jobs} "
        f"folds <= {args.folds} refresh_peers {args.refresh_peers}",
        "# versions " + ", ".join(f"{p} {v}" for p, v in sorted(libs.items())),
    ]


def main(argv: Sequence[str] | None = None) -> str:
    """Run the benchmark; returns the markdown report ("" when there was no data)."""
    args = parse_args(argv)
    if not args.data_dir.is_dir():
        print(f"skipped: data folder {args.data_dir} not found (see --data-dir)")
        return ""
    available = [n for n in args.datasets if tab.dataset_available(n, args.data_dir)]
    for name in sorted(set(args.datasets) - set(available)):
        print(f"{name}: skipped: data not found in {args.data_dir}")
    if not available:
        return ""
    logging.getLogger("flaml").setLevel(logging.WARNING)  # verbose=0 covers FLAML's fits
    stamp, log = report.now(), RunLog(args.out.with_suffix(".log"))
    log.write(*_header(args, stamp))
    results, infos = [], []
    try:
        for name in available:
            dataset_results, info = run_dataset(
                tab.load_dataset(name, args.data_dir), args, log, stamp
            )
            results += dataset_results
            infos.append(info)
        frame = pd.DataFrame([asdict(r) for r in results])
        text = tabular_report.render(frame, infos, args.systems, args.budget, args.n_jobs)
        print("\n" + text)
        print(f"\nRows appended to {args.out}; log in {log.path}.")
        log.write("", text)
    finally:
        log.close()
    return text


if __name__ == "__main__":
    main()
