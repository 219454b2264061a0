"""A learner stuck in native code past its deadline is abandoned: the fit returns on time and says so."""

from __future__ import annotations

import time

import numpy as np
import pytest

from tsautoml import AutoML
from tsautoml.models.baselines import Naive
from tsautoml.search.space import LearnerSpace
from tsautoml.testing import make_panel

BUDGET = 8.0


class Stuck(Naive):
    """Naive, after a minute in ``time.sleep`` (C code: no Python-level deadline check reaches it)."""

    def _fit(self, panel, deadline):
        time.sleep(60)
        super()._fit(panel, deadline)


@pytest.fixture
def with_stuck(monkeypatch: pytest.MonkeyPatch) -> None:
    import tsautoml.forecaster as forecaster

    learners = {**forecaster.FORECAST_LEARNERS, "Stuck": Stuck}
    spaces = forecaster.forecast_spaces
    monkeypatch.setattr(forecaster, "FORECAST_LEARNERS", learners)
    monkeypatch.setattr("tsautoml.models.registry.FORECAST_LEARNERS", learners)
    monkeypatch.setattr(forecaster, "forecast_spaces", lambda ctx: [*spaces(ctx), LearnerSpace("Stuck", 5.0)])


@pytest.mark.usefixtures("with_stuck")
@pytest.mark.parametrize("n_jobs", [1, 2])
def test_a_learner_stuck_in_native_code_is_abandoned_and_the_fit_returns_on_time(n_jobs: int) -> None:
    df = make_panel(4, min_length=80, max_length=80, nan_fraction=0.0)
    start = time.monotonic()
    model = AutoML("forecasting", horizon=7, time_budget=BUDGET, n_jobs=n_jobs, progress=False,
                   allowed_models=["Naive", "SeasonalNaive", "Stuck"]).fit(df)
    took = time.monotonic() - start
    assert took < BUDGET + 2, f"fit took {took:.1f}s at a {BUDGET:.0f}s budget"
    board = model.leaderboard()
    stuck = board[board["model"] == "Stuck"].iloc[0]
    assert stuck["status"] == "timeout" and "abandoned" in stuck["error"]
    assert (board.loc[board["model"] != "Stuck", "status"] == "ok").any()
    forecast = model.predict(level=[80])
    assert len(forecast) == 4 * 7 and np.isfinite(forecast.drop(columns=["unique_id", "ds"]).to_numpy()).all()
