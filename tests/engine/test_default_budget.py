"""The default budget: the classic models timed on a sample, scaled to the panel and the validation."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from tsautoml import AutoML, CVConfig
from tsautoml.data.grouped import Panel
from tsautoml.engine import default_budget as budget_module
from tsautoml.engine.default_budget import MAX_BUDGET, MIN_BUDGET, SAFETY, default_budget
from tsautoml.models.registry import FORECAST_LEARNERS
from tsautoml.search.space import ForecastContext, forecast_spaces
from tsautoml.search.tasks import CARRIED_WINDOW_COST


def _monthly(n: int, length: int = 96, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(length)
    ds = pd.date_range("2010-01-31", periods=length, freq="ME")
    frames = [pd.DataFrame({"unique_id": f"s{i}", "ds": ds,
                            "y": rng.uniform(100, 900) * (1 + 0.2 * np.sin(2 * np.pi * t / 12)) * rng.lognormal(0, 0.05, length)})
              for i in range(n)]
    return pd.concat(frames, ignore_index=True)


def _spaces(allowed: set[str]) -> list:
    ctx = ForecastContext(season_length=12, horizon=6, has_dates=True, nonnegative=True, intermittent=False,
                          has_exogenous=False)
    return [sp for sp in forecast_spaces(ctx) if sp.learner in allowed]


CONTEXT = {"season_length": 12, "horizon": 6, "seed": 0, "n_jobs": 1}


def test_the_budget_is_the_classic_models_cost_on_every_window_and_the_refit() -> None:
    panel = Panel.from_frame(_monthly(40))
    spaces = _spaces({"Naive", "AutoETS", "AutoTheta"})
    chosen = default_budget(panel, spaces, FORECAST_LEARNERS, CONTEXT, n_windows=3, n_workers=2, seed=0,
                            carry_forward=False)
    assert chosen is not None and chosen.classic_seconds > 0
    assert chosen.validation_seconds == pytest.approx(4 * chosen.classic_seconds)  # 3 windows and the refit
    assert chosen.seconds == pytest.approx(np.clip(SAFETY * chosen.validation_seconds, MIN_BUDGET, MAX_BUDGET))
    assert "AutoTheta, AutoETS" in chosen.note and "40 series" in chosen.note and "Naive" not in chosen.note
    theta = default_budget(panel, _spaces({"AutoTheta"}), FORECAST_LEARNERS, CONTEXT, n_windows=3, n_workers=2, seed=0)
    assert theta is not None  # AutoTheta carries its first window forward: 1 + 2 x 0.1 fits, and the refit
    assert theta.validation_seconds == pytest.approx((2 + 2 * CARRIED_WINDOW_COST) * theta.classic_seconds)


def test_a_learner_the_probe_cannot_time_counts_at_its_declared_cost(monkeypatch) -> None:
    panel = Panel.from_frame(_monthly(12))
    spaces = _spaces({"AutoETS", "AutoTheta"})
    real_fit = budget_module._fit

    def fit(cls, space, *args):
        if space.learner == "AutoETS":
            raise RuntimeError("no convergence")
        return real_fit(cls, space, *args)

    monkeypatch.setattr(budget_module, "_fit", fit)
    chosen = default_budget(panel, spaces, FORECAST_LEARNERS, CONTEXT, n_windows=1, n_workers=1, seed=0)
    cost = {sp.learner: sp.cost for sp in spaces}
    assert chosen is not None
    theta_only = default_budget(panel, _spaces({"AutoTheta"}), FORECAST_LEARNERS, CONTEXT, n_windows=1, n_workers=1, seed=0)
    assert theta_only is not None
    # ETS is estimated at its relative cost: the total is about (1 + cost ETS / cost Theta) times Theta alone
    ratio = chosen.classic_seconds / theta_only.classic_seconds
    assert 0.3 * (1 + cost["AutoETS"] / cost["AutoTheta"]) < ratio < 3 * (1 + cost["AutoETS"] / cost["AutoTheta"])
    monkeypatch.setattr(budget_module, "_fit", lambda *a: (_ for _ in ()).throw(RuntimeError("broken")))
    assert default_budget(panel, spaces, FORECAST_LEARNERS, CONTEXT, n_windows=1, n_workers=1, seed=0) is None


def test_a_fit_without_a_budget_sizes_one_from_the_data_and_says_so(caplog, capsys) -> None:
    df = _monthly(6, length=60)
    with caplog.at_level(logging.INFO, logger="tsautoml"):
        model = AutoML(task="forecasting", horizon=6, allowed_models=["Naive", "SeasonalNaive", "AutoTheta"],
                       cv=CVConfig(n_windows=2), n_jobs=1, progress=True).fit(df)
    note = [r.getMessage() for r in caplog.records if "No time_budget or max_trials given" in r.getMessage()]
    assert len(note) == 1 and "AutoTheta" in note[0] and "6 series" in note[0]
    assert "No time_budget or max_trials given" in capsys.readouterr().err
    assert model.predict()["forecast"].notna().all()
