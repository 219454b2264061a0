"""After fit: evaluate, the back-test frame, explanations and forecasts from new history, through the public API."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import tsautoml
from tsautoml import AutoML, ColumnSpec
from tsautoml.exceptions import ConfigError, DataValidationError
from tsautoml.metrics import get_metric

COLUMNS = ColumnSpec(id_cols=("store", "item"))
KEYS = ["store", "item"]
H = 7


@pytest.fixture(scope="module")
def demand() -> pd.DataFrame:
    """Six of the shipped daily series, without the price and promotion plan (no future needed)."""
    df = tsautoml.load_demand().drop(columns=["price", "promo"])
    keep = df[KEYS].drop_duplicates().head(6)
    return df.merge(keep, on=KEYS).sort_values([*KEYS, "ds"], ignore_index=True)


@pytest.fixture(scope="module")
def split(demand: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Training data, the next week (the horizon), the week after it."""
    last = demand["ds"].max()
    train = demand[demand["ds"] <= last - pd.Timedelta(days=2 * H)]
    week1 = demand[(demand["ds"] > last - pd.Timedelta(days=2 * H)) & (demand["ds"] <= last - pd.Timedelta(days=H))]
    return train, week1, demand[demand["ds"] > last - pd.Timedelta(days=H)]


def _fit(train: pd.DataFrame, models: list[str], trials: int) -> AutoML:
    return AutoML(task="forecasting", horizon=H, max_trials=trials, columns=COLUMNS, seed=0, n_jobs=1, progress=False,
                  allowed_models=models).fit(train)


@pytest.fixture(scope="module")
def mixed(split) -> AutoML:
    """Local statistical and global regression models blended."""
    return _fit(split[0], ["SeasonalNaive", "AutoETS", "Ridge", "LightGBM"], 6)


@pytest.fixture(scope="module")
def global_only(split) -> AutoML:
    return _fit(split[0], ["Ridge", "LightGBM"], 4)


@pytest.fixture(scope="module")
def local_only(split) -> AutoML:
    return _fit(split[0], ["SeasonalNaive", "AutoETS"], 3)


# ------------------------------------------------------------------ evaluate
def _mase_by_hand(train: pd.DataFrame, test: pd.DataFrame, forecast: pd.DataFrame) -> pd.Series:
    """Per series: mean |y - forecast| over the test, over the mean |y_t - y_{t-7}| of the training data."""
    out = {}
    for key, rows in test.merge(forecast, on=[*KEYS, "ds"]).groupby(KEYS):
        y = train.merge(pd.DataFrame([key], columns=KEYS), on=KEYS).sort_values("ds")["y"].to_numpy()
        out[key] = np.abs(rows["y"] - rows["forecast"]).mean() / np.abs(y[7:] - y[:-7]).mean()
    return pd.Series(out)


def test_evaluate_equals_the_scores_computed_by_hand(mixed, split):
    train, week1, _ = split
    forecast = mixed.predict(level=[80])
    evaluation = mixed.evaluate(week1, level=[80])
    per_series = evaluation.per_series.set_index(KEYS)
    by_hand = _mase_by_hand(train, week1, forecast)
    np.testing.assert_allclose(per_series.loc[by_hand.index, "mase"], by_hand.to_numpy(), rtol=1e-10)
    assert evaluation["mase"] == pytest.approx(by_hand.mean(), rel=1e-10)
    merged = week1.merge(forecast, on=[*KEYS, "ds"])
    error = merged["y"] - merged["forecast"]
    assert evaluation["mae"] == pytest.approx(error.abs().groupby([merged[k] for k in KEYS]).mean().mean())
    inside = (merged["y"] >= merged["forecast-lo-80"]) & (merged["y"] <= merged["forecast-hi-80"])
    assert evaluation["coverage-80"] == pytest.approx(inside.groupby([merged[k] for k in KEYS]).mean().mean())
    assert evaluation.overall["metric"].tolist() == ["mase", "smape", "mape", "mae", "rmse", "wape",
                                                     "coverage-80", "msis-80"]


def test_evaluate_scores_some_steps_of_some_series(mixed, split):
    _, week1, _ = split
    some = week1[(week1["store"] == week1["store"].iloc[0]) & (week1["ds"] < week1["ds"].min() + pd.Timedelta(days=3))]
    evaluation = mixed.evaluate(some, metrics=["mae", "rmse"])
    assert len(evaluation.per_series) == some.groupby(KEYS).ngroups
    assert evaluation.overall["metric"].tolist() == ["mae", "rmse"]
    assert (evaluation.overall["n_series"] == len(evaluation.per_series)).all()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda w: w.drop(columns="y"), "lacks the columns \\['y'\\]"),
        (lambda w: w.iloc[:0], "no rows"),
        (lambda w: w.assign(item="caviar"), "not fitted on, e.g. .*caviar"),
        (lambda w: pd.concat([w, w.head(1)]), "1 duplicate"),
        (lambda w: w.assign(ds=w["ds"] + pd.Timedelta(days=H)), "outside the forecast horizon"),
        (lambda w: w.assign(y="many"), "not numbers"),
        (lambda w: w.to_numpy(), "must be a pandas DataFrame"),
    ],
)
def test_evaluate_names_what_does_not_match(mixed, split, change, message):
    with pytest.raises(DataValidationError, match=message):
        mixed.evaluate(change(split[1]))


def test_interval_metrics_need_a_level(mixed, split):
    with pytest.raises(ConfigError, match="pass level"):
        mixed.evaluate(split[1], metrics=["coverage"])


# ------------------------------------------------------------- back-tests
def _window_scores(cv: pd.DataFrame, train: pd.DataFrame, column: str) -> list[float]:
    """MASE of ``column`` in each back-test window (earliest first), scaled by the data up to its cutoff."""
    mase = get_metric("mase", "forecast")
    scores = []
    for cutoff, window in sorted(cv.groupby("cutoff"), key=lambda item: item[0]):
        window = window.sort_values([*KEYS, "ds"])
        history = train[train["ds"] <= cutoff].sort_values([*KEYS, "ds"])
        indptr = np.r_[0, np.cumsum(window.groupby(KEYS, sort=True).size())]
        train_indptr = np.r_[0, np.cumsum(history.groupby(KEYS, sort=True).size())]
        scores.append(mase.score(window["y"].to_numpy(), window[column].to_numpy(), indptr,
                                 y_train=history["y"].to_numpy(), train_indptr=train_indptr, season_length=7))
    return scores


def test_cross_validation_scores_are_the_leaderboard_scores(mixed, split):
    cv = mixed.cross_validation(level=[80])
    board = mixed.leaderboard()
    assert {"cutoff", "y", "forecast", "forecast-lo-80", "forecast-hi-80"} <= set(cv.columns)
    windows = sorted(c for c in board.columns if c.startswith("mase_window"))
    assert cv["cutoff"].nunique() == len(windows)
    assert (cv["ds"] > cv["cutoff"]).all() and (cv.groupby([*KEYS, "cutoff"]).size() == H).all()
    models = [m for m in board.loc[board["status"] == "ok", "model"].unique() if m in cv.columns]
    assert len(models) >= 3
    for model in models:
        best = board[(board["model"] == model) & (board["status"] == "ok")].sort_values("mase").iloc[0]
        np.testing.assert_allclose(_window_scores(cv, split[0], model), best[windows].to_numpy(dtype=float), rtol=1e-9)


def test_the_chosen_combination_is_scored_as_on_the_leaderboard(mixed, split):
    cv = mixed.cross_validation()
    board = mixed.leaderboard()
    chosen = board[board["note"] == "chosen"]
    assert len(chosen) == 1 and chosen["model"].iloc[0] == mixed.summary()["chosen"]
    assert cv["forecast"].notna().all()
    assert np.mean(_window_scores(cv, split[0], "forecast")) == pytest.approx(chosen["mase"].iloc[0], rel=1e-9)


# ------------------------------------------------------------ explanations
def _model_forecast(parts: pd.DataFrame, last_y: pd.Series) -> pd.Series:
    """One trial's forecast per (series, time) from its contributions, on the scale the parts add up to."""
    total = parts.groupby([*KEYS, "ds", "target"], as_index=False)["contribution"].sum().sort_values([*KEYS, "ds"])
    target = total["target"].iloc[0]
    if target == "change":
        start = total[KEYS].merge(last_y.rename("last").reset_index(), on=KEYS)["last"].to_numpy()
        total["contribution"] = total.groupby(KEYS)["contribution"].cumsum().to_numpy() + start
    elif target == "log level":
        total["contribution"] = np.exp(total["contribution"])
    return total.set_index([*KEYS, "ds"])["contribution"]


def test_contributions_add_up_to_the_forecast(global_only, split):
    train = split[0]
    explanation = global_only.explain()
    forecast = global_only.predict().set_index([*KEYS, "ds"])["forecast"]
    last_y = train.sort_values("ds").groupby(KEYS)["y"].last()
    blended = pd.Series(0.0, index=forecast.index)
    for component, parts in explanation.contributions.groupby("component"):
        weights = explanation.weights[explanation.weights["component"] == component].set_index(KEYS)["weight"]
        model = _model_forecast(parts, last_y)
        blended = blended.add(model * weights.reindex(model.index.droplevel("ds")).to_numpy(), fill_value=0.0)
    np.testing.assert_allclose(blended.loc[forecast.index].to_numpy(), forecast.to_numpy(), rtol=1e-4, atol=1e-3)


def test_importances_per_feature_and_family(global_only):
    explanation = global_only.explain()
    imp = explanation.importance
    assert set(imp["family"]) <= {"lags", "rolling", "calendar", "holiday", "exogenous"}
    assert {"lags", "calendar"} <= set(imp["family"])
    for _, per_model in imp.groupby("component"):
        assert per_model["importance"].sum() == pytest.approx(1.0)
        assert (per_model["importance"] >= 0).all()
    families = explanation.families.groupby("component")["importance"].sum()
    assert np.allclose(families, 1.0)
    weights = explanation.weights.groupby(KEYS)["weight"].sum()
    assert np.allclose(weights, 1.0) and len(weights) == 6


def test_one_global_trial_fitted_per_group_is_explained_per_group(split):
    model = AutoML(task="forecasting", horizon=H, max_trials=2, columns=COLUMNS, group_by=["store"], seed=0, n_jobs=1,
                   progress=False, allowed_models=["Ridge"]).fit(split[0])
    explanation = model.explain()
    per_fit = explanation.families.groupby("component")["importance"].sum()
    assert np.allclose(per_fit, 1.0)
    stores = explanation.weights.groupby("component")["store"].nunique()
    assert (stores == 1).all() and explanation.weights["store"].nunique() == split[0]["store"].nunique()


def test_a_local_model_is_explained_by_its_weights_only(local_only):
    explanation = local_only.explain()
    assert explanation.importance.empty and explanation.contributions.empty
    assert set(explanation.weights["model"]) <= {"SeasonalNaive", "AutoETS"}


def test_table_explanations_use_the_featurized_names():
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True, as_frame=True)
    model = AutoML(task="regression", max_trials=2, allowed_models=["Ridge"], seed=0, progress=False).fit(X, y)
    explanation = model.explain(X.head(20))
    assert set(explanation.importance["feature"]) <= set(model.pipeline()[:-1].get_feature_names_out())
    assert explanation.importance["importance"].sum() == pytest.approx(1.0)
    parts = explanation.contributions.groupby("row")["contribution"].sum().to_numpy()
    np.testing.assert_allclose(parts, model.predict(X.head(20)), rtol=1e-8)
    evaluation = model.evaluate(X, y)
    assert evaluation["r2_score"] == pytest.approx(model.score(X, y))


# ------------------------------------------------------ from new history
@pytest.mark.parametrize("name", ["mixed", "global_only", "local_only"])
def test_the_same_history_gives_the_same_forecast(name, request, split):
    model = request.getfixturevalue(name)
    pd.testing.assert_frame_equal(model.predict(level=[80], df=split[0]), model.predict(level=[80]))


def test_forecasts_from_the_end_of_the_new_history(mixed, split):
    train, week1, week2 = split
    only_new = mixed.predict(df=week1, level=[80])
    whole = mixed.predict(df=pd.concat([train, week1]), level=[80])
    pd.testing.assert_frame_equal(only_new, whole)
    assert (only_new.groupby(KEYS)["ds"].min() == week1["ds"].max() + pd.Timedelta(days=1)).all()
    assert not np.allclose(only_new["forecast"], mixed.predict()["forecast"])
    # scored from the new end, with the longer history as MASE's scale
    by_hand = _mase_by_hand(pd.concat([train, week1]), week2, only_new)
    assert mixed.evaluate(week2, df=week1)["mase"] == pytest.approx(by_hand.mean(), rel=1e-10)


@pytest.mark.parametrize("model", ["SeasonalNaive", "WindowAverage"])
def test_extended_history_equals_a_refit_of_a_deterministic_learner(model, split):
    train, week1, _ = split
    settings = {"task": "forecasting", "horizon": H, "max_trials": 1, "columns": COLUMNS, "seed": 0, "n_jobs": 1,
                "progress": False, "allowed_models": [model]}
    extended = AutoML(**settings).fit(train).predict(df=week1)
    refitted = AutoML(**settings).fit(pd.concat([train, week1])).predict()
    pd.testing.assert_frame_equal(extended[[*KEYS, "ds", "forecast"]], refitted[[*KEYS, "ds", "forecast"]])


def test_new_series_take_the_global_models(global_only, split):
    train, week1, _ = split
    first = train[KEYS].iloc[0]
    new = train[(train["store"] == first["store"]) & (train["item"] == first["item"])].assign(store="airport")
    forecast = global_only.predict(df=pd.concat([week1, new]))
    assert set(forecast["store"]) == set(train["store"]) | {"airport"}
    assert forecast["forecast"].notna().all()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda w: w.drop(columns="y"), "lacks the columns \\['y'\\]"),
        (lambda w: w[w["ds"] > w["ds"].min() + pd.Timedelta(days=2)], "after a gap"),
        (lambda w: w.assign(item=w["store"] + "-" + w["item"] + "-new"), "fitted per series and cannot forecast them"),
        (lambda w: w.assign(ds=w["ds"].dt.tz_localize("UTC")), "time zone"),
    ],
)
def test_new_history_that_breaks_the_schema(local_only, split, change, message):
    with pytest.raises(DataValidationError, match=message):
        local_only.predict(df=change(split[1]))


def test_new_history_at_another_frequency(local_only, demand):
    weekly = demand[(demand["ds"].dt.dayofweek == 0) & (demand["ds"] > demand["ds"].max() - pd.Timedelta(days=60))]
    with pytest.raises(DataValidationError, match="fitted at the frequency 'D'.* finer than the data"):
        local_only.predict(df=weekly)


# ------------------------------------------------------------- refit=False
@pytest.mark.parametrize("model", ["AutoETS", "Ridge"])
def test_refit_false_forecasts_with_the_models_of_the_last_cutoff(model, split):
    train = split[0]
    settings = {"task": "forecasting", "horizon": H, "max_trials": 1, "columns": COLUMNS, "seed": 0, "n_jobs": 1,
                "progress": False, "allowed_models": [model]}
    kept = AutoML(refit=False, **settings).fit(train).predict()
    at_cutoff = AutoML(**settings).fit(train[train["ds"] <= train["ds"].max() - pd.Timedelta(days=H)])
    np.testing.assert_allclose(kept["forecast"], at_cutoff.predict(df=train)["forecast"], rtol=1e-12)
    refitted = AutoML(**settings).fit(train).predict()
    assert not np.allclose(kept["forecast"], refitted["forecast"])


def test_refit_false_is_for_forecasting():
    with pytest.raises(ConfigError, match="refit=False is a forecasting setting"):
        AutoML(task="regression", refit=False).fit(pd.DataFrame({"x": range(30)}), np.arange(30.0))
