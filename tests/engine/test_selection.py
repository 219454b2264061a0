"""The selection step: the fixed classic combination is always scored, and kept unless clearly beaten."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tsautoml import AutoML
from tsautoml.engine.selection import PRIOR, STRATEGIES, StrategyLosses, choose_strategy
from tsautoml.testing import make_panel

BEST = next(s for s in STRATEGIES if s.name == "best")


def _losses(prior_rows: np.ndarray, best_rows: np.ndarray) -> list[StrategyLosses]:
    rows = np.full((prior_rows.size, len(STRATEGIES)), np.nan)
    rows[:, STRATEGIES.index(PRIOR)], rows[:, STRATEGIES.index(BEST)] = prior_rows, best_rows
    groups = np.full((1, len(STRATEGIES)), np.nan)
    groups[0, STRATEGIES.index(PRIOR)], groups[0, STRATEGIES.index(BEST)] = prior_rows.mean(), best_rows.mean()
    return [StrategyLosses(groups, rows)]


def test_the_classic_mean_is_kept_unless_another_strategy_wins_clearly() -> None:
    rng = np.random.default_rng(0)
    prior = rng.gamma(2.0, 0.5, 400)
    noisy = prior + rng.normal(-0.01, 0.5, prior.size)  # lower on average, by far less than its noise
    chosen, means = choose_strategy(STRATEGIES, _losses(prior, noisy))
    assert means["best"] < means[PRIOR.name] and chosen is PRIOR
    clear = prior * 0.8  # 20% lower on every (series, window)
    assert choose_strategy(STRATEGIES, _losses(prior, clear))[0] is BEST


def test_without_classic_learners_the_lowest_loss_wins() -> None:
    rows = np.column_stack([np.full(10, np.nan), np.linspace(1, 2, 10)] + [np.linspace(1, 2, 10) + 0.5] * (len(STRATEGIES) - 2))
    groups = np.vstack([rows.mean(axis=0)])
    chosen, means = choose_strategy(STRATEGIES, [StrategyLosses(groups, rows)])
    assert chosen is BEST and PRIOR.name not in means


def _seasonal_panel(n: int = 8, length: int = 72, seed: int = 3) -> pd.DataFrame:
    """Monthly series with trend, multiplicative seasonality and noise, like the M-competition sets."""
    rng = np.random.default_rng(seed)
    t = np.arange(length)
    ds = pd.date_range("2015-01-31", periods=length, freq="ME")
    frames = []
    for i in range(n):
        level = rng.uniform(50, 500) * (1 + rng.uniform(-0.005, 0.01) * t)
        season = 1 + rng.uniform(0.05, 0.3) * np.sin(2 * np.pi * (t + rng.integers(12)) / 12)
        y = level * season * rng.lognormal(0, 0.05, length)
        frames.append(pd.DataFrame({"unique_id": f"s{i}", "ds": ds, "y": y}))
    return pd.concat(frames, ignore_index=True)


def test_the_classic_mean_is_on_the_leaderboard_and_weighs_each_learners_best_equally() -> None:
    model = AutoML(task="forecasting", horizon=6, season_length=12, allowed_models=["Naive", "AutoETS", "AutoTheta"],
                   max_trials=3, n_jobs=1, progress=False, seed=0).fit(_seasonal_panel())
    board = model.leaderboard()
    row = board[(board["rung"] == "selection") & (board["model"] == PRIOR.name)]
    assert len(row) == 1 and np.isfinite(row["mase"].iloc[0])
    fitted = model.model_.fitted_
    assert fitted.report.selection == PRIOR.name  # select[series] scores lower here, but not clearly
    weights = {c.trial.learner: c.weights for c in fitted.components}
    assert set(weights) == {"AutoETS", "AutoTheta"}
    np.testing.assert_allclose(np.concatenate(list(weights.values())), 0.5)


def test_without_classic_learners_the_classic_mean_is_neither_scored_nor_listed() -> None:
    df = make_panel(4, min_length=40, max_length=50, nan_fraction=0.0, seed=5)
    model = AutoML(task="forecasting", horizon=5, allowed_models=["Naive", "HistoricAverage"], max_trials=2, n_jobs=1,
                   progress=False).fit(df)
    assert model.predict()["forecast"].notna().all()
    assert PRIOR.name not in set(model.leaderboard()["model"])  # nothing to combine: not scored, not listed
