"""Trials, their results and the leaderboard: plain, serialisable data."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

__all__ = ["STATUSES", "Leaderboard", "Status", "Trial", "TrialResult"]

Status = Literal["ok", "failed", "timeout"]
STATUSES: tuple[str, ...] = get_args(Status)


@dataclass(frozen=True, slots=True)
class Trial:
    """One candidate: a learner (registry name) and its parameters."""

    number: int
    learner: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """Short unique label, e.g. ``"AutoETS#3"``."""
        return f"{self.learner}#{self.number}"


@dataclass(slots=True)
class TrialResult:
    """The outcome of a trial.

    ``window_scores`` holds the primary metric per validation window and ``score`` their
    mean; ``fit_time`` is the time spent inside learner fit/predict, ``duration`` the
    whole trial. ``oof`` keeps the task's out-of-fold predictions (for selection and
    ensembles); ``info`` keeps task notes such as fallback counts.
    """

    trial: Trial
    status: Status
    window_scores: list[float] = field(default_factory=list)
    score: float = math.nan
    fit_time: float = 0.0
    duration: float = 0.0
    error: str = ""
    oof: Any = None
    info: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def failed(cls, trial: Trial, error: BaseException, duration: float, status: Status = "failed") -> TrialResult:
        """A result recording why ``trial`` failed."""
        return cls(trial, status, error=f"{type(error).__name__}: {error}"[:500], duration=duration)


class Leaderboard:
    """Every trial's result, ranked by the primary metric (failed trials last).

    Examples
    --------
    >>> board = Leaderboard("mase", greater_is_better=False)
    >>> board.add(TrialResult(Trial(0, "Naive"), "ok", [1.2, 1.0], 1.1))
    >>> board.add(TrialResult(Trial(1, "AutoETS"), "ok", [0.9, 0.7], 0.8))
    >>> board.to_frame()[["rank", "model", "mase"]].values.tolist()
    [[1, 'AutoETS', 0.8], [2, 'Naive', 1.1]]
    """

    def __init__(self, metric: str, greater_is_better: bool, split_name: str = "window") -> None:
        self.metric = metric
        self.greater_is_better = greater_is_better
        self.split_name = split_name
        self.results: list[TrialResult] = []

    def __len__(self) -> int:
        return len(self.results)

    def __iter__(self) -> Iterator[TrialResult]:
        return iter(self.results)

    def add(self, result: TrialResult) -> None:
        """Record a result."""
        self.results.append(result)

    def loss(self, score: float) -> float:
        """The score as a loss (lower is better); NaN becomes +inf."""
        if not math.isfinite(score):
            return math.inf
        return -score if self.greater_is_better else score

    def ok(self) -> list[TrialResult]:
        """Finished trials, best first."""
        done = [r for r in self.results if r.status == "ok"]
        return sorted(done, key=lambda r: (self.loss(r.score), r.trial.number))

    def best(self) -> TrialResult | None:
        """The best finished trial, if any."""
        done = self.ok()
        return done[0] if done else None

    def to_frame(self) -> pd.DataFrame:
        """rank, trial, model, params, the metric per window (or fold) and its mean, times, status, error."""
        ranked = self.ok() + [r for r in self.results if r.status != "ok"]
        n_windows = max((len(r.window_scores) for r in ranked), default=0)
        rows = []
        for rank, r in enumerate(ranked, start=1):
            row: dict[str, Any] = {
                "rank": rank if r.status == "ok" else np.nan,
                "trial": r.trial.number,
                "model": r.trial.learner,
                "params": json.dumps(r.trial.params, sort_keys=True, default=str),
            }
            for w in range(n_windows):
                row[f"{self.metric}_{self.split_name}{w}"] = r.window_scores[w] if w < len(r.window_scores) else np.nan
            row[self.metric] = r.score
            row.update(fit_time=r.fit_time, duration=r.duration, status=r.status, error=r.error)
            rows.append(row)
        frame = pd.DataFrame(rows)
        if len(frame):
            frame["rank"] = frame["rank"].astype("Int64")
        return frame
