"""The package as a user meets it: import cost, public API, the command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import tsautoml
from tsautoml.cli import main
from tsautoml.testing import make_panel


def test_import_compiles_nothing() -> None:
    code = (
        "import tsautoml, tsautoml.features._kernels as k\n"
        "from numba.core.registry import CPUDispatcher\n"
        "jitted = [f for f in vars(k).values() if isinstance(f, CPUDispatcher)]\n"
        "assert len(jitted) >= 10, len(jitted)\n"
        "print(sum(len(f.signatures) for f in jitted))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"


def test_public_names_are_exported() -> None:
    for name in tsautoml.__all__:
        assert getattr(tsautoml, name) is not None
    assert issubclass(tsautoml.DataValidationError, ValueError)


@pytest.mark.slow
def test_demo_searches_prints_the_leaderboard_and_writes_a_plot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    png = tmp_path / "demo.png"
    assert main(["demo", "--budget", "20", "--horizon", "14", "--output", str(png)]) == 0
    out = capsys.readouterr().out
    assert "12 store x item series" in out and "Leaderboard" in out and "Series won per model" in out
    assert "Held-out 14 days: MASE" in out and "80% interval covers" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_fit_and_predict_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "sales.csv"
    make_panel(3, min_length=50, max_length=60, nan_fraction=0.0).to_csv(data, index=False)
    model_dir, out = tmp_path / "model", tmp_path / "forecast.csv"
    assert main(["fit", str(data), str(model_dir), "--horizon", "5", "--budget", "10", "--n-jobs", "1"]) == 0
    assert main(["predict", str(model_dir), str(out), "--level", "90"]) == 0
    forecast = pd.read_csv(out)
    assert forecast.columns.tolist() == ["unique_id", "ds", "forecast", "forecast-lo-90", "forecast-hi-90"]
    assert len(forecast) == 15


def test_cli_reports_bad_settings_without_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--horizon", "0"]) == 2
    assert "horizon" in capsys.readouterr().err


def test_cli_fits_and_predicts_a_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from sklearn.datasets import load_iris

    frame = load_iris(as_frame=True).frame.rename(columns={"target": "species"})
    data, model_dir, rows, out = tmp_path / "iris.csv", tmp_path / "model", tmp_path / "rows.csv", tmp_path / "p.csv"
    frame.to_csv(data, index=False)
    frame.drop(columns="species").head(5).to_csv(rows, index=False)
    args = ["fit", str(data), str(model_dir), "--task", "classification", "--target", "species", "--budget", "5"]
    assert main([*args, "--n-jobs", "1"]) == 0
    assert "class_balance" in capsys.readouterr().out
    assert main(["predict", str(model_dir), str(out), "--data", str(rows)]) == 0
    predictions = pd.read_csv(out)
    assert list(predictions.columns) == ["prediction", "proba-0", "proba-1", "proba-2"]
    assert predictions["prediction"].tolist() == [0] * 5
    assert main(["fit", str(data), str(model_dir), "--task", "regression"]) == 2
    assert "needs --target" in capsys.readouterr().err


def test_cli_help_and_version_answer_without_importing_the_search_stack() -> None:
    code = ("import sys\nfrom tsautoml.cli import main\nassert main(['--help']) == 0 and main(['fit', '--help']) == 0\n"
            "assert main(['--version']) == 0\nprint(sorted(m for m in ('pandas', 'sklearn', 'tsautoml.automl') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert proc.stdout.strip().splitlines()[-1] == "[]"
    assert f"tsautoml {tsautoml.__version__}" in proc.stdout
    assert "--max-trials" in proc.stdout and "[default: 15]" in proc.stdout


def test_cli_search_options_reach_the_search(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "sales.csv"
    make_panel(4, min_length=50, max_length=60, nan_fraction=0.0).assign(store=lambda d: d["unique_id"].str[-1:]).to_csv(
        data, index=False)
    model_dir, out = tmp_path / "model", tmp_path / "forecast.csv"
    args = ["fit", str(data), str(model_dir), "--horizon", "5", "--max-trials", "4", "--seed", "3", "--n-jobs", "1",
            "--allowed-models", "Naive,SeasonalNaive", "--allowed-models", "HistoricAverage", "--freq", "D",
            "--id-cols", "store,unique_id", "--group-by", "store"]
    assert main(["--quiet", *args]) == 0
    model = tsautoml.load(model_dir)
    assert (model.max_trials, model.seed, model.group_by, model.freq) == (4, 3, ["store"], "D")
    board = model.leaderboard()
    assert set(board.loc[board["rung"] != "selection", "model"]) <= {"Naive", "SeasonalNaive", "HistoricAverage"}
    assert main(["predict", str(model_dir), str(out), "--quantiles", "0.1", "--quantiles", "0.9"]) == 0
    assert pd.read_csv(out).columns.tolist()[-2:] == ["forecast-q-10", "forecast-q-90"]


def test_cli_verbose_logs_the_search_and_quiet_prints_results_only(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "sales.csv"
    make_panel(3, min_length=50, max_length=60, nan_fraction=0.0).to_csv(data, index=False)
    args = ["fit", str(data), str(tmp_path / "m"), "--horizon", "5", "--max-trials", "2", "--n-jobs", "1", "--overwrite"]
    assert main(["--verbose", *args]) == 0
    assert "INFO tsautoml.engine.search: Search stopped after" in capfd.readouterr().err
    assert main(["-q", *args]) == 0
    captured = capfd.readouterr()
    assert captured.err == "" and "Saved to" in captured.out
    assert main(["fit", str(data), str(tmp_path / "m"), "--no-such-option"]) == 2
    assert "No such option" in capfd.readouterr().err
