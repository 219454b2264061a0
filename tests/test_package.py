"""The package as a user meets it: import cost, public API, the command line."""

from __future__ import annotations

import subprocess
import sys

import pytest

import tsautoml
from tsautoml.cli import main


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
def test_demo_prints_features_and_folds(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--horizon", "14"]) == 0
    out = capsys.readouterr().out
    assert "12 series" in out and "frequency 'D'" in out
    assert "rolling_mean_lag1_window7" in out and "holiday" in out and "promo" in out
    assert out.count("window ") >= 3


def test_cli_reports_bad_settings_without_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--horizon", "0"]) == 2
    assert "horizon" in capsys.readouterr().err
