"""Settings grouped in frozen dataclasses: the search budget and the validation schemes."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tsautoml.exceptions import ConfigError
from tsautoml.setting_types import is_real, positive_seconds, whole_number

__all__ = ["Budget", "CVConfig", "ScaleOut", "TabularCV"]


@dataclass(frozen=True, slots=True)
class Budget:
    """When the search stops: whichever limit comes first.

    Parameters
    ----------
    time_s
        Wall-clock seconds for the whole search.
    max_trials
        Trials to evaluate (baselines included).
    exit_score
        Stop as soon as a trial reaches this score of the primary metric.
    patience
        Stop after this many finished trials without improving the best score.

    Examples
    --------
    >>> Budget(time_s=60).max_trials is None
    True
    >>> Budget()
    Traceback (most recent call last):
    ...
    tsautoml.exceptions.ConfigError: Budget needs time_s, max_trials, or both.
    """

    time_s: float | None = None
    max_trials: int | None = None
    exit_score: float | None = None
    patience: int | None = None

    def __post_init__(self) -> None:
        if self.time_s is None and self.max_trials is None:
            raise ConfigError("Budget needs time_s, max_trials, or both.")
        problems = [positive_seconds("time_budget", self.time_s) if self.time_s is not None else None]
        problems += [whole_number(name, getattr(self, name), low=1) for name in ("max_trials", "patience")
                     if getattr(self, name) is not None]
        if self.exit_score is not None and not (is_real(self.exit_score) and math.isfinite(self.exit_score)):
            problems.append(f"exit_score={self.exit_score!r} is not a finite number")
        _raise(problems)


@dataclass(frozen=True, slots=True)
class CVConfig:
    """Rolling-origin validation of forecasting trials.

    Parameters
    ----------
    n_windows
        Validation windows counted back from each series' end. Series too short for all
        of them get fewer windows.
    step
        Steps between windows (default: the horizon).
    carry_forward
        Learners that declare it (``LearnerSpec.forward``: AutoTheta, AutoARIMA) are fitted on
        the first window only, and their fitted models run over the later windows' longer
        history without re-estimation (statsforecast's ``cross_validation(refit=False)``): their
        validation costs one fit instead of ``n_windows``. The other statistical models do the
        same when fitting every window would take more than half the time left (said on the
        leaderboard). False: every window is fitted anew.

    Examples
    --------
    >>> CVConfig(n_windows=2).n_windows
    2
    """

    n_windows: int = 3
    step: int | None = None
    carry_forward: bool = True

    def __post_init__(self) -> None:
        _raise([whole_number("n_windows", self.n_windows, low=1),
                whole_number("step", self.step, low=1) if self.step is not None else None])
        if not isinstance(self.carry_forward, bool):
            raise ConfigError(f"carry_forward must be True or False, got {self.carry_forward!r}.")


@dataclass(frozen=True, slots=True)
class TabularCV:
    """Validation of classification and regression trials.

    Parameters
    ----------
    n_folds
        k of k-fold cross-validation (stratified for classification).
    holdout
        Fraction of the rows held out once instead of k folds (stratified for classification).
        Explicit validation data passed to ``fit`` takes precedence over both.

    With ``AutoML(cv=None)`` the scheme follows the table's size, as FLAML does: 5-fold
    cross-validation up to a million cells (rows x columns) and 100,000 rows, a 10% holdout
    beyond; and a 20% holdout when 5 folds of the table would not fit the time budget
    (about 200,000 cells x folds per second).

    Examples
    --------
    >>> TabularCV(holdout=0.2).holdout
    0.2
    """

    n_folds: int = 5
    holdout: float | None = None

    def __post_init__(self) -> None:
        _raise([whole_number("n_folds", self.n_folds, low=2)])
        if self.holdout is not None and not (is_real(self.holdout) and 0.0 < self.holdout < 1.0):
            raise ConfigError(f"holdout must be a fraction in (0, 1), got {self.holdout}.")


@dataclass(frozen=True, slots=True)
class ScaleOut:
    """Where and how a search runs when one process is not enough.

    Parameters
    ----------
    backend
        ``"joblib"`` (processes on this machine) or ``"dask"`` (needs ``pip install
        "tsautoml[dask]"``): with ``dask_address`` the scheduler to connect to, without it a
        local cluster is started and its dashboard address printed.
    dask_address
        Address of a running Dask scheduler, e.g. ``"tcp://10.0.0.5:8786"``.
    max_memory
        Memory the search may use, in bytes or as ``"4GB"`` (default: half the machine's
        RAM). Feature matrices are planned to fit: chunks of groups, float32, and when a
        group alone is too big a subsample of its series for the search (the refit uses
        all). Every such change is warned about and kept in ``memory_plan()``.
    run_dir
        Folder where the run writes every finished job as it completes (``trials.jsonl``,
        ``groups.jsonl``, ``leaderboard.csv`` and the full results for resuming).
    resume
        Continue the run in ``run_dir``: finished jobs are loaded instead of run again.

    Examples
    --------
    >>> ScaleOut(max_memory="4GB").backend
    'joblib'
    >>> ScaleOut(resume=True)
    Traceback (most recent call last):
    ...
    tsautoml.exceptions.ConfigError: resume=True continues the run in run_dir: pass run_dir too.
    """

    backend: Literal["joblib", "local", "dask"] = "joblib"
    dask_address: str | None = None
    max_memory: int | str | None = None
    run_dir: str | Path | None = None
    resume: bool = False

    def __post_init__(self) -> None:
        if self.resume and self.run_dir is None:
            raise ConfigError("resume=True continues the run in run_dir: pass run_dir too.")


def _raise(problems: list[str | None]) -> None:
    found = [p for p in problems if p is not None]
    if found:
        raise ConfigError("; ".join(found) + ".")
