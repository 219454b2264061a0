"""The progress bar is drawn in a terminal and stays out of logs."""

from __future__ import annotations

import io
import sys

import pytest

from tsautoml import AutoML
from tsautoml.search.progress import progress_bar
from tsautoml.testing import make_panel


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_bar_is_drawn_only_when_asked_for_and_the_output_is_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert progress_bar(True, total=3, desc="search", unit="trial").disable
    monkeypatch.setattr(sys, "stderr", _Terminal())
    assert not progress_bar(True, total=3, desc="search", unit="trial").disable
    assert progress_bar(False, total=3, desc="search", unit="trial").disable


def test_a_fit_with_its_output_in_a_log_writes_no_bar_updates(capfd: pytest.CaptureFixture[str]) -> None:
    df = make_panel(3, min_length=40, max_length=50, nan_fraction=0.0)
    AutoML(task="forecasting", horizon=5, max_trials=4, n_jobs=1, progress=True, allowed_models=["Naive", "AutoETS"]).fit(df)
    assert "\r" not in capfd.readouterr().err
