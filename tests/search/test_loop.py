"""The search loop on a synthetic task: budgets, stopping rules, failures, determinism."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import pytest

from tsautoml.backends.local import LocalBackend
from tsautoml.config import Budget
from tsautoml.search.loop import run_search
from tsautoml.search.space import FloatRange, LearnerSpace
from tsautoml.search.trial import Trial, TrialResult


@dataclass
class QuadraticTask:
    """Score = (x - 3)^2 for learner "quad"; "cheap" scores 10; "broken" raises; "slow" sleeps."""

    metric: str = "mae"
    greater_is_better: bool = False
    split_name: str = "window"
    sleep: float = 0.0
    seen: list[str] = field(default_factory=list)

    def evaluate(self, trial: Trial, time_left: float | None) -> TrialResult:
        self.seen.append(trial.learner)
        if trial.learner == "broken":
            raise RuntimeError("injected failure")
        if trial.learner == "nan":
            return TrialResult(trial, "ok", [math.nan], math.nan)
        if trial.learner == "slow":
            time.sleep(self.sleep)
        score = 10.0 if trial.learner in ("cheap", "slow") else (trial.params["x"] - 3.0) ** 2
        return TrialResult(trial, "ok", [score], score, oof=np.array([score]))


CHEAP = LearnerSpace("cheap", cost=1.0)
QUAD = LearnerSpace("quad", cost=5.0, starts=({"x": 0.0},), domain={"x": FloatRange(-10.0, 10.0)})


def test_baseline_runs_first_and_tuning_improves_on_the_start():
    task = QuadraticTask()
    result = run_search(task, [QUAD, CHEAP], Budget(max_trials=25), LocalBackend(1), seed=0, progress=False)
    assert task.seen[0] == "cheap"
    assert len(result.leaderboard) == 25
    best = result.leaderboard.best()
    assert best is not None and best.trial.learner == "quad" and best.score < 1.0  # start scored 9
    assert result.stop_reason == "max_trials 25 reached"


def test_same_seed_same_search_and_other_seed_differs():
    def params(seed: int) -> list[float]:
        result = run_search(QuadraticTask(), [CHEAP, QUAD], Budget(max_trials=12), LocalBackend(1), seed=seed, progress=False)
        return [r.trial.params.get("x", -99) for r in result.leaderboard]

    assert params(3) == params(3)
    assert params(3) != params(4)


def test_failing_and_nan_trials_are_recorded_and_the_search_goes_on():
    spaces = [CHEAP, LearnerSpace("broken", 2.0), LearnerSpace("nan", 2.0), QUAD]
    result = run_search(QuadraticTask(), spaces, Budget(max_trials=8), LocalBackend(1), progress=False)
    frame = result.leaderboard.to_frame()
    broken = frame[frame["model"] == "broken"].iloc[0]
    assert broken["status"] == "failed" and "injected failure" in broken["error"]
    assert frame[frame["model"] == "nan"].iloc[0]["error"] == "the score is NaN"
    assert (frame["status"] == "ok").sum() == 6
    assert frame.iloc[0]["model"] == "quad"


def test_exit_score_stops_as_soon_as_it_is_reached():
    result = run_search(QuadraticTask(), [CHEAP, QUAD], Budget(max_trials=100, exit_score=10.0), LocalBackend(1), progress=False)
    assert len(result.leaderboard) == 1
    assert result.stop_reason == "exit_score 10.0 reached"


def test_patience_stops_after_trials_without_improvement():
    spaces = [CHEAP, LearnerSpace("cheap", 1.5, starts=({},) * 5)]
    result = run_search(QuadraticTask(), spaces, Budget(max_trials=50, patience=3), LocalBackend(1), progress=False)
    assert len(result.leaderboard) == 4
    assert result.stop_reason == "3 trials without improvement"


def test_time_budget_is_honoured():
    task = QuadraticTask(sleep=0.3)
    spaces = [CHEAP, LearnerSpace("slow", 2.0, starts=({},) * 50)]
    tic = time.monotonic()
    result = run_search(task, spaces, Budget(time_s=1.0), LocalBackend(1), progress=False)
    assert time.monotonic() - tic < 1.0 + 0.5
    assert result.stop_reason == "time_budget 1s spent"


@pytest.mark.slow
def test_parallel_search_is_deterministic():
    def keys(n_jobs: int) -> list[tuple[str, float]]:
        result = run_search(QuadraticTask(), [CHEAP, QUAD], Budget(max_trials=9), LocalBackend(n_jobs), seed=1, progress=False)
        return [(r.trial.learner, r.score) for r in result.leaderboard]

    assert len(keys(2)) == 9
    assert keys(2) == keys(2)
