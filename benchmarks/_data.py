"""Shared benchmark data for the benchmark scripts: loading, M4/Tourism references, Naive2.

The data live in ``../shared/data/forecasting`` next to the repository (see its README):
``NAME_train.csv.gz`` / ``NAME_test.csv.gz`` in long format and ``NAME.json`` with the
horizon, ``seasonal_period`` and ``ds_type``. Nothing here downloads anything.

Naive2 (the OWA denominator) is read from the official M4 forecasts for M4 datasets and
computed by :func:`naive2_forecasts` otherwise, following the M4 organisers' R benchmark
code: a 90% autocorrelation test for seasonality at lag ``m`` (only when ``m > 1`` and the
series has at least ``3 m`` points), classical multiplicative decomposition (R's
``decompose``) when the test passes, and the last deseasonalised value, reseasonalised.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "forecasting"
SUBSAMPLE_SEED = 0
#: Column of ``m4_benchmarks.csv`` for each M4 dataset here.
M4_FREQUENCY = {
    "m4_hourly": "Hourly",
    "m4_weekly": "Weekly",
    "m4_yearly": "Yearly",
    "m4_quarterly_subset": "Quarterly",
    "m4_daily_other": "Daily",
}
_TCRIT = 1.645  # one-sided 90% (M4 benchmark code)


@dataclass(frozen=True)
class Dataset:
    """One forecasting dataset, train and test sorted by (unique_id, ds)."""

    name: str
    train: pd.DataFrame
    test: pd.DataFrame
    horizon: int
    season_length: int
    freq: str | int  # statsforecast freq: 1 for integer ds, else the pandas alias
    meta: dict[str, Any]
    n_series_total: int
    data_dir: Path

    @property
    def is_m4(self) -> bool:
        return self.name in M4_FREQUENCY

    @property
    def subsampled(self) -> bool:
        return self.train["unique_id"].nunique() < self.n_series_total


def dataset_available(name: str, data_dir: Path = DATA_DIR) -> bool:
    """Whether the JSON, train and test files of ``name`` exist."""
    return all((data_dir / f).is_file() for f in (f"{name}.json", *_files(name)))


def _files(name: str) -> tuple[str, str]:
    return f"{name}_train.csv.gz", f"{name}_test.csv.gz"


def load_dataset(name: str, data_dir: Path = DATA_DIR, max_series: int | None = None) -> Dataset:
    """Read ``name``; with ``max_series``, a seeded random subset of its series (sorted ids)."""
    meta = json.loads((data_dir / f"{name}.json").read_text())
    dates = meta["ds_type"] != "int"
    train_file, test_file = _files(name)
    train = _read(data_dir / train_file, dates)
    test = _read(data_dir / test_file, dates)
    n_total = int(train["unique_id"].nunique())
    if max_series is not None and max_series < n_total:
        keep = subsample_ids(train["unique_id"], max_series)
        train = train[train["unique_id"].isin(keep)].reset_index(drop=True)
        test = test[test["unique_id"].isin(keep)].reset_index(drop=True)
    freq: str | int = meta["pandas_freq_hint"] if dates else 1
    horizon, season_length = int(meta["horizon"]), int(meta["seasonal_period"])
    return Dataset(name, train, test, horizon, season_length, freq, meta, n_total, data_dir)


def _read(path: Path, dates: bool) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype={"unique_id": str}, parse_dates=["ds"] if dates else None)
    frame = frame[["unique_id", "ds", "y"]]
    return frame.sort_values(["unique_id", "ds"], kind="stable", ignore_index=True)


def subsample_ids(ids: pd.Series, n: int, seed: int = SUBSAMPLE_SEED) -> np.ndarray:
    """``n`` distinct ids drawn with a fixed seed from the sorted unique ids."""
    unique = np.sort(ids.unique())
    return np.sort(np.random.default_rng(seed).choice(unique, size=n, replace=False))


def indptr_of(frame: pd.DataFrame) -> np.ndarray:
    """Series boundaries of a frame sorted by ``unique_id``."""
    ids = frame["unique_id"].to_numpy()
    starts = np.flatnonzero(ids[1:] != ids[:-1]) + 1
    return np.r_[0, starts, len(ids)].astype(np.int64)


# ---------------------------------------------------------------------------- Naive2
def naive2(data: Dataset) -> tuple[pd.DataFrame, str]:
    """Naive2 forecasts (``unique_id, ds, Naive2``) for ``data`` and where they come from."""
    official = data.data_dir / "m4_naive2_forecasts.csv.gz"
    if data.is_m4 and official.is_file():
        frame = pd.read_csv(official, dtype={"unique_id": str})
        frame = frame[frame["unique_id"].isin(data.test["unique_id"].unique())]
        return frame.rename(columns={"yhat": "Naive2"}), "official M4 Naive2 forecasts"
    return naive2_forecasts(data), "Naive2 computed here (M4 benchmark method)"


def naive2_forecasts(data: Dataset) -> pd.DataFrame:
    """Naive2 of every training series, laid out on the test frame's (unique_id, ds)."""
    y, indptr = data.train["y"].to_numpy(float), indptr_of(data.train)
    test_indptr = indptr_of(data.test)
    out = np.empty(len(data.test))
    for i in range(indptr.size - 1):
        h = test_indptr[i + 1] - test_indptr[i]
        out[test_indptr[i] : test_indptr[i + 1]] = naive2_series(
            y[indptr[i] : indptr[i + 1]], h, data.season_length
        )
    return data.test[["unique_id", "ds"]].assign(Naive2=out)


def naive2_series(y: np.ndarray, h: int, m: int) -> np.ndarray:
    """M4 Naive2 of one series: seasonally adjusted naive when :func:`is_seasonal`."""
    if not is_seasonal(y, m):
        return np.full(h, y[-1])
    figure = seasonal_figure(y, m)
    n = y.size
    with np.errstate(all="ignore"):
        forecast = y[-1] / figure[(n - 1) % m] * figure[(n + np.arange(h)) % m]
    return forecast if np.isfinite(forecast).all() else np.full(h, y[-1])  # zeros in the trend: naive


def is_seasonal(y: np.ndarray, m: int) -> bool:
    """M4's 90% test: ``|acf_m| > 1.645 sqrt((1 + 2 sum_{k<m} acf_k^2) / n)``, needs n >= 3m.

    A constant series (e.g. PBS's all-zero ones) has no autocorrelation and counts as not seasonal.
    """
    if m <= 1 or y.size < 3 * m or np.ptp(y) == 0:
        return False
    acf = _acf(y, m)
    limit = _TCRIT * np.sqrt((1 + 2 * np.sum(acf[: m - 1] ** 2)) / y.size)
    return bool(abs(acf[m - 1]) > limit)


def _acf(y: np.ndarray, max_lag: int) -> np.ndarray:
    """Sample autocorrelations at lags 1..max_lag (R ``acf``: denominator over all n)."""
    d = y - y.mean()
    denom = float(d @ d)
    return np.array([float(d[k:] @ d[:-k]) / denom for k in range(1, max_lag + 1)])


def seasonal_figure(y: np.ndarray, m: int) -> np.ndarray:
    """Seasonal indices of R's ``decompose(type="multiplicative")``, by position mod ``m``.

    Centred moving average (2 x m for even ``m``), ratios ``y / trend`` averaged per position
    (counted from the first observation), then scaled to mean 1.
    """
    weights = np.r_[0.5, np.ones(m - 1), 0.5] / m if m % 2 == 0 else np.ones(m) / m
    trend = np.convolve(y, weights, mode="valid")
    half = weights.size // 2
    ratio = np.full(y.size, np.nan)
    ratio[half : half + trend.size] = y[half : half + trend.size] / trend
    figure = np.array([np.nanmean(ratio[i::m]) for i in range(m)])
    return figure / figure.mean()


# ------------------------------------------------------------------------ references
@dataclass(frozen=True)
class M4Reference:
    """Official M4 OWA of one frequency (the whole frequency, not necessarily these series)."""

    comb_owa: float
    best_owa: float
    best_name: str


def m4_reference(dataset: str, data_dir: Path = DATA_DIR) -> M4Reference | None:
    """Comb (``method == "Com"``) and the best ranked submission's OWA, from m4_benchmarks.csv.

    Submissions are the rows whose ``method`` is a numeric user id (the benchmarks also carry a
    rank, so the rank alone does not tell them apart).
    """
    path = data_dir / "m4_benchmarks.csv"
    if dataset not in M4_FREQUENCY or not path.is_file():
        return None
    col = M4_FREQUENCY[dataset]
    table = pd.read_csv(path, dtype={"method": str})
    owa = table[table["metric"] == "OWA"]
    comb = float(owa.loc[owa["method"] == "Com", col].iloc[0])
    subs = owa[owa["method"].str.fullmatch(r"\d+") & owa["rank_point_forecasts"].notna()]
    best = subs.loc[subs[col].idxmin()]
    name = f"{best['first_author']} (#{int(best['rank_point_forecasts'])}, id {best['method']})"
    return M4Reference(comb, float(best[col]), name)


def tourism_reference(dataset: str, data_dir: Path = DATA_DIR) -> pd.DataFrame | None:
    """Published full-horizon MAPE and MASE (Tcomp's reproduction) per method, or None."""
    path = data_dir / "tourism_reference_results.csv"
    if not dataset.startswith("tourism_") or not path.is_file():
        return None
    subset = dataset.removeprefix("tourism_")
    meta = json.loads((data_dir / f"{dataset}.json").read_text())
    table = pd.read_csv(path, dtype={"horizons": str})
    rows = table[(table["subset"] == subset) & (table["horizons"] == f"1-{meta['horizon']}")]
    return rows.pivot(index="method", columns="measure", values="value")
