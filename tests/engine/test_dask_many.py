"""The many-models search on a real Dask LocalCluster with 2 workers: same result as joblib, worker loss."""

from __future__ import annotations

import threading
import time
import warnings
from pathlib import Path

import pandas as pd
import psutil
import pytest

from tests.engine.test_group_search import COLUMNS, fit, stores
from tsautoml import AutoML, ScaleOut

pytest.importorskip("distributed")
pytestmark = pytest.mark.slow

MODELS = ["Naive", "SeasonalNaive", "HistoricAverage", "AutoTheta", "AutoETS", "Ridge"]


def test_dask_gives_the_joblib_result_for_the_same_seed() -> None:
    df = stores(n_stores=4)
    joblib = fit(df, allowed_models=MODELS, max_trials=8, n_jobs=2)
    dask = fit(df, allowed_models=MODELS, max_trials=8, n_jobs=2, backend="dask")
    pd.testing.assert_frame_equal(dask.predict(level=[80]), joblib.predict(level=[80]))
    pd.testing.assert_frame_equal(dask.group_choices(), joblib.group_choices())
    board = ["trial", "groups", "ok", "mase", "groups_served"]
    pd.testing.assert_frame_equal(dask.leaderboard()[board], joblib.leaderboard()[board])


def test_dask_runs_the_one_search_over_all_series_like_joblib() -> None:
    df = stores(n_stores=2)
    settings = {"task": "forecasting", "horizon": 7, "columns": COLUMNS, "max_trials": 6, "allowed_models": MODELS,
                "n_jobs": 2, "progress": False}
    joblib = AutoML(**settings).fit(df)
    dask = AutoML(**settings, scale=ScaleOut(backend="dask")).fit(df)
    pd.testing.assert_frame_equal(dask.predict(), joblib.predict())
    cols = ["model", "params", "status", "mase"]
    pd.testing.assert_frame_equal(dask.leaderboard()[cols], joblib.leaderboard()[cols])


def _dask_workers() -> list[psutil.Process]:
    """Dask worker processes started by this process (spawned children that are not joblib's)."""
    children = psutil.Process().children(recursive=True)
    return [p for p in children if "multiprocessing" in " ".join(_cmdline(p)) and "loky" not in " ".join(_cmdline(p))]


def _cmdline(process: psutil.Process) -> list[str]:
    try:
        return process.cmdline()
    except psutil.Error:
        return []


def test_a_worker_killed_mid_run_costs_only_its_chunk_which_is_retried(tmp_path: Path) -> None:
    df = stores(n_stores=8)
    killed: list[int] = []

    def kill_one_worker_once_the_run_is_under_way() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if len(list((tmp_path / "jobs").glob("r1-*.pkl"))) >= 1:
                workers = _dask_workers()
                if workers:
                    workers[0].kill()
                    killed.append(workers[0].pid)
                    return
            time.sleep(0.02)

    killer = threading.Thread(target=kill_one_worker_once_the_run_is_under_way, daemon=True)
    killer.start()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        survived = fit(df, allowed_models=MODELS, max_trials=8, n_jobs=2, backend="dask", run_dir=tmp_path)
    killer.join()
    assert killed, "no Dask worker was found to kill"
    uninterrupted = fit(df, allowed_models=MODELS, max_trials=8, n_jobs=1)
    pd.testing.assert_frame_equal(survived.predict(), uninterrupted.predict())
    pd.testing.assert_frame_equal(survived.group_choices(), uninterrupted.group_choices())
    assert (survived.group_leaderboard()["status"] != "failed").all()
