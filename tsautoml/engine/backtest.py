"""The back-test the search leaves behind: out-of-fold forecasts per model and of the chosen combination.

Nothing is refitted: the forecasts are those the search scored. Per series, each learner's column
holds the forecasts of its best trial in that series' group; ``combined`` holds the chosen
combination's honest forecasts (weights fitted on the other windows,
:mod:`~tsautoml.engine.selection`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tsautoml.engine.chunk import ChunkData, SearchSpec, TrialScores

__all__ = ["Backtest", "chunk_backtest"]

#: The time of a validation point a series does not have (``NaT`` as int64).
NO_TIME = np.iinfo(np.int64).min


@dataclass(frozen=True, eq=False)
class Backtest:
    """Out-of-fold forecasts, ``(n_rows, windows x horizon)`` each, of the series ``rows``.

    Parameters
    ----------
    rows
        Panel positions of the validated series.
    actual, times, cutoffs
        The validation actuals (NaN: no such window), their times (int64, :data:`NO_TIME`: none)
        and each window's last training time ``(n_rows, windows)``.
    forecasts, trials
        Per learner name: its best trial's forecasts per series, and that trial's number per series
        (-1 where the learner did not run).
    combined
        The chosen combination's honest forecasts.
    horizon
        Steps per window.
    """

    rows: np.ndarray
    actual: np.ndarray
    times: np.ndarray
    cutoffs: np.ndarray
    forecasts: dict[str, np.ndarray]
    trials: dict[str, np.ndarray]
    combined: np.ndarray
    horizon: int

    @property
    def n_windows(self) -> int:
        """Validation windows."""
        return self.actual.shape[1] // max(self.horizon, 1)

    @classmethod
    def concat(cls, parts: list[Backtest]) -> Backtest:
        """The back-tests of the chunks as one (a learner missing from a chunk gives NaN there)."""
        names = sorted({name for part in parts for name in part.forecasts})
        return cls(
            rows=np.concatenate([p.rows for p in parts]),
            actual=np.vstack([p.actual for p in parts]),
            times=np.vstack([p.times for p in parts]),
            cutoffs=np.vstack([p.cutoffs for p in parts]),
            forecasts={n: np.vstack([p.forecasts.get(n, np.full(p.actual.shape, np.nan)) for p in parts]) for n in names},
            trials={n: np.concatenate([p.trials.get(n, np.full(p.rows.size, -1)) for p in parts]) for n in names},
            combined=np.vstack([p.combined for p in parts]),
            horizon=parts[0].horizon,
        )


def chunk_backtest(
    chunk: ChunkData, spec: SearchSpec, scores: list[TrialScores], oof: dict[int, np.ndarray], sign: float,
    combined: np.ndarray,
) -> Backtest:
    """The back-test of one chunk's search series; ``combined``: the chosen combination's honest forecasts."""
    panel = chunk.search_panel
    actual = chunk.validation_layout(spec, panel.target.values)
    stamps = panel.times.view(np.int64)
    times = chunk.validation_layout(spec, stamps, NO_TIME)
    cutoffs = np.full((chunk.search.size, spec.n_windows), NO_TIME)
    for fold in chunk.search_folds(spec):
        cutoffs[fold.series, fold.window] = stamps[fold.cutoff_index]
    forecasts: dict[str, np.ndarray] = {}
    trials: dict[str, np.ndarray] = {}
    best: dict[tuple[str, int], tuple[float, int]] = {}  # (learner, group) -> (loss, trial number)
    for s in scores:
        if s.trial.number not in oof:
            continue
        for g, status, mean in zip(s.groups, s.status, s.score, strict=True):
            loss = sign * float(mean)
            key = (s.trial.learner, int(g))
            if status == "ok" and np.isfinite(loss) and (key not in best or (loss, s.trial.number) < best[key]):
                best[key] = (loss, s.trial.number)
    for (learner, g), (_, number) in sorted(best.items()):
        if learner not in forecasts:
            forecasts[learner] = np.full(actual.shape, np.nan)
            trials[learner] = np.full(chunk.search.size, -1)
        mine = chunk.search_group == g
        forecasts[learner][mine] = oof[number][mine]
        trials[learner][mine] = number
    return Backtest(rows=chunk.series[chunk.search], actual=actual, times=times, cutoffs=cutoffs, forecasts=forecasts,
                    trials=trials, combined=combined, horizon=spec.horizon)
