"""AutoML(task="forecasting") end to end: API, constraints, failures, selection, intervals, persistence."""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
import pytest

import tsautoml
from tsautoml import AutoML, ColumnSpec
from tsautoml.exceptions import ConfigError, DataValidationError, NotFittedError
from tsautoml.models.baselines import Naive
from tsautoml.search.space import LearnerSpace
from tsautoml.testing import make_panel

TIMES = ["seconds", "fit_time"]  # leaderboard columns that differ from run to run

FAST = ["Naive", "SeasonalNaive", "HistoricAverage", "WindowAverage", "AutoETS", "Ridge"]


def _fit(df: pd.DataFrame, **kwargs) -> AutoML:
    settings = {"task": "forecasting", "horizon": 7, "max_trials": 6, "n_jobs": 1, "progress": False,
                "allowed_models": FAST, **kwargs}
    return AutoML(**settings).fit(df)


def test_the_documented_call_with_dates():
    df = make_panel(4, min_length=60, max_length=90, nan_fraction=0.0)
    model = AutoML(task="forecasting", horizon=7, season_length=7, freq=None, time_budget=60,
                   max_trials=8, seed=0, n_jobs=-1, progress=False).fit(df)
    fc = model.predict(level=[80, 95])
    assert fc.columns.tolist() == ["unique_id", "ds", "forecast", "forecast-lo-80", "forecast-hi-80",
                                   "forecast-lo-95", "forecast-hi-95"]
    assert len(fc) == 4 * 7 and fc["forecast"].notna().all()
    last = df.groupby("unique_id")["ds"].max()
    first_future = fc.groupby("unique_id")["ds"].min()
    assert (first_future == last + pd.Timedelta(days=1)).all()
    assert (fc["forecast-lo-95"] <= fc["forecast-lo-80"]).all() and (fc["forecast-lo-80"] <= fc["forecast"]).all()
    assert (fc["forecast"] <= fc["forecast-hi-80"]).all() and (fc["forecast-hi-80"] <= fc["forecast-hi-95"]).all()
    board = model.leaderboard()
    assert {"rank", "model", "params", "mase", "mase_window0", "seconds", "status"} <= set(board.columns)
    assert board.iloc[0]["rank"] == 1


def test_integer_steps_and_several_id_columns():
    df = make_panel(4, min_length=50, max_length=70, freq=None, nan_fraction=0.02)
    df["store"] = np.where(df["unique_id"].isin(["10", "A"]), "north", "south")
    df = df.rename(columns={"unique_id": "item", "ds": "step", "y": "sales"})
    columns = ColumnSpec(id_cols=("store", "item"), time_col="step", target_col="sales")
    model = _fit(df, columns=columns, season_length=7)
    fc = model.predict()
    assert fc.columns.tolist() == ["store", "item", "step", "forecast"]
    last = df.groupby(["store", "item"])["step"].max()
    assert (fc.groupby(["store", "item"])["step"].min() == last + 1).all()


def test_quantiles_come_from_the_intervals():
    df = make_panel(3, min_length=60, max_length=60, nan_fraction=0.0)
    fc = _fit(df).predict(quantiles=[0.1, 0.5, 0.9])
    assert fc.columns.tolist()[-3:] == ["forecast-q-10", "forecast-q-50", "forecast-q-90"]
    assert (fc["forecast-q-10"] <= fc["forecast-q-50"]).all() and (fc["forecast-q-50"] <= fc["forecast-q-90"]).all()
    np.testing.assert_array_equal(fc["forecast-q-50"], fc["forecast"])


def test_allowed_and_blocked_models_are_respected():
    df = make_panel(3, min_length=60, max_length=60, nan_fraction=0.0)
    board = _fit(df, allowed_models=["Naive", "AutoETS"], max_trials=5).leaderboard()
    assert set(board.loc[board["rung"] != "selection", "model"]) <= {"Naive", "AutoETS"}
    board = _fit(df, allowed_models=None, blocked_models=["LightGBM", "AutoARIMA", "AutoCES"], max_trials=8).leaderboard()
    assert not {"LightGBM", "AutoARIMA", "AutoCES"} & set(board["model"])
    with pytest.raises(ConfigError, match="unknown models \\['Prophet'\\]"):
        _fit(df, allowed_models=["Prophet"])


def test_exit_score_stops_the_search_early():
    df = make_panel(3, min_length=60, max_length=60, nan_fraction=0.0)
    model = _fit(df, max_trials=20, exit_score=100.0)  # any model reaches MASE 100
    assert model.model_.report.stop_reason == "no group left to promote to rung 'ets'"
    board = model.leaderboard()
    assert (board["model"] == "Naive").sum() == 1 and set(board.loc[board["rung"] != "selection", "rung"]) == {"cheap"}


@pytest.mark.slow
def test_time_budget_is_honoured_for_the_whole_fit():
    df = make_panel(30, min_length=200, max_length=300, nan_fraction=0.0)
    tic = time.monotonic()
    model = AutoML(task="forecasting", horizon=14, time_budget=8, n_jobs=1, progress=False).fit(df)
    elapsed = time.monotonic() - tic
    assert elapsed < 8 + 4, elapsed
    assert "time" in model.model_.report.stop_reason, model.model_.report.stop_reason


class Broken(Naive):
    """A learner that always raises."""

    def _fit(self, panel, deadline):
        raise RuntimeError("this learner is broken on purpose")


def test_a_failing_learner_is_recorded_and_the_search_goes_on(monkeypatch):
    import tsautoml.forecaster as forecaster

    learners = {**forecaster.FORECAST_LEARNERS, "Broken": Broken}
    spaces = forecaster.forecast_spaces
    monkeypatch.setattr(forecaster, "FORECAST_LEARNERS", learners)
    monkeypatch.setattr("tsautoml.models.registry.FORECAST_LEARNERS", learners)  # the settings check reads it too
    monkeypatch.setattr(forecaster, "forecast_spaces", lambda ctx: [*spaces(ctx), LearnerSpace("Broken", 1.5)])
    df = make_panel(3, min_length=60, max_length=60, nan_fraction=0.0)
    model = _fit(df, allowed_models=["Naive", "Broken", "AutoETS"], max_trials=4)
    board = model.leaderboard()
    broken = board[board["model"] == "Broken"].iloc[0]
    assert broken["status"] == "failed" and "broken on purpose" in broken["error"]
    assert (board["status"] == "ok").sum() >= 2
    assert model.predict()["forecast"].notna().all()


def _regimes(n_each: int = 6, length: int = 140, seed: int = 0) -> pd.DataFrame:
    """Series where one model is clearly right: exact weekly pattern, random walk, white noise."""
    rng = np.random.default_rng(seed)
    frames = []
    ds = pd.date_range("2023-01-01", periods=length, freq="D")
    for i in range(n_each):
        pattern = rng.uniform(0, 50, 7)
        frames.append(("seasonal", i, np.tile(pattern, length // 7 + 1)[:length] + rng.normal(0, 0.1, length)))
        frames.append(("walk", i, 100 + np.cumsum(rng.normal(1.0, 3, length))))
        frames.append(("noise", i, 50 + rng.normal(0, 5, length)))
    return pd.concat(
        [pd.DataFrame({"unique_id": f"{kind}{i}", "ds": ds, "y": y}) for kind, i, y in frames], ignore_index=True
    )


def _weights(fitted) -> np.ndarray:
    """``(n_series, n_components)``: each component's weight for each series."""
    out = np.zeros((len(fitted.ids), len(fitted.components)))
    for k, comp in enumerate(fitted.components):
        out[comp.series, k] = comp.weights
    return out


def test_per_series_selection_picks_the_true_model():
    df = _regimes()
    model = _fit(df, allowed_models=["Naive", "SeasonalNaive", "HistoricAverage"], max_trials=3,
                 cv=tsautoml.CVConfig(n_windows=4))
    fitted = model.model_.fitted_
    assert fitted.report.selection in ("select[series]", "ensemble[series]")
    weights = pd.DataFrame(_weights(fitted), columns=[c.trial.learner for c in fitted.components])
    top = weights.T.groupby(level=0).sum().T.idxmax(axis=1)
    kinds = fitted.ids["unique_id"].str.rstrip("0123456789")
    expected = {"seasonal": "SeasonalNaive", "walk": "Naive", "noise": "HistoricAverage"}
    agreement = (top == kinds.map(expected)).mean()
    assert agreement >= 0.9, pd.DataFrame({"kind": kinds, "top": top})
    wins = model.model_wins()
    assert wins["series_won"].sum() == len(kinds) and wins["weight"].sum() == pytest.approx(1.0)
    assert (wins["series_served"] >= wins["series_won"]).all() and wins["weight"].is_monotonic_decreasing
    shares = weights.T.groupby(level=0).sum().T.mean()
    assert dict(zip(wins["model"], wins["weight"], strict=True)) == pytest.approx(shares[shares > 0].to_dict())


@pytest.mark.slow
def test_interval_coverage_on_simulated_data():
    rng = np.random.default_rng(1)
    n, length, h = 120, 150, 7
    ds = pd.date_range("2023-01-01", periods=length + h, freq="D")
    y = 50 + np.cumsum(rng.normal(0, 1, (n, length + h)), axis=1) * rng.uniform(0.5, 3, (n, 1))
    df = pd.DataFrame({"unique_id": np.repeat([f"s{i}" for i in range(n)], length + h),
                       "ds": np.tile(ds, n), "y": y.ravel()})
    train = df.groupby("unique_id").head(length)
    test = df.groupby("unique_id").tail(h)
    fc = _fit(train, allowed_models=["Naive", "HistoricAverage"], max_trials=2,
              cv=tsautoml.CVConfig(n_windows=3)).predict(level=[80, 95])
    merged = test.merge(fc, on=["unique_id", "ds"])
    for level in (80, 95):
        inside = (merged["y"] >= merged[f"forecast-lo-{level}"]) & (merged["y"] <= merged[f"forecast-hi-{level}"])
        assert abs(inside.mean() - level / 100) < 0.08, (level, inside.mean())


def test_save_and_load_give_identical_predictions(tmp_path):
    df = make_panel(3, min_length=60, max_length=60, nan_fraction=0.0, exogenous=True)
    model = _fit(df, allowed_models=["Naive", "Ridge"], max_trials=3)
    future = model.model_.fitted_.freq.future_times(model.model_.fitted_.last_times, 7)
    X_future = model.model_.fitted_.ids.iloc[np.repeat(np.arange(3), 7)].assign(ds=future, price=2.0)
    before = model.predict(X_future=X_future, level=[80])
    folder = model.save(tmp_path / "model")
    manifest = (folder / "manifest.json").read_text()
    assert '"statsforecast"' in manifest and '"exogenous": [\n      "price"' in manifest
    loaded = tsautoml.load(folder)
    pd.testing.assert_frame_equal(loaded.predict(X_future=X_future, level=[80]), before)


def test_exogenous_future_is_validated():
    df = make_panel(3, min_length=60, max_length=60, nan_fraction=0.0, exogenous=True)
    model = _fit(df, allowed_models=["Ridge"], max_trials=1)
    with pytest.raises(DataValidationError, match="X_future"):
        model.predict()
    future = model.model_.fitted_.freq.future_times(model.model_.fitted_.last_times, 7)
    X_future = model.model_.fitted_.ids.iloc[np.repeat(np.arange(3), 7)].assign(ds=future, price=2.0)
    with pytest.raises(DataValidationError, match="does not cover the 7 forecast steps of 1 series: \\['A'\\]"):
        model.predict(X_future=X_future[~((X_future["unique_id"] == "A") & (X_future["ds"] == future.max()))])
    cheaper = model.predict(X_future=X_future.assign(price=1.0))["forecast"]
    dearer = model.predict(X_future=X_future.assign(price=3.0))["forecast"]
    assert (cheaper > dearer).all()  # make_panel: y falls by 2 per unit of price


def test_loading_under_other_versions_warns(tmp_path):
    import json

    df = make_panel(2, min_length=40, max_length=40, nan_fraction=0.0)
    folder = _fit(df, allowed_models=["Naive"], max_trials=1).save(tmp_path / "m")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["versions"]["pandas"] = "1.0.0"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.warns(UserWarning, match="pandas 1.0.0 ->"):
        tsautoml.load(folder)


def test_same_seed_and_max_trials_give_the_same_result():
    df = make_panel(3, min_length=60, max_length=60, nan_fraction=0.0)
    a = _fit(df, allowed_models=["Naive", "Ridge"], max_trials=5, seed=3)
    b = _fit(df, allowed_models=["Naive", "Ridge"], max_trials=5, seed=3)
    pd.testing.assert_frame_equal(a.predict(), b.predict())
    pd.testing.assert_frame_equal(a.leaderboard().drop(columns=TIMES), b.leaderboard().drop(columns=TIMES))


def test_bad_settings_and_unfitted_use_give_clear_errors():
    with pytest.raises(ConfigError, match="horizon"):
        AutoML(task="forecasting").fit(make_panel(2))
    with pytest.raises(ConfigError, match="task='clustering'"):
        AutoML(task="clustering", horizon=3).fit(make_panel(2))  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="metric=.pinball. is not a forecasting metric"):
        AutoML(task="forecasting", horizon=3, metric="pinball").fit(make_panel(2))
    with pytest.raises(NotFittedError):
        AutoML(task="forecasting", horizon=3).predict()
    with pytest.raises(ConfigError, match="group_by columns \\['region'\\]"):
        _fit(make_panel(2, min_length=40), group_by=["region"])


def test_group_by_gives_each_group_its_own_choice():
    df = _regimes(n_each=3)
    df["kind"] = df["unique_id"].str.rstrip("0123456789")
    model = _fit(df, columns=ColumnSpec(id_cols=("kind", "unique_id")), group_by=["kind"],
                 allowed_models=["Naive", "SeasonalNaive", "HistoricAverage"], max_trials=3)
    choices = model.group_choices()
    assert sorted(choices["kind"]) == sorted(df["kind"].unique())
    served: dict[int, list] = {}
    for comp in model.model_.fitted_.components:
        for s, w in zip(comp.series, comp.weights, strict=True):
            served.setdefault(int(s), []).append((comp.trial.key, round(float(w), 6)))
    kinds = model.model_.fitted_.ids["kind"].to_numpy()
    for kind in np.unique(kinds):
        blends = {tuple(sorted(served[int(s)])) for s in np.flatnonzero(kinds == kind)}
        assert len(blends) == 1  # every series of a group is served by the group's one blend


def test_series_too_short_to_validate_get_the_panel_choice():
    df = make_panel(4, min_length=60, max_length=60, nan_fraction=0.0)
    short = pd.DataFrame({"unique_id": "tiny", "ds": df["ds"].max() - pd.to_timedelta(range(5), "D"), "y": 3.0})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = _fit(pd.concat([df, short]), allowed_models=["Naive", "SeasonalNaive"], max_trials=2)
    assert any("too short to validate" in str(w.message) for w in caught)
    fc = model.predict()
    assert fc.loc[fc["unique_id"] == "tiny", "forecast"].notna().all()


def test_group_by_fits_one_lightgbm_per_group():
    df = make_panel(4, min_length=60, max_length=60, nan_fraction=0.0)
    df["store"] = np.where(df["unique_id"].isin(["10", "A"]), "north", "south")
    model = _fit(df, columns=ColumnSpec(id_cols=("store", "unique_id")), group_by=["store"],
                 allowed_models=["Naive", "LightGBM"], max_trials=3)
    trials = model.group_leaderboard()
    gbm = trials[trials["model"] == "LightGBM"]
    assert set(gbm["store"]) == {"north", "south"} and (gbm["status"] == "ok").all()
    fitted = [c for c in model.model_.fitted_.components if c.trial.learner == "LightGBM"]
    assert all(model.model_.fitted_.ids["store"].iloc[c.series].nunique() == 1 for c in fitted)
