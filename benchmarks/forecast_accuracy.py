"""Forecast accuracy: tsautoml ``AutoML`` at a time budget vs statsforecast baselines.

For each dataset of ``../shared/data/forecasting`` (M4 Hourly, Weekly, Yearly, a Quarterly and
a Daily subset, Tourism Monthly and Quarterly) it runs SeasonalNaive, AutoETS, AutoTheta and
AutoARIMA from statsforecast (each in its own ``StatsForecast`` call, timed separately, and
cached), their median ensemble, and tsautoml with ``--budget`` seconds; then prints sMAPE,
MASE and OWA (M4 definitions, against Naive2) with wall and CPU time, a summary against the
official M4 results, and appends everything to ``results/forecast_accuracy.csv``.

Run from the repository root with the project's environment::

    python benchmarks/forecast_accuracy.py --datasets m4_hourly --budget 300
    python benchmarks/forecast_accuracy.py --max-series 20 --budget 20    # quick smoke run
    python benchmarks/forecast_accuracy.py --no-tsautoml --peers AutoARIMA  # fill the peer cache

See ``benchmarks/README.md`` for the definitions (median ensemble, overhead shares, Naive2).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import re
import sys
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psutil

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(ROOT), str(BENCH)]

import _data  # noqa: E402
import _report as report  # noqa: E402
from _data import Dataset  # noqa: E402
from _report import ENSEMBLE, PEERS, TSAUTOML  # noqa: E402

from tsautoml.metrics import get_metric, owa  # noqa: E402

#: Every multi-series set of the shared folder, the first seven the ones measured longest.
DATASETS = (
    "m4_hourly",
    "m4_weekly",
    "m4_yearly",
    "m4_quarterly_subset",
    "m4_daily_other",
    "tourism_monthly",
    "tourism_quarterly",
    "tourism_yearly",
    "m1_monthly",
    "m1_quarterly",
    "m1_yearly",
    "aus_retail",
    "pbs",
    "classic_monthly",
    "classic_quarterly",
    "classic_yearly",
)
ENSEMBLE_MEMBERS = ("AutoETS", "AutoTheta", "AutoARIMA")
DEFAULT_BUDGET = re.compile(r"No time_budget or max_trials given: searching for (\d+) s")


# ----------------------------------------------------------------------------- timing
def cpu_seconds() -> float:
    """CPU seconds of this process, its reaped children and its live descendants.

    ``user + system + children_user + children_system`` of this process (``RUSAGE_SELF`` and
    ``RUSAGE_CHILDREN``) plus the same for every live descendant. The difference of two
    readings counts worker pools that are still alive (joblib/loky keeps its workers) as well
    as pools that were shut down and reaped in between (statsforecast's process pool).
    """
    me = psutil.Process()
    total = _process_cpu(me)
    for child in me.children(recursive=True):
        try:
            total += _process_cpu(child)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass  # exited between listing and reading: counted once reaped
    return total


def _process_cpu(process: psutil.Process) -> float:
    t = process.cpu_times()
    return t.user + t.system + t.children_user + t.children_system


@dataclass
class Meter:
    """Wall and CPU seconds of a ``with`` block."""

    wall_s: float = math.nan
    cpu_s: float = math.nan

    @contextmanager
    def measure(self) -> Iterator[Meter]:
        wall, cpu = time.perf_counter(), cpu_seconds()
        try:
            yield self
        finally:
            self.wall_s, self.cpu_s = time.perf_counter() - wall, cpu_seconds() - cpu


# ------------------------------------------------------------------------------- runs
@dataclass
class Run:
    """One method's forecasts aligned with ``data.test`` rows, and what they cost."""

    method: str
    yhat: np.ndarray | None
    wall_s: float = math.nan
    cpu_s: float = math.nan
    cached: bool = False
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def align(test: pd.DataFrame, forecasts: pd.DataFrame, column: str) -> np.ndarray:
    """``forecasts[column]`` in the row order of ``test``; every test point must be forecast."""
    fc = forecasts[["unique_id", "ds", column]].copy()
    fc["unique_id"] = fc["unique_id"].astype(str)
    fc["ds"] = fc["ds"].astype(test["ds"].dtype)
    merged = test[["unique_id", "ds"]].merge(fc, on=["unique_id", "ds"], how="left", validate="1:1")
    missing = merged[column].isna().to_numpy()
    if missing.any():
        first = merged.loc[missing, ["unique_id", "ds"]].iloc[0].tolist()
        raise ValueError(
            f"{column}: {int(missing.sum())} of {len(merged)} test points have no forecast "
            f"(first: unique_id, ds = {first}). The forecasts must cover the whole test horizon."
        )
    return merged[column].to_numpy(dtype=float)


# ------------------------------------------------------------------------------ peers
def make_peer(name: str, season_length: int) -> Any:
    """A statsforecast model; the alias is its class name."""
    import statsforecast.models as sf_models

    return getattr(sf_models, name)(season_length=season_length)


def fit_peer(data: Dataset, name: str) -> tuple[pd.DataFrame, Meter]:
    """``StatsForecast([model], freq, n_jobs=-1).forecast(df=train, h=h)``, timed."""
    from statsforecast import StatsForecast

    sf = StatsForecast(models=[make_peer(name, data.season_length)], freq=data.freq, n_jobs=-1)
    meter = Meter()
    with meter.measure():
        forecasts = sf.forecast(df=data.train, h=data.horizon)
    return forecasts.rename(columns={name: "yhat"})[["unique_id", "ds", "yhat"]], meter


def cache_paths(cache_dir: Path, data: Dataset, name: str) -> tuple[Path, Path]:
    n = data.train["unique_id"].nunique()
    tag = f"n{n}-seed{_data.SUBSAMPLE_SEED}" if data.subsampled else "all"
    stem = cache_dir / f"{data.name}__{tag}__{name}"
    return stem.with_suffix(".parquet"), stem.with_suffix(".json")


def _cache_key(data: Dataset) -> dict[str, Any]:
    """What a cached forecast must match: the data files and the statsforecast version."""
    sha = {f["file"]: f.get("sha256") for f in data.meta.get("files", [])}
    return {
        "train_sha256": sha.get(f"{data.name}_train.csv.gz"),
        "n_series": int(data.train["unique_id"].nunique()),
        "season_length": data.season_length,
        "horizon": data.horizon,
        "statsforecast": version("statsforecast"),
    }


def load_peer(data: Dataset, name: str, cache_dir: Path) -> Run | None:
    """The cached run of ``name``, or None when absent or made from other data/versions."""
    frame_path, info_path = cache_paths(cache_dir, data, name)
    if not (frame_path.is_file() and info_path.is_file()):
        return None
    info = json.loads(info_path.read_text())
    if any(info.get(k) != v for k, v in _cache_key(data).items()):
        return None
    yhat = align(data.test, pd.read_parquet(frame_path), "yhat")
    return Run(name, yhat, float(info["wall_s"]), float(info["cpu_s"]), cached=True)


def save_peer(
    data: Dataset, name: str, forecasts: pd.DataFrame, meter: Meter, cache_dir: Path
) -> None:
    frame_path, info_path = cache_paths(cache_dir, data, name)
    cache_dir.mkdir(parents=True, exist_ok=True)
    forecasts.to_parquet(frame_path, index=False)
    info = {
        **_cache_key(data),
        "wall_s": meter.wall_s,
        "cpu_s": meter.cpu_s,
        "created": report.now(),
    }
    info_path.write_text(json.dumps(info, indent=1) + "\n")


def run_peer(data: Dataset, name: str, cache_dir: Path, refresh: bool) -> Run:
    """A peer's run from the cache, else fitted now (and cached); failures are recorded."""
    cached = None if refresh else load_peer(data, name, cache_dir)
    if cached is not None:
        return cached
    print(f"  fitting {name} ...", flush=True)
    try:
        forecasts, meter = fit_peer(data, name)
        yhat = align(data.test, forecasts, "yhat")
    except Exception as exc:  # a peer that fails is reported, not fatal
        return Run(name, None, note=f"failed: {type(exc).__name__}: {exc}"[:300])
    save_peer(data, name, forecasts, meter, cache_dir)
    return Run(name, yhat, meter.wall_s, meter.cpu_s)


def median_ensemble(runs: Sequence[Run]) -> Run | None:
    """Point-wise median of AutoETS, AutoTheta and AutoARIMA; times are the members' sums.

    Where AutoARIMA did not run (too slow here: M4 Hourly, Yearly), the median of the two
    others (their mean) is reported under its own name, so it is never mistaken for the full one.
    """
    members = [r for r in runs if r.method in ENSEMBLE_MEMBERS and r.yhat is not None]
    if len(members) < 2:
        return None
    yhat = np.median(np.vstack([r.yhat for r in members if r.yhat is not None]), axis=0)
    wall, cpu = sum(r.wall_s for r in members), sum(r.cpu_s for r in members)
    name = ENSEMBLE if len(members) == len(ENSEMBLE_MEMBERS) else (
        "Median(" + ",".join(r.method.removeprefix("Auto") for r in members) + ")"
    )
    return Run(name, yhat, wall, cpu, cached=all(r.cached for r in members), note="sum of members")


# --------------------------------------------------------------------------- tsautoml
class _Records(logging.Handler):
    """Keeps tsautoml's log records of one run (for the log file and the search wall time)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def search_wall(self) -> float:
        """Wall time of the search loop, from its "Search stopped after %d trials (%.1fs)" record."""
        for r in self.records:
            if r.name == "tsautoml.engine.search" and str(r.msg).startswith("Search stopped"):
                args = r.args if isinstance(r.args, tuple) else ()
                elapsed = args[1] if len(args) >= 2 else None
                return float(elapsed) if isinstance(elapsed, int | float) else math.nan
        return math.nan

    def lines(self) -> list[str]:
        return [f"{r.levelname} {r.name}: {r.getMessage()}" for r in self.records]


@contextmanager
def capture_tsautoml_logs() -> Iterator[_Records]:
    """Route the ``tsautoml`` logger's INFO records to memory for the duration of a run."""
    logger, handler = logging.getLogger("tsautoml"), _Records()
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def run_tsautoml(data: Dataset, budget: float | None, log_path: Path) -> Run:
    """Fit ``AutoML`` on the training data with ``budget`` seconds and forecast the test horizon.

    With ``budget=None`` tsautoml sizes its own budget (no ``time_budget``, no ``max_trials``);
    the seconds it chose are in the run's note.
    """
    try:
        from tsautoml.automl import AutoML
    except Exception as exc:  # the learners may still be in progress
        return Run(TSAUTOML, None, note=f"unavailable: {type(exc).__name__}: {exc}"[:300])
    automl = AutoML(
        task="forecasting", horizon=data.horizon, season_length=data.season_length, freq=None,
        time_budget=budget, seed=0, n_jobs=-1, progress=False,
    )  # fmt: skip
    fit, total = Meter(), Meter()
    with capture_tsautoml_logs() as logs, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with total.measure():
                with fit.measure():
                    automl.fit(data.train)
                forecasts = automl.predict()
            yhat = align(data.test, forecasts, "forecast")
        except Exception as exc:
            report.write_failure_log(log_path, data, budget, exc, logs.lines())
            return Run(TSAUTOML, None, note=f"failed: {type(exc).__name__}: {exc}"[:300])
    stats = search_stats(automl, fit.wall_s, logs.search_wall())
    report.write_log(
        log_path, data, budget, automl, stats, logs.lines(), [str(w.message) for w in caught]
    )
    chosen = next((m.group(1) for line in logs.lines() if (m := DEFAULT_BUDGET.search(line))), None)
    notes = [f"default budget {chosen} s" if chosen else "", f"{len(caught)} warnings" if caught else ""]
    return Run(TSAUTOML, yhat, total.wall_s, total.cpu_s, note="; ".join(n for n in notes if n), extra=stats)


def search_stats(automl: Any, fit_wall_s: float, search_wall_s: float) -> dict[str, Any]:
    """Trial counts and the overhead shares defined in benchmarks/README.md.

    Search trials are the leaderboard rows outside the ``selection`` rung (those rows are
    the ways of combining the trials, scored after the search).
    """
    from tsautoml.backends.local import resolve_n_jobs

    board = automl.leaderboard()
    trials = board[board["rung"] != "selection"]
    ok = trials[trials["status"] == "ok"]
    fit_s, ok_s, all_s = ok["fit_time"].sum(), ok["seconds"].sum(), trials["seconds"].sum()
    workers = resolve_n_jobs(automl.n_jobs)
    inner_fit = float(automl.model_.report.fit_time)
    return {
        "n_trials": len(trials),
        "n_ok": len(ok),
        "stop_reason": automl.model_.report.stop_reason,
        "fit_wall_s": fit_wall_s,
        "search_wall_s": search_wall_s,
        "n_workers": workers,
        "trial_overhead": 1 - fit_s / ok_s if ok_s > 0 else math.nan,
        "failed_share": (all_s - ok_s) / all_s if all_s > 0 else math.nan,
        "search_overhead": 1 - fit_s / (workers * search_wall_s),
        "post_search_share": (inner_fit - search_wall_s) / inner_fit,
    }


# ---------------------------------------------------------------------------- scoring
@dataclass(frozen=True)
class Scorer:
    """sMAPE, MASE and MAPE of forecasts aligned with ``data.test`` (M4 definitions)."""

    y: np.ndarray
    indptr: np.ndarray
    y_train: np.ndarray
    train_indptr: np.ndarray
    season_length: int

    @classmethod
    def of(cls, data: Dataset) -> Scorer:
        test_ids = data.test["unique_id"].to_numpy()
        train_indptr, indptr = _data.indptr_of(data.train), _data.indptr_of(data.test)
        train_ids = data.train["unique_id"].to_numpy()[train_indptr[:-1]]
        if not np.array_equal(train_ids, test_ids[indptr[:-1]]):
            raise ValueError(
                f"{data.name}: train and test do not hold the same series in the same order."
            )
        y_train = data.train["y"].to_numpy(float)
        return cls(
            data.test["y"].to_numpy(float), indptr, y_train, train_indptr, data.season_length
        )

    def __call__(self, yhat: np.ndarray) -> dict[str, float]:
        mase = get_metric("mase", "forecast").evaluate(
            self.y, yhat, self.indptr, y_train=self.y_train, train_indptr=self.train_indptr,
            season_length=self.season_length,
        )  # fmt: skip
        return {
            "smape": get_metric("smape", "forecast").score(self.y, yhat, self.indptr),
            "mase": mase.value,
            "mape": get_metric("mape", "forecast").score(self.y, yhat, self.indptr),
            "mase_excluded": mase.n_excluded,
        }


def score_runs(data: Dataset, runs: Sequence[Run], naive2: np.ndarray) -> pd.DataFrame:
    """One row per run with sMAPE, MASE, MAPE, OWA (vs Naive2 on the same series) and times."""
    scorer = Scorer.of(data)
    ref = scorer(naive2)
    rows = []
    for run in runs:
        row: dict[str, Any] = {"method": run.method, "wall_s": run.wall_s, "cpu_s": run.cpu_s}
        row.update(cached=run.cached, note=run.note, **run.extra)
        if run.yhat is not None:
            scores = scorer(run.yhat)
            scores["owa"] = owa(scores["smape"], scores["mase"], ref["smape"], ref["mase"])
            if scores.pop("mase_excluded"):
                row["note"] = f"{row['note']}; MASE leaves out zero-scale series".strip("; ")
            row.update(scores)
        rows.append(row)
    return pd.DataFrame(rows).reindex(
        columns=[*report.CSV_COLUMNS[5:], "n_ok", "fit_wall_s", "search_wall_s"]
    )


# ------------------------------------------------------------------------------- main
def evaluate_dataset(data: Dataset, args: argparse.Namespace, stamp: str) -> dict[str, Any]:
    """Peers, ensemble and tsautoml on one dataset: print the tables, append the CSV."""
    naive2_frame, naive2_source = _data.naive2(data)
    naive2 = align(data.test, naive2_frame, "Naive2")
    runs = [Run("Naive2", naive2, note="OWA = 1 by definition")] + [
        run_peer(data, p, args.out / "cache", args.refresh_peers) for p in args.peers
    ]
    ensemble = median_ensemble(runs)
    runs += [ensemble] if ensemble else []
    if not args.no_tsautoml:
        print(f"  fitting tsautoml ({report.budget_label(args.budget)} budget) ...", flush=True)
        runs.append(
            run_tsautoml(data, args.budget, args.out / f"forecast_accuracy_{data.name}.log")
        )
    scores = score_runs(data, runs, naive2)
    report.print_dataset(data, scores, naive2_source)
    report.naive2_check(data, scores)
    report.print_tourism(data, scores)
    report.append_csv(args.out / "forecast_accuracy.csv", data, args.budget, scores, stamp)
    return report.summary_row(data, scores, args.budget)


def check_naive2(names: Sequence[str], data_dir: Path) -> None:
    """Our Naive2 vs the official M4 forecasts (validates the Naive2 used for Tourism)."""
    for name in (
        n for n in names if n in _data.M4_FREQUENCY and _data.dataset_available(n, data_dir)
    ):
        data = _data.load_dataset(name, data_dir)
        official, _ = _data.naive2(data)
        ours = _data.naive2_forecasts(data)["Naive2"].to_numpy()
        theirs = align(data.test, official, "Naive2")
        rel = np.abs(ours - theirs) / np.maximum(np.abs(theirs), 1e-12)
        print(
            f"Naive2 check {name}: max relative difference to the official forecasts {rel.max():.1e}"
        )


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive number of series, got {value}")
    return value


def _budget(text: str) -> float | None:
    if text == "default":
        return None
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds or 'default', got {text}")
    return value


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--datasets", nargs="+", choices=DATASETS, default=list(DATASETS))
    p.add_argument(
        "--budget", type=_budget, default=300.0,
        help="tsautoml time_budget per dataset, s; 'default': the budget tsautoml sizes itself",
    )
    p.add_argument("--peers", nargs="+", choices=PEERS, default=list(PEERS))
    p.add_argument("--refresh-peers", action="store_true", help="refit peers even when cached")
    p.add_argument(
        "--max-series", type=_positive, help="seeded random subset of series per dataset"
    )
    p.add_argument("--no-tsautoml", action="store_true", help="peers only (e.g. to fill the cache)")
    p.add_argument("--check-naive2", action="store_true", help="our Naive2 vs the official M4 one")
    p.add_argument("--data-dir", type=Path, default=_data.DATA_DIR)
    p.add_argument("--out", type=Path, default=BENCH / "results", help="results, logs and cache/")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.check_naive2:
        check_naive2(args.datasets, args.data_dir)
    stamp, summary = report.now(), []
    for name in args.datasets:
        if not _data.dataset_available(name, args.data_dir):
            print(f"{name}: skipped: data not found in {args.data_dir}")
            continue
        print(f"\n{name}: loading", flush=True)
        data = _data.load_dataset(name, args.data_dir, args.max_series)
        summary.append(evaluate_dataset(data, args, stamp))
    if summary:
        report.print_summary(summary, args.budget, args.out)


if __name__ == "__main__":
    main()
