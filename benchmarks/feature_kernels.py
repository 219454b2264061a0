"""Lag/rolling feature benchmark: tsautoml vs pandas, coreforecast and mlforecast.

17 features (lags 1-7, 14, 28; rolling mean/std/min/max, windows 7 and 28, lag 1) on a
seeded random-walk panel: checks that all contestants agree, then prints median times
measured round-robin in one run, numba compile and start-up costs (fresh processes) and
peak memory. From the repo root: ``python benchmarks/feature_kernels.py --help``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tsautoml.data.grouped import Panel  # noqa: E402
from tsautoml.features.lags import Lag, Rolling, TargetFeature  # noqa: E402
from tsautoml.features.pipeline import FeaturePipeline  # noqa: E402

LAGS = (1, 2, 3, 4, 5, 6, 7, 14, 28)
WINDOWS = (7, 28)
STATS = ("mean", "std", "min", "max")
PANDAS_BUDGET_S = 60.0  # pandas gets fewer repeats when they would take longer than this
# (rtol, atol). "loose": coreforecast float32 sums in float32 (rolling std is off by ~1e-3);
# tsautoml float32 reads float32 inputs but sums in float64, so it stays near float32 rounding.
TOLERANCE = {"exact": (1e-7, 1e-9), "float32": (1e-4, 1e-4), "loose": (1e-2, 1e-2)}
E2E, MLF = "tsautoml incl. Panel.from_frame", "mlforecast preprocess (e2e)"


@dataclass
class Contestant:
    name: str
    dtype: str
    fn: Callable[[], Any]
    repeats: int
    times: list[float] = field(default_factory=list)


def make_frame(n_series: int, length: int) -> pd.DataFrame:
    """Seeded random walks, daily, sorted by (integer) id then date."""
    rng = np.random.default_rng(0)
    y = rng.standard_normal((n_series, length)).cumsum(axis=1).ravel()
    ds = pd.date_range("2000-01-01", periods=length, freq="D")
    ids = np.repeat(np.arange(n_series), length)
    return pd.DataFrame({"unique_id": ids, "ds": np.tile(ds, n_series), "y": y})


def target_specs() -> list[TargetFeature]:
    """The 17 tsautoml specs, in column order."""
    specs: list[TargetFeature] = [Lag(k) for k in LAGS]
    return specs + [Rolling(stat, w) for w in WINDOWS for stat in STATS]  # type: ignore[arg-type]


def cf_transforms() -> list[Any]:
    """The coreforecast transforms matching :func:`target_specs`."""
    from coreforecast import lag_transforms as lt

    rolling = [_rolling_class(lt, s)(lag=1, window_size=w) for w in WINDOWS for s in STATS]
    return [lt.Lag(k) for k in LAGS] + rolling


def _rolling_class(module: Any, stat: str) -> Any:
    """``RollingMean`` etc. (coreforecast and mlforecast share the names)."""
    return getattr(module, f"Rolling{stat.capitalize()}")


def tsautoml_features(panel: Panel, dtype: str) -> np.ndarray:
    pipe = FeaturePipeline(target_specs(), calendar=False, dtype=dtype)  # type: ignore[arg-type]
    return pipe.fit_transform(panel)


def pandas_features(df: pd.DataFrame) -> np.ndarray:
    """Fastest idiomatic pandas; relies on ``df`` being sorted by id."""
    g = df.groupby("unique_id")["y"]
    X = np.empty((len(df), len(LAGS) + len(WINDOWS) * len(STATS)), order="F")
    for j, k in enumerate(LAGS):
        X[:, j] = g.shift(k).to_numpy()
    rolled = g.shift(1).groupby(df["unique_id"])
    for j, (w, stat) in enumerate(((w, s) for w in WINDOWS for s in STATS), start=len(LAGS)):
        X[:, j] = getattr(rolled.rolling(w), stat)().reset_index(level=0, drop=True).to_numpy()
    return X


def coreforecast_features(values: np.ndarray, indptr: np.ndarray, dtype: str) -> np.ndarray:
    """coreforecast kernels (num_threads=1), stacked into a Fortran matrix like tsautoml's."""
    from coreforecast.grouped_array import GroupedArray

    ga = GroupedArray(values.astype(dtype, copy=False), indptr)
    tfms = cf_transforms()
    X = np.empty((len(values), len(tfms)), dtype=dtype, order="F")
    for j, tfm in enumerate(tfms):
        X[:, j] = tfm.transform(ga)
    return X


def mlforecast_preprocess(df: pd.DataFrame) -> pd.DataFrame:
    """mlforecast end to end: the frame with its 17 feature columns (all rows kept)."""
    from mlforecast import MLForecast
    from mlforecast import lag_transforms as mt

    tfms: list[Any] = [_rolling_class(mt, s)(window_size=w) for w in WINDOWS for s in STATS]
    fcst = MLForecast(models=[], freq="D", lags=list(LAGS), lag_transforms={1: tfms})
    return fcst.preprocess(df, dropna=False)


def check(label: str, ours: np.ndarray, theirs: np.ndarray, tolerance: str) -> None:
    """Abort unless every column matches, NaNs in the same places."""
    rtol, atol = TOLERANCE[tolerance]
    if ours.shape != theirs.shape:
        sys.exit(f"tsautoml gives shape {ours.shape} but {label} {theirs.shape}.")
    same = np.isclose(ours, theirs, rtol, atol, equal_nan=True).all(axis=0)
    bad = [s.name for s, ok in zip(target_specs(), same, strict=True) if not ok]
    if bad:
        sys.exit(f"tsautoml {ours.dtype} {ours.shape} differs from {label} {theirs.shape}: {bad}")


def time_once(fn: Callable[[], Any]) -> float:
    gc.collect()
    start = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - start
    del result
    return elapsed


def build_contestants(df: pd.DataFrame, panel: Panel, repeats: int) -> list[Contestant]:
    values, indptr = panel.target.values, panel.indptr
    runs: list[tuple[str, str, Callable[[], Any]]] = [
        ("tsautoml", "float64", partial(tsautoml_features, panel, "float64")),
        ("tsautoml", "float32", partial(tsautoml_features, panel, "float32")),
        (E2E, "float64", lambda: tsautoml_features(Panel.from_frame(df), "float64")),
        ("coreforecast", "float64", partial(coreforecast_features, values, indptr, "float64")),
        ("coreforecast", "float32", partial(coreforecast_features, values, indptr, "float32")),
        ("pandas", "float64", partial(pandas_features, df)),
        (MLF, "float64", partial(mlforecast_preprocess, df)),
    ]
    return [Contestant(name, dtype, fn, repeats) for name, dtype, fn in runs]


def warm_up_and_check(contestants: list[Contestant]) -> None:
    """One uncounted run each, then the column checks; pandas gets fewer repeats if slow."""
    out = {}
    for c in contestants:
        start = time.perf_counter()
        out[c.name, c.dtype] = c.fn()
        if c.name == "pandas":
            affordable = round(PANDAS_BUDGET_S / (time.perf_counter() - start))
            c.repeats = max(1, min(c.repeats, affordable))
    ours64, cf32 = out["tsautoml", "float64"], out["coreforecast", "float32"]
    check("pandas", ours64, out["pandas", "float64"], "exact")
    check("coreforecast", ours64, out["coreforecast", "float64"], "exact")
    check("mlforecast", ours64, out[MLF, "float64"].iloc[:, 3:].to_numpy(), "exact")
    check("end to end", ours64, out[E2E, "float64"], "exact")
    check("tsautoml float64", out["tsautoml", "float32"], ours64, "float32")
    check("coreforecast float32", ours64, cf32, "loose")
    worst = np.nanmax(np.abs(cf32 - ours64), axis=0)
    ours_worst = np.nanmax(np.abs(out["tsautoml", "float32"] - ours64))
    print(
        f"checks passed: tsautoml float64 = pandas = coreforecast = mlforecast (rtol 1e-7); tsautoml "
        f"float32 is off float64 by up to {ours_worst:.1e}; coreforecast float32 by up to "
        f"{worst.max():.1e} ({target_specs()[int(np.argmax(worst))].name})."
    )


def run_round_robin(contestants: list[Contestant]) -> None:
    """Time contestants in turn, so drift on a noisy machine hits all of them alike."""
    for r in range(max(c.repeats for c in contestants)):
        for c in contestants:
            if r < c.repeats:
                c.times.append(time_once(c.fn))


def print_table(contestants: list[Contestant], n_rows: int) -> None:
    med = {(c.name, c.dtype): float(np.median(c.times)) for c in contestants}
    print(
        f"\n{'contestant':<32}{'dtype':<9}{'runs':>5}{'median s':>10}{'rows/s':>9}"
        f"{'pandas/this':>13}{'cf/this':>9}{'this/tsautoml':>15}"
    )
    for c in contestants:
        t = med[c.name, c.dtype]
        vs_cf = med["coreforecast", c.dtype] / t
        vs_ts = t / med["tsautoml", c.dtype]
        print(
            f"{c.name:<32}{c.dtype:<9}{len(c.times):>5}{t:>10.3f}{n_rows / t / 1e6:>8.1f}M"
            f"{med['pandas', 'float64'] / t:>12.1f}x{vs_cf:>8.2f}x{vs_ts:>14.2f}x"
        )
    print(
        "pandas/this, cf/this: speed-up of the row over pandas / same-dtype coreforecast; "
        "this/tsautoml: its time over tsautoml fit_transform's, same dtype."
    )


def compute_fresh(spec: TargetFeature, values: np.ndarray, indptr: Any, dtype: str) -> np.ndarray:
    """One tsautoml kernel into a new array, as coreforecast allocates its output."""
    return spec.compute(values, indptr, np.empty(values.size, dtype))


def per_feature(panel: Panel, repeats: int) -> None:
    """Median time of each tsautoml kernel vs the matching coreforecast transform."""
    from coreforecast.grouped_array import GroupedArray

    values, indptr = panel.target.values, panel.indptr
    print(f"\n{'feature (median ms)':<34}{'dtype':<9}{'tsautoml':>9}{'cf':>8}{'cf/tsautoml':>13}")
    for dtype in ("float64", "float32"):
        ga = GroupedArray(values.astype(dtype), indptr)
        for spec, tfm in zip(target_specs(), cf_transforms(), strict=True):
            ours = partial(compute_fresh, spec, values, indptr, dtype)
            t = 1e3 * np.median([time_once(ours) for _ in range(repeats)])
            c = 1e3 * np.median([time_once(partial(tfm.transform, ga)) for _ in range(repeats)])
            print(f"{spec.name:<34}{dtype:<9}{t:>9.2f}{c:>8.2f}{c / t:>12.2f}x")


def print_memory(panel: Panel) -> None:
    """Peak NumPy allocation (tracemalloc) during ``fit_transform`` vs the matrix size."""
    for dtype in ("float32", "float64"):
        gc.collect()
        tracemalloc.start()
        X = tsautoml_features(panel, dtype)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(
            f"peak memory {dtype}: tracemalloc {peak / 2**20:.0f} MiB; rows x features x itemsize "
            f"= {X.shape[0]} x {X.shape[1]} x {X.itemsize} = {X.nbytes / 2**20:.0f} MiB"
        )


def child_main() -> None:
    """Run in a fresh process: first and second pipeline calls on a small panel, as JSON."""
    panel = Panel.from_frame(make_frame(50, 200))
    runs = [("first64", "float64"), ("second64", "float64"), ("first32", "float32")]
    print(json.dumps({key: time_once(partial(tsautoml_features, panel, dt)) for key, dt in runs}))


_CHILD = """import json, sys, time
start = time.perf_counter()
import tsautoml.features.pipeline
print(json.dumps({{"import": time.perf_counter() - start}}))
sys.path.insert(0, {bench!r})
import feature_kernels
feature_kernels.child_main()
"""


def run_child(cache_dir: str) -> dict[str, float]:
    env = {
        **os.environ,
        "NUMBA_CACHE_DIR": cache_dir,
        "PYTHONPATH": str(ROOT),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    code = _CHILD.format(bench=str(Path(__file__).resolve().parent))
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    result = {"process": time.perf_counter() - start}
    for line in out.stdout.splitlines()[-2:]:
        result.update(json.loads(line))
    return result


def print_startup() -> None:
    with tempfile.TemporaryDirectory(prefix="numba-cache-") as cache_dir:
        cold, warm = run_child(cache_dir), run_child(cache_dir)
    print(
        f"numba compile (fresh process, empty NUMBA_CACHE_DIR, 50 x 200 panel): first "
        f"fit_transform float64 {cold['first64']:.2f} s, second {1e3 * cold['second64']:.1f} ms; "
        f"first float32 {cold['first32']:.2f} s"
    )
    total = warm["import"] + warm["first64"]
    verdict = "OK" if total <= 1.0 else "MISSED"
    print(
        f"start-up (fresh process, warm disk cache): import pipeline {warm['import']:.2f} s + "
        f"first fit_transform {warm['first64']:.3f} s = {total:.2f} s (target <= 1 s: {verdict}); "
        f"whole process incl. interpreter {warm['process']:.2f} s"
    )


def print_machine() -> None:
    libs = [f"{lib} {version(lib)}" for lib in ("pandas", "numba", "coreforecast", "mlforecast")]
    print(f"machine: os.cpu_count() = {os.cpu_count()}; numpy {np.__version__}, {', '.join(libs)}")
    print(
        "single thread: coreforecast GroupedArray num_threads=1 (default), mlforecast "
        "num_threads=1 (default), tsautoml kernels serial. Shared noisy machine: read the ratios."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--length", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--per-feature", action="store_true", help="time kernels one by one")
    args = parser.parse_args()
    df = make_frame(args.series, args.length)
    panel = Panel.from_frame(df)
    print(f"panel: {args.series} series x {args.length} points = {len(df):,} rows, 17 features")
    contestants = build_contestants(df, panel, args.repeats)
    warm_up_and_check(contestants)
    run_round_robin(contestants)
    print_table(contestants, len(df))
    if args.per_feature:
        per_feature(panel, args.repeats)
    print()
    print_memory(panel)
    print_startup()
    print_machine()


if __name__ == "__main__":
    main()
