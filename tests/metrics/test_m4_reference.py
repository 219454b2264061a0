"""Official M4 Naive2 results reproduced with the grouped layout (values + indptr)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tsautoml.metrics import get_metric, owa

pytestmark = pytest.mark.data


@pytest.fixture(scope="module")
def forecasting_dir() -> Path:
    path = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "forecasting"
    if not (path / "m4_naive2_forecasts.csv.gz").is_file():
        pytest.skip(f"benchmark data not found in {path}")
    return path


def _grouped(frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Sort by (unique_id, ds) and build indptr from the ids."""
    frame = frame.sort_values(["unique_id", "ds"], kind="stable", ignore_index=True)
    ids = frame["unique_id"].to_numpy()
    boundaries = np.flatnonzero(ids[1:] != ids[:-1]) + 1
    return frame, np.r_[0, boundaries, len(frame)].astype(np.int64)


def _naive2_scores(path: Path, dataset: str, season_length: int) -> tuple[float, float]:
    train, train_indptr = _grouped(pd.read_csv(path / f"{dataset}_train.csv.gz"))
    test = pd.read_csv(path / f"{dataset}_test.csv.gz")
    forecasts = pd.read_csv(path / "m4_naive2_forecasts.csv.gz")
    test = test.merge(forecasts, on=["unique_id", "ds"], how="left", validate="one_to_one")
    test, indptr = _grouped(test)
    assert test["yhat"].notna().all()
    assert np.array_equal(
        train["unique_id"].to_numpy()[train_indptr[:-1]], test["unique_id"].to_numpy()[indptr[:-1]]
    )
    y, yhat = test["y"].to_numpy(), test["yhat"].to_numpy()
    smape = get_metric("smape", "forecast").score(y, yhat, indptr)
    mase = get_metric("mase", "forecast").score(
        y,
        yhat,
        indptr,
        y_train=train["y"].to_numpy(),
        train_indptr=train_indptr,
        season_length=season_length,
    )
    return smape, mase


def test_m4_hourly_naive2(forecasting_dir: Path) -> None:
    smape, mase = _naive2_scores(forecasting_dir, "m4_hourly", season_length=24)
    assert round(smape, 3) == 18.383
    assert round(mase, 3) == 2.395
    assert owa(smape, mase, smape, mase) == pytest.approx(1.0)


def test_m4_weekly_naive2(forecasting_dir: Path) -> None:
    smape, mase = _naive2_scores(forecasting_dir, "m4_weekly", season_length=1)
    assert round(smape, 3) == 9.161
    assert round(mase, 3) == 2.777
    assert owa(smape, mase, 9.161, 2.777) == pytest.approx(1.0, abs=1e-4)
