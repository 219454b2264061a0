"""Run directories survive faults: files cut off mid-write are found on resume, write errors are named."""

from __future__ import annotations

import errno
from pathlib import Path

import pandas as pd
import pytest

from tests.engine.test_group_search import COLUMNS, TIMES, stores
from tsautoml import AutoML, ScaleOut
from tsautoml.engine.runlog import read_jsonl
from tsautoml.exceptions import StorageError

SETTINGS = {"task": "forecasting", "horizon": 7, "columns": COLUMNS, "group_by": ["store"], "max_trials": 6,
            "allowed_models": ["Naive", "SeasonalNaive", "HistoricAverage", "AutoETS"], "n_jobs": 1, "progress": False}


def _fit(df: pd.DataFrame, **scale) -> AutoML:
    return AutoML(**SETTINGS, scale=ScaleOut(**scale)).fit(df)


def test_a_job_file_and_a_log_line_cut_off_mid_write_are_run_again_on_resume(tmp_path: Path) -> None:
    df = stores(n_stores=3)
    full = _fit(df, run_dir=tmp_path)
    jobs = sorted((tmp_path / "jobs").glob("r1-*.pkl"))
    assert jobs
    cut = jobs[0]
    cut.write_bytes(cut.read_bytes()[: cut.stat().st_size // 2])  # as if the disk filled while writing it
    for later in (tmp_path / "jobs").glob("refit*.pkl"):
        later.unlink()
    log = tmp_path / "trials.jsonl"
    text = log.read_text()
    log.write_text(text + text.splitlines()[0][:25])  # a line cut off mid-write
    resumed = _fit(df, run_dir=tmp_path, resume=True)
    pd.testing.assert_frame_equal(resumed.predict(level=[80]), full.predict(level=[80]))
    pd.testing.assert_frame_equal(resumed.leaderboard().drop(columns=TIMES), full.leaderboard().drop(columns=TIMES))
    assert cut.exists()  # the job ran again and was saved whole
    read_jsonl(log)  # every line parses: the broken tail was cut


def test_a_write_error_during_a_run_names_the_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tsautoml.engine.runlog as runlog

    write = runlog.write_atomically

    def full_disk(path: Path, data: bytes) -> None:  # the header is written, the first finished job is not
        if path.suffix == ".pkl":
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        write(path, data)

    run_dir = tmp_path / "run"
    monkeypatch.setattr(runlog, "write_atomically", full_disk)
    with pytest.raises(StorageError, match=r"run directory .*run.*No space left on device"):
        _fit(stores(n_stores=2), run_dir=run_dir)
