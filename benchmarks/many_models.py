"""Many models: one search per series (``group_by=["unique_id"]``), joblib vs Dask, and accuracy.

Two datasets: M4 Yearly (21,000 series, h = 6, from ``../shared/data/forecasting``; skipped
with a message when absent) and ``daily100k``, a generated panel of 100,000 short daily
series (:func:`daily_panel`: 40-120 training days plus a 7-day test, weekly seasonality,
trend and noise, 15% intermittent; seeded, built in memory in a few seconds).

``--part throughput``
    A fixed workload (:data:`WORKLOADS`, no time budget, so every backend does the same
    work) with joblib and with Dask (a local cluster), 2 and 1 workers: wall time, series
    per second, CPU time, peak resident memory of the whole process tree (driver plus every
    worker process, sampled every 0.2 s) against the memory planner's estimate, the Dask
    overhead (Dask wall / joblib wall - 1, target <= 15%), the scaling from 1 to 2 workers
    and the largest difference of each run's forecasts from joblib's (should be 0).
``--part accuracy``
    statsforecast's own parallel run, ``StatsForecast([AutoETS, AutoTheta], n_jobs=2)``
    (timed, cached in ``results/cache``), and the median of the two (their mean), against
    tsautoml (joblib, 2 workers, every model) at each budget of ``--budgets``: OWA against
    Naive2, sMAPE, MASE, wall time, peak memory, why the search stopped, the groups the
    budget never reached and the models that serve the most groups. Target: tsautoml's OWA
    at 300 s is at most the AutoETS+AutoTheta median's.

Every measured run happens in a fresh child process (this script with ``--child``), so no
worker pool or cluster of an earlier run is alive or counted, and each run pays its own
start-up (joblib's workers, Dask's cluster) inside its wall time.

Fixed workloads (:data:`WORKLOADS`), chosen from runs on subsets on 2 shared cores so that
one joblib run with 2 workers takes about 1-3 minutes on the full data:

- m4_yearly: ``allowed_models=["Naive", "HistoricAverage", "AutoTheta", "AutoETS"],
  max_trials=4``: every series climbs the cheap rung (3 trials) and the standard one
  (AutoETS); about 14 ms of CPU per series in the trials, so about 2.5-3 minutes on 2
  workers. Compute-bound: it measures how well the backends keep the cores busy.
- daily100k: the same four models at ``season_length=7`` would take about 6-8 hours per run
  here (AutoETS about 350 ms and AutoTheta 60 ms of CPU per series), so the cheap rung's
  eight models, ``allowed_models=["Naive", "SeasonalNaive", "HistoricAverage",
  "WindowAverage", "CrostonOptimized", "ADIDA", "IMAPA", "TSB"], max_trials=8``: about
  1.3 ms of CPU per series, so about 1-1.5 minutes. Overhead-bound: it measures what
  scheduling, shipping 100,000 series and start-up cost.

Run from the repository root with the project's environment::

    python benchmarks/many_models.py --part throughput --datasets m4_yearly
    python benchmarks/many_models.py --part accuracy --datasets m4_yearly --budgets 120,300,600
    python benchmarks/many_models.py --part all --max-series 300 --budgets 20   # smoke run
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import subprocess
import sys
import tempfile
import threading
import traceback
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psutil

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(ROOT), str(BENCH)]

import _data  # noqa: E402
import _many_report as report  # noqa: E402
import forecast_accuracy as fa  # noqa: E402
from _data import Dataset  # noqa: E402

DATASETS = ("m4_yearly", "daily100k")
PARTS = ("throughput", "accuracy", "all")
DEFAULT_CONFIGS = "joblib:2,dask:2,dask:1,joblib:1"
PEER_MODELS = ("AutoETS", "AutoTheta")
PEER_JOBS = 2
ACCURACY_JOBS = 2
SAMPLE_EVERY_S = 0.2


@dataclass(frozen=True)
class Workload:
    """The fixed work of a throughput run: models and trials per series, no time budget."""

    models: tuple[str, ...]
    max_trials: int

    def settings(self) -> dict[str, Any]:
        return {"allowed_models": list(self.models), "max_trials": self.max_trials}

    def describe(self) -> str:
        return f"max_trials={self.max_trials}, allowed_models={list(self.models)}"


CHEAP_DAILY = ("Naive", "SeasonalNaive", "HistoricAverage", "WindowAverage")
INTERMITTENT = ("CrostonOptimized", "ADIDA", "IMAPA", "TSB")
WORKLOADS = {
    "m4_yearly": Workload(("Naive", "HistoricAverage", "AutoTheta", "AutoETS"), 4),
    "daily100k": Workload(CHEAP_DAILY + INTERMITTENT, 8),
}


# ------------------------------------------------------------------------------ data
@dataclass(frozen=True)
class PanelSpec:
    """The generated daily panel: sizes, horizon and the share of intermittent series."""

    n_series: int = 100_000
    min_length: int = 40  # training days
    max_length: int = 120
    horizon: int = 7
    intermittent: float = 0.15
    last_day: str = "2025-12-31"  # every series ends here (its test's last day)
    seed: int = 0


def daily_panel(spec: PanelSpec = PanelSpec(), max_series: int | None = None) -> Dataset:
    """The generated panel as a :class:`Dataset`; with ``max_series``, a seeded subset of it.

    Each series has a log-normal level, a linear trend, a weekly pattern on the calendar
    weekday and Gaussian noise, clipped at 0; a share ``spec.intermittent`` of them are
    intermittent demand instead (Bernoulli occurrences times Poisson sizes). Ids
    ``D000000`` ... sort in panel order. The last ``spec.horizon`` days are the test.
    """
    rng = np.random.default_rng(spec.seed)
    n, h = spec.n_series, spec.horizon
    lengths = rng.integers(spec.min_length, spec.max_length + 1, n) + h
    series = np.repeat(np.arange(n), lengths)
    step = np.arange(series.size) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    end = pd.Timestamp(spec.last_day)
    days = (end - pd.Timestamp(0)).days - (lengths[series] - 1 - step)
    y = _smooth_values(rng, n, series, step, (days + 3) % 7)  # 1970-01-01 was a Thursday
    y = np.where(rng.random(n)[series] < spec.intermittent, _intermittent_values(rng, n, series), y)
    ids = np.array([f"D{i:06d}" for i in range(n)], dtype=object)
    frame = pd.DataFrame({
        "unique_id": ids[series],
        "ds": pd.to_datetime(days, unit="D"),
        "y": np.round(y, 2),
    })  # fmt: skip
    is_test = step >= lengths[series] - h
    train, test = frame[~is_test].reset_index(drop=True), frame[is_test].reset_index(drop=True)
    if max_series is not None and max_series < n:
        keep = _data.subsample_ids(train["unique_id"], max_series)
        train = train[train["unique_id"].isin(keep)].reset_index(drop=True)
        test = test[test["unique_id"].isin(keep)].reset_index(drop=True)
    digest = hashlib.sha256(pd.util.hash_pandas_object(train, index=False).to_numpy()).hexdigest()
    meta = {
        "generator": {k: getattr(spec, k) for k in spec.__dataclass_fields__},
        # the digest of the generated training frame stands in for a file's sha256 (peer cache)
        "files": [{"file": "daily100k_train.csv.gz", "sha256": digest}],
    }
    return Dataset("daily100k", train, test, h, 7, "D", meta, n, Path("."))


def _smooth_values(
    rng: np.random.Generator, n: int, series: np.ndarray, step: np.ndarray, weekday: np.ndarray
) -> np.ndarray:
    """Level + trend + weekly pattern + noise, all scaled by each series' level."""
    level = rng.lognormal(3.0, 1.0, n)
    slope = rng.normal(0.0, 0.004, n) * level
    pattern = rng.normal(size=(n, 7))
    pattern = (pattern - pattern.mean(axis=1, keepdims=True)) * rng.uniform(0, 0.15, (n, 1))
    noise = rng.normal(size=series.size) * rng.uniform(0.03, 0.15, n)[series]
    values = slope[series] * step + level[series] * (1 + pattern[series, weekday] + noise)
    return np.maximum(values, 0.0)


def _intermittent_values(rng: np.random.Generator, n: int, series: np.ndarray) -> np.ndarray:
    occurs = rng.random(series.size) < rng.uniform(0.2, 0.6, n)[series]
    return occurs * (1 + rng.poisson(rng.uniform(1.0, 8.0, n)[series]))


def resolve_data_dir(path: Path) -> Path:
    """``path``, or its ``forecasting`` folder when given the shared data root."""
    nested = path / "forecasting"
    return nested if not (path / "m4_yearly.json").is_file() and nested.is_dir() else path


def available(name: str, data_dir: Path) -> bool:
    return name == "daily100k" or _data.dataset_available(name, data_dir)


def load(name: str, data_dir: Path, max_series: int | None) -> Dataset:
    if name == "daily100k":
        return daily_panel(max_series=max_series)
    return _data.load_dataset(name, data_dir, max_series)


# ----------------------------------------------------------------------- measurement
class TreeMemory:
    """Peak resident memory of this process and all its descendants, sampled in a thread.

    Sums the RSS of the driver and of every descendant (joblib's workers, Dask's worker
    processes, statsforecast's pool), so pages shared between processes, such as those of
    the libraries, count once per process. ``peak`` is the largest sum seen; ``driver`` and
    ``workers`` are the largest values of each part, not necessarily at the same moment.
    """

    def __init__(self, interval: float = SAMPLE_EVERY_S) -> None:
        self.interval = interval
        self.peak = self.driver = self.workers = 0
        self.processes = 1
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeMemory:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def sample(self) -> None:
        me = psutil.Process()
        driver = _rss(me)
        children = me.children(recursive=True)
        workers = sum(_rss(p) for p in children)
        self.peak = max(self.peak, driver + workers)
        self.driver, self.workers = max(self.driver, driver), max(self.workers, workers)
        self.processes = max(self.processes, 1 + len(children))


def _rss(process: psutil.Process) -> int:
    try:
        return int(process.memory_info().rss)
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return 0  # exited between listing and reading


@dataclass
class Outcome:
    """What a child run hands back: its measurements, forecasts and log (or its error)."""

    result: dict[str, Any]
    forecasts: pd.DataFrame | None
    log: str
    error: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def run_child(spec: dict[str, Any]) -> Outcome:
    """Run ``spec`` in a fresh ``python many_models.py --child`` process and read back its files."""
    with tempfile.TemporaryDirectory(prefix="many_models_") as tmp:
        folder = Path(tmp)
        (folder / "spec.json").write_text(json.dumps({**spec, "folder": str(folder)}))
        proc = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--child", str(folder / "spec.json")],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        output = f"## child stdout\n{proc.stdout}\n## child stderr\n{proc.stderr}"
        result_path, log_path = folder / "result.json", folder / "log.txt"
        result = json.loads(result_path.read_text()) if result_path.is_file() else {}
        log = (log_path.read_text() if log_path.is_file() else "") + "\n" + output
        frame_path = folder / "forecasts.parquet"
        forecasts = pd.read_parquet(frame_path) if frame_path.is_file() else None
    error = result.get("error", "")
    if proc.returncode != 0 and not error:
        tail = " | ".join(proc.stderr.strip().splitlines()[-3:])
        error = f"child exited with {proc.returncode}: {tail}"[:400]
    return Outcome(result, forecasts, log, error)


# ----------------------------------------------------------------------- child side
def child_main(spec_path: Path) -> None:
    """The child process: load the data, run one fit, write result.json, forecasts and a log."""
    spec = json.loads(spec_path.read_text())
    folder = Path(spec["folder"])
    result: dict[str, Any] = {}
    log: list[str] = []
    try:
        data = load(spec["dataset"], Path(spec["data_dir"]), spec["max_series"])
        result["n_series"] = int(data.train["unique_id"].nunique())
        fit = fit_tsautoml if spec["kind"] == "tsautoml" else fit_statsforecast
        forecasts = fit(data, spec, result, log)
        forecasts.to_parquet(folder / "forecasts.parquet", index=False)
    except Exception as exc:
        trace = traceback.format_exception(type(exc), exc, exc.__traceback__)
        result["error"] = f"{type(exc).__name__}: {exc}"[:400]
        log += ["## FAILED", "".join(trace)]
    (folder / "result.json").write_text(json.dumps(result, default=str))
    (folder / "log.txt").write_text("\n".join(log) + "\n")


def fit_tsautoml(
    data: Dataset, spec: dict[str, Any], result: dict[str, Any], log: list[str]
) -> pd.DataFrame:
    """``AutoML(group_by=["unique_id"], ...).fit(train)`` and ``predict()``, measured."""
    from tsautoml import AutoML, CVConfig, ScaleOut

    settings = dict(spec["settings"])
    windows = settings.pop("cv_windows", None)
    scale = ScaleOut(**{k: settings.pop(k) for k in ("backend", "max_memory") if k in settings})
    model = AutoML(
        task="forecasting", horizon=data.horizon, season_length=data.season_length,
        freq=data.freq, group_by=["unique_id"], seed=0, progress=False,
        cv=None if windows is None else CVConfig(n_windows=windows), scale=scale, **settings,
    )  # fmt: skip
    meter = fa.Meter()
    with fa.capture_tsautoml_logs() as logs, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with TreeMemory() as memory, meter.measure():
                model.fit(data.train)
                forecasts = model.predict()
        finally:
            log += report.tsautoml_log_lines(logs.lines(), [str(w.message) for w in caught])
    result.update(_measurements(meter, memory), search_s=_rung_seconds(logs.records))
    result.update(report.search_summary(model))
    log[:0] = report.tsautoml_log(model)
    return forecasts[["unique_id", "ds", "forecast"]]


def _rung_seconds(records: list[Any]) -> float:
    """Seconds of the search rungs, from the engine's "Rung %r: %d groups in %.1fs." records."""
    total = 0.0
    for r in records:
        if r.name == "tsautoml.engine.search" and str(r.msg).startswith("Rung "):
            args = r.args if isinstance(r.args, tuple) else ()
            total += float(args[2]) if len(args) >= 3 else math.nan
    return total


def fit_statsforecast(
    data: Dataset, spec: dict[str, Any], result: dict[str, Any], log: list[str]
) -> pd.DataFrame:
    """statsforecast's own parallel run of ``PEER_MODELS`` on the training data, measured."""
    from statsforecast import StatsForecast

    models = [fa.make_peer(name, data.season_length) for name in spec["models"]]
    sf = StatsForecast(models=models, freq=data.freq, n_jobs=spec["n_jobs"])
    meter = fa.Meter()
    with TreeMemory() as memory, meter.measure():
        forecasts = sf.forecast(df=data.train, h=data.horizon)
    result.update(_measurements(meter, memory))
    log.append(
        f"StatsForecast(models={spec['models']}, freq={data.freq!r}, n_jobs={spec['n_jobs']})"
    )
    return forecasts[["unique_id", "ds", *spec["models"]]]


def _measurements(meter: fa.Meter, memory: TreeMemory) -> dict[str, Any]:
    return {
        "wall_s": meter.wall_s,
        "cpu_s": meter.cpu_s,
        "peak": memory.peak,
        "driver_peak": memory.driver,
        "workers_peak": memory.workers,
        "processes": memory.processes,
    }


# ------------------------------------------------------------------------ throughput
def throughput(name: str, args: argparse.Namespace, stamp: str) -> None:
    """The fixed workload under every ``--configs`` backend: table, CSV rows and the log."""
    workload = WORKLOADS[name]
    rows, logs, frames = [], [], {}
    for backend, workers in args.configs:
        label = f"{backend}:{workers}"
        print(f"  {label} ({workload.describe()}) ...", flush=True)
        outcome = run_child(_spec(name, args, "tsautoml", {
            **workload.settings(), "backend": backend, "n_jobs": workers,
        }))  # fmt: skip
        frames[label] = outcome.forecasts
        rows.append(
            report.run_row("throughput", name, label, outcome, workload=workload.describe())
        )
        logs.append((label, outcome.log))
    reference = frames.get("joblib:2")
    for row in rows:
        other = frames.get(row["config"])
        row["max_abs_diff"] = max_abs_diff(reference, other, "forecast")
    report.finish_throughput(name, rows, args.out, stamp)
    report.write_log(args.out / f"many_models_throughput_{name}.log", name, stamp, logs)


def max_abs_diff(a: pd.DataFrame | None, b: pd.DataFrame | None, column: str) -> float:
    """Largest |a - b| of ``column`` over the same (unique_id, ds); NaN when either is missing."""
    if a is None or b is None:
        return math.nan
    merged = a.merge(b, on=["unique_id", "ds"], how="outer", validate="1:1", indicator=True)
    if (merged["_merge"] != "both").any():
        return math.inf  # not even the same rows
    diff = (merged[f"{column}_x"] - merged[f"{column}_y"]).abs()
    return float(diff.max()) if len(diff) else math.nan


def _spec(
    name: str, args: argparse.Namespace, kind: str, settings: dict[str, Any]
) -> dict[str, Any]:
    return {
        "kind": kind, "dataset": name, "data_dir": str(args.data_dir),
        "max_series": args.max_series, "settings": settings,
    }  # fmt: skip


# -------------------------------------------------------------------------- accuracy
def accuracy(name: str, args: argparse.Namespace, stamp: str) -> None:
    """Naive2, the statsforecast peers and their median, tsautoml at each budget."""
    data = load(name, args.data_dir, args.max_series)
    naive2, naive2_source = naive2_of(data)
    scorer = fa.Scorer.of(data)
    ref = _score(scorer, naive2)
    rows: list[dict[str, Any]] = [
        {"method": "Naive2", **report.scored(ref, ref), "note": "OWA = 1 by definition"}
    ]
    peers, logs = peer_run(data, args)
    rows += peer_rows(data, peers, scorer, ref)
    for budget in args.budgets:
        print(f"  tsautoml, time_budget={budget:g} s ...", flush=True)
        outcome = run_child(_spec(name, args, "tsautoml", {
            "time_budget": budget, "backend": "joblib", "n_jobs": ACCURACY_JOBS, "cv_windows": args.windows,
        }))  # fmt: skip
        config = f"joblib:{ACCURACY_JOBS}, {args.windows or 3} validation window(s)"
        row = report.run_row("accuracy", name, config, outcome, budget=budget)
        if outcome.forecasts is not None:
            row.update(
                report.scored(
                    _score(scorer, fa.align(data.test, outcome.forecasts, "forecast")), ref
                )
            )
        rows.append(row)
        logs.append((f"tsautoml time_budget={budget:g}", outcome.log))
    report.finish_accuracy(data, rows, naive2_source, args.out, stamp)
    report.write_log(args.out / f"many_models_accuracy_{name}.log", name, stamp, logs)


def naive2_of(data: Dataset) -> tuple[np.ndarray, str]:
    """Naive2 aligned with ``data.test``, where it comes from, and how many series fell back.

    On intermittent series the classical decomposition can give a zero seasonal index, so a
    non-finite Naive2; those series get plain naive (their last training value) instead.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        frame, source = _data.naive2(data)
    keys = frame.assign(
        unique_id=frame["unique_id"].astype(str), ds=frame["ds"].astype(data.test["ds"].dtype)
    )
    merged = data.test[["unique_id", "ds"]].merge(keys, on=["unique_id", "ds"], how="left")
    yhat = merged["Naive2"].to_numpy(float)  # NaN where Naive2 failed, handled below
    last = data.train.groupby("unique_id", sort=False)["y"].last()
    naive = data.test["unique_id"].map(last).to_numpy(float)
    bad = ~np.isfinite(yhat)
    if bad.any():
        n_bad = data.test.loc[bad, "unique_id"].nunique()
        source += f"; {n_bad} series without a finite Naive2 (zero seasonal index) get plain naive"
    return np.where(bad, naive, yhat), source


def _score(scorer: fa.Scorer, yhat: np.ndarray) -> dict[str, float]:
    with np.errstate(divide="ignore", invalid="ignore"):  # MAPE of zero actuals (not reported)
        return scorer(yhat)


def peer_run(data: Dataset, args: argparse.Namespace) -> tuple[Outcome, list[tuple[str, str]]]:
    """statsforecast's AutoETS + AutoTheta run: from the cache, else in a child (then cached)."""
    frame_path, info_path = fa.cache_paths(
        args.out / "cache", data, "+".join(PEER_MODELS) + f"-n_jobs{PEER_JOBS}"
    )
    # forecast_accuracy's key (data file digest, series, m, h, statsforecast version) and the run
    key = {**fa._cache_key(data), "models": list(PEER_MODELS), "n_jobs": PEER_JOBS}
    if not args.refresh and frame_path.is_file() and info_path.is_file():
        info = json.loads(info_path.read_text())
        if all(info.get(k) == v for k, v in key.items()):
            cached = Outcome(
                info["result"], pd.read_parquet(frame_path), "", extra={"cached": True}
            )
            return cached, [("statsforecast (from cache)", json.dumps(info, indent=1))]
    print(f"  statsforecast {' + '.join(PEER_MODELS)}, n_jobs={PEER_JOBS} ...", flush=True)
    spec = _spec(data.name, args, "statsforecast", {})
    outcome = run_child({**spec, "models": list(PEER_MODELS), "n_jobs": PEER_JOBS})
    if outcome.forecasts is not None and not outcome.error:
        frame_path.parent.mkdir(parents=True, exist_ok=True)
        outcome.forecasts.to_parquet(frame_path, index=False)
        info = {**key, "result": outcome.result, "created": report.now()}
        info_path.write_text(json.dumps(info, indent=1, default=str) + "\n")
    return outcome, [("statsforecast", outcome.log)]


def peer_rows(
    data: Dataset, peers: Outcome, scorer: fa.Scorer, ref: dict[str, float]
) -> list[dict[str, Any]]:
    """One row per peer model and one for their median; the run's times go on the median row."""
    run = report.run_row("accuracy", data.name, f"statsforecast n_jobs={PEER_JOBS}", peers)
    if peers.forecasts is None:
        return [{**run, "method": report.PEER_MEDIAN}]
    members = {m: fa.align(data.test, peers.forecasts, m) for m in PEER_MODELS}
    rows = [{"method": m, **report.scored(_score(scorer, y), ref), "note": "same run as the median"}
            for m, y in members.items()]  # fmt: skip
    median = np.median(np.vstack(list(members.values())), axis=0)
    rows.append({**run, "method": report.PEER_MEDIAN, **report.scored(_score(scorer, median), ref)})
    return rows


# ------------------------------------------------------------------------------ main
def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive number of series, got {value}")
    return value


def _configs(text: str) -> list[tuple[str, int]]:
    configs = []
    for item in text.split(","):
        backend, _, workers = item.strip().partition(":")
        if backend not in ("joblib", "dask") or not workers.isdigit() or int(workers) < 1:
            raise argparse.ArgumentTypeError(
                f"{item!r} is not BACKEND:WORKERS with BACKEND joblib or dask, e.g. 'dask:2'"
            )
        configs.append((backend, int(workers)))
    return configs


def _names(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in DATASETS]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown datasets {unknown}; choose from {list(DATASETS)}"
        )
    return names


def _budgets(text: str) -> list[float]:
    budgets = [float(b) for b in text.split(",") if b.strip()]
    if not budgets or min(budgets) <= 0:
        raise argparse.ArgumentTypeError(f"budgets must be positive seconds, got {text!r}")
    return budgets


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--part", choices=PARTS, default="all")
    p.add_argument("--datasets", type=_names, default=list(DATASETS), help="comma-separated")
    p.add_argument("--max-series", type=_positive, help="seeded random subset of series")
    p.add_argument("--budgets", type=_budgets, default=[120.0, 300.0, 600.0],
                   help="tsautoml time budgets of the accuracy part, s, comma-separated")  # fmt: skip
    p.add_argument("--configs", type=_configs, default=_configs(DEFAULT_CONFIGS),
                   help=f"throughput runs, BACKEND:WORKERS comma-separated (default {DEFAULT_CONFIGS})")  # fmt: skip
    p.add_argument("--refresh", action="store_true", help="refit statsforecast even when cached")
    p.add_argument("--windows", type=_positive, help="validation windows of the accuracy runs (default 3)")
    p.add_argument("--data-dir", type=Path, default=_data.DATA_DIR,
                   help="folder of m4_yearly.json etc., or the shared data root holding forecasting/")  # fmt: skip
    p.add_argument("--out", type=Path, default=BENCH / "results", help="CSV, logs and cache/")
    p.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.data_dir = resolve_data_dir(args.data_dir)
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.child is not None:
        child_main(args.child)
        return
    stamp = report.now()
    print(f"many_models: {report.commit()} on {os.cpu_count()} cores; data {args.data_dir}")
    for name in args.datasets:
        if not available(name, args.data_dir):
            print(f"{name}: skipped: data not found in {args.data_dir}")
            continue
        if args.part in ("throughput", "all"):
            print(f"\n{name}: throughput", flush=True)
            throughput(name, args, stamp)
        if args.part in ("accuracy", "all"):
            print(f"\n{name}: accuracy", flush=True)
            accuracy(name, args, stamp)
    print(f"\nRows appended to {args.out / report.CSV_NAME}; logs in {args.out}.")


if __name__ == "__main__":
    main()
