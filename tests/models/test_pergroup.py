"""PerGroup: one copy of a global learner per group of series."""

from __future__ import annotations

import numpy as np
import pytest

from tsautoml.data import ColumnSpec, Panel
from tsautoml.exceptions import ConfigError
from tsautoml.models.base import Future
from tsautoml.models.gbm import LightGBM
from tsautoml.models.linear import Ridge
from tsautoml.models.pergroup import PerGroup
from tsautoml.testing import check_learner, make_panel

COLUMNS = ColumnSpec(id_cols=("store", "unique_id"))


def _panel(exogenous: bool = False) -> Panel:
    df = make_panel(6, min_length=50, max_length=70, nan_fraction=0.0, exogenous=exogenous)
    df["store"] = np.where(df["unique_id"].isin(["10", "A", "2"]), "north", "south")
    return Panel.from_frame(df, COLUMNS)


def test_each_group_gets_the_forecast_of_a_model_fitted_on_it_alone():
    panel = _panel()
    ridge = Ridge(lags="short", calendar=False, horizon=4)
    model = PerGroup(ridge, group_by=("store",)).fit(panel)
    forecast = model.predict(4).mean
    north = np.flatnonzero(panel.ids["store"] == "north")
    rows = np.concatenate([np.arange(panel.indptr[i], panel.indptr[i + 1]) for i in north])
    alone = Ridge(lags="short", calendar=False, horizon=4).fit(panel.take(north, rows, panel.target.lengths[north]))
    np.testing.assert_allclose(forecast[north], alone.predict(4).mean)


@pytest.mark.parametrize("inner", [Ridge(lags="short", horizon=3), LightGBM(n_estimators=20, horizon=3)],
                         ids=["Ridge", "LightGBM"])
def test_per_group_passes_the_learner_contract(inner):
    panel = _panel(exogenous=True)
    check_learner(PerGroup(inner, group_by=("store",)), panel, horizon=3)


def test_group_by_must_name_id_columns():
    with pytest.raises(ConfigError, match="group_by id columns; \\['region'\\] given"):
        PerGroup(Ridge(), group_by=("region",)).fit(_panel())


def test_future_exogenous_values_reach_each_group():
    panel = _panel(exogenous=True)
    model = PerGroup(Ridge(lags="short", calendar=False, horizon=3, strategy="direct"), ("store",)).fit(panel)
    times = panel.freq.future_times(panel.times[panel.indptr[1:] - 1], 3).reshape(6, 3)
    cheap = model.predict(3, Future(times, {"price": np.full((6, 3), 1.0)})).mean
    dear = model.predict(3, Future(times, {"price": np.full((6, 3), 3.0)})).mean
    assert (cheap > dear).all()
