"""Bad and awkward inputs through the public API and the CLI: clear errors, warnings, correct results.

Each case asserts the error type (a ``TsAutoMLError`` subclass) and that the message names the
offending setting, column, series or file; accepted input must give a correct result.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import tsautoml
from tsautoml import (
    AutoML,
    ConfigError,
    CVConfig,
    DataValidationError,
    NotFittedError,
    TabularCV,
    TsAutoMLError,
)
from tsautoml.checks import check
from tsautoml.testing import make_panel

TsAutoMLWarning = getattr(tsautoml, "TsAutoMLWarning", UserWarning)

H = 7
FAST = {"max_trials": 2, "n_jobs": 1, "progress": False, "allowed_models": ["Naive", "SeasonalNaive"]}
EXO = {**FAST, "allowed_models": ["Naive", "Ridge"]}
BAD = "ZZ9"  # the id of the series a case breaks, distinctive enough to find in a message


def _panel(exogenous: bool = False, n: int = 3) -> pd.DataFrame:
    df = make_panel(n, min_length=40, max_length=60, nan_fraction=0.0, exogenous=exogenous, seed=1)
    first = df["unique_id"].iloc[0]
    df["unique_id"] = df["unique_id"].where(df["unique_id"] != first, BAD)
    return df.reset_index(drop=True)


def _fit(df, **settings):
    return AutoML(horizon=settings.pop("horizon", H), **{**FAST, **settings}).fit(df)


def _raises(exc, patterns, fn):
    """``fn()`` raises ``exc`` (a TsAutoMLError) whose message matches every regex in ``patterns``."""
    with pytest.raises(exc) as info:
        fn()
    assert isinstance(info.value, TsAutoMLError), f"{type(info.value).__name__} is not a TsAutoMLError"
    for pattern in [patterns] if isinstance(patterns, str) else patterns:
        assert re.search(pattern, str(info.value), re.IGNORECASE), f"{pattern!r} not in: {info.value}"
    return info.value


def _assert_forecast(fc: pd.DataFrame, df: pd.DataFrame, levels=(80,), id_col="unique_id"):
    n_series = df[id_col].nunique()
    assert len(fc) == n_series * H
    assert set(fc[id_col]) == set(df[id_col])
    cols = ["forecast"] + [f"forecast-{s}-{lv}" for lv in levels for s in ("lo", "hi")]
    for col in cols:
        assert col in fc.columns, f"{col} missing from {fc.columns.tolist()}"
        values = fc[col].to_numpy(dtype=float)
        assert np.isfinite(values).all(), f"{col} has non-finite values"
    for lv in levels:
        assert (fc[f"forecast-lo-{lv}"] <= fc["forecast"] + 1e-9 * (1 + fc["forecast"].abs())).all()
        assert (fc[f"forecast-hi-{lv}"] >= fc["forecast"] - 1e-9 * (1 + fc["forecast"].abs())).all()


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return _panel()


@pytest.fixture(scope="module")
def fitted(panel) -> AutoML:
    return _fit(panel)


@pytest.fixture(scope="module")
def exo_split():
    df = _panel(exogenous=True)
    cutoff = df["ds"].max() - pd.Timedelta(days=H)
    return df[df["ds"] <= cutoff].reset_index(drop=True), df[df["ds"] > cutoff].reset_index(drop=True)


@pytest.fixture(scope="module")
def exo_fitted(exo_split) -> AutoML:
    return _fit(exo_split[0], **EXO)


def _table(n: int = 60, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n), "c": rng.integers(0, 5, n).astype(float)})
    y = pd.Series(np.where(X["a"] + 0.5 * rng.normal(size=n) > 0, "yes", "no"), name="label")
    return X, y


TABLE_FAST = {"max_trials": 2, "n_jobs": 1, "progress": False, "allowed_models": ["LogisticRegression", "KNeighbors"]}


@pytest.fixture(scope="module")
def table_fitted() -> AutoML:
    X, y = _table()
    return AutoML("classification", **TABLE_FAST).fit(X, y)


# --------------------------------------------------------------------------- settings

SETTINGS = [
    ("season_length_float", {"season_length": 7.5}, ["season_length", r"7\.5"]),
    ("season_length_zero", {"season_length": 0}, ["season_length", "0"]),
    ("max_trials_float", {"max_trials": 2.5}, ["max_trials", r"2\.5"]),
    ("max_trials_zero", {"max_trials": 0}, ["max_trials", "0"]),
    ("horizon_nan", {"horizon": float("nan")}, ["horizon", "nan"]),
    ("horizon_zero", {"horizon": 0}, ["horizon", "0"]),
    ("horizon_negative", {"horizon": -3}, ["horizon", "-3"]),
    ("horizon_string", {"horizon": "7"}, ["horizon", "7"]),
    ("horizon_float", {"horizon": 7.5}, ["horizon", r"7\.5"]),
    ("horizon_missing", {"horizon": None}, ["horizon"]),
    ("time_budget_string", {"time_budget": "10"}, ["time_budget", "10"]),
    ("time_budget_negative", {"time_budget": -1}, ["time_budget", "-1"]),
    ("time_budget_zero", {"time_budget": 0}, ["time_budget", "0"]),
    ("time_budget_nan", {"time_budget": float("nan")}, ["time_budget", "nan"]),
    ("n_jobs_zero", {"n_jobs": 0}, ["n_jobs", "0"]),
    ("seed_string", {"seed": "a"}, ["seed", "a"]),
    ("seed_negative", {"seed": -1}, ["seed", "-1"]),
    ("exit_score_mase_negative", {"metric": "mase", "exit_score": -1}, ["exit_score", "-1"]),
    ("patience_zero", {"patience": 0}, ["patience", "0"]),
    ("patience_float", {"patience": 1.5}, ["patience", r"1\.5"]),
    ("metric_unknown", {"metric": "nope"}, ["metric", "nope"]),
    ("metric_of_other_task", {"metric": "accuracy"}, ["metric", "accuracy"]),
    ("task_unknown", {"task": "nope"}, ["task", "nope"]),
    ("cv_string", {"cv": "abc"}, ["cv", "abc"]),
    ("cv_tabular_for_forecasting", {"cv": TabularCV()}, ["cv", "TabularCV"]),
    ("holidays_unknown", {"holidays": "XX"}, ["holidays", "XX"]),
    ("holidays_unknown_naive_only", {"holidays": "XX", "allowed_models": ["Naive"]}, ["holidays", "XX"]),
    ("allowed_models_unknown", {"allowed_models": ["Nope"]}, ["allowed_models", "Nope"]),
    ("blocked_models_unknown", {"blocked_models": ["Nope"]}, ["blocked_models", "Nope"]),
    ("allowed_and_blocked_same", {"allowed_models": ["Naive"], "blocked_models": ["Naive"]},
     ["allowed_models|blocked_models", "Naive"]),
    ("group_by_not_id", {"group_by": ["store"]}, ["group_by", "store"]),
    ("freq_unknown_alias", {"freq": "XYZ"}, ["freq", "XYZ"]),
]


@pytest.mark.parametrize(("settings", "patterns"), [c[1:] for c in SETTINGS], ids=[c[0] for c in SETTINGS])
def test_bad_forecast_setting(panel, settings, patterns):
    settings = {**FAST, "horizon": H, **settings}
    model = AutoML(**settings)
    _raises(ConfigError, patterns, lambda: model.fit(panel))
    assert not hasattr(model, "model_")


TABLE_SETTINGS = [
    ("exit_score_accuracy_above_1", {"metric": "accuracy", "exit_score": 1.5}, ["exit_score", r"1\.5"]),
    ("horizon_on_classification", {"horizon": 7}, ["horizon"]),
    ("metric_forecast_on_classification", {"metric": "mase"}, ["metric", "mase"]),
    ("cv_forecast_on_classification", {"cv": CVConfig()}, ["cv", "CVConfig"]),
]


@pytest.mark.parametrize(("settings", "patterns"), [c[1:] for c in TABLE_SETTINGS], ids=[c[0] for c in TABLE_SETTINGS])
def test_bad_table_setting(settings, patterns):
    X, y = _table()
    model = AutoML("classification", **{**TABLE_FAST, **settings})
    _raises(ConfigError, patterns, lambda: model.fit(X, y))


def test_unknown_keyword_names_it():
    with pytest.raises(TypeError, match="horizn"):
        AutoML(horizn=7)


# --------------------------------------------------------------------------- bare strings for lists

def test_allowed_models_bare_string(panel):
    model = _fit(panel, allowed_models="Naive")
    board = model.leaderboard()
    singles = board[board["trial"].notna()]
    assert len(singles) > 0 and set(singles["model"]) == {"Naive"}
    _assert_forecast(model.predict(level=[80]), panel)


def test_blocked_models_bare_string(panel):
    model = _fit(panel, allowed_models=None, blocked_models="AutoARIMA", max_trials=3)
    board = model.leaderboard()
    assert "AutoARIMA" not in set(board["model"])
    _assert_forecast(model.predict(level=[80]), panel)


def test_group_by_bare_string(panel):
    model = _fit(panel, group_by="unique_id")
    _assert_forecast(model.predict(level=[80]), panel)


# --------------------------------------------------------------------------- predict(level, quantiles)

def test_scalar_level_is_a_list(fitted, panel):
    _assert_forecast(fitted.predict(level=80), panel, levels=(80,))


def test_scalar_quantile_is_a_list(fitted, panel):
    fc = fitted.predict(quantiles=0.5)
    assert len(fc) == panel["unique_id"].nunique() * H
    assert "forecast-q-50" in fc.columns and np.isfinite(fc["forecast-q-50"]).all()


BAD_PREDICT = [
    ("level_above_100", {"level": [150]}, ["level", "150"]),
    ("level_negative", {"level": [-5]}, ["level", "-5"]),
    ("level_nan", {"level": [float("nan")]}, ["level", "nan"]),
    ("level_string", {"level": "80"}, ["level", "80"]),
    ("quantiles_out_of_0_1", {"quantiles": [0, 1.2]}, ["quantiles", r"1\.2"]),
    ("quantiles_string", {"quantiles": "0.5"}, ["quantiles"]),
    ("level_and_quantiles", {"level": [80], "quantiles": [0.5]}, ["level", "quantiles"]),
]


@pytest.mark.parametrize(("kwargs", "patterns"), [c[1:] for c in BAD_PREDICT], ids=[c[0] for c in BAD_PREDICT])
def test_bad_predict_arguments(fitted, kwargs, patterns):
    _raises(ConfigError, patterns, lambda: fitted.predict(**kwargs))


# --------------------------------------------------------------------------- bad data for forecasting

def _dup_columns(df):
    out = df.copy()
    out.insert(3, "y2", out["y"])
    out.columns = ["unique_id", "ds", "y", "y"]
    return out


def _dup_rows(df):
    return pd.concat([df, df[df["unique_id"] == BAD].head(2)], ignore_index=True)


def _set(df, col, value, rows=slice(0, 3)):
    out = df.copy()
    out[col] = out[col].astype(object)
    idx = out.index[out["unique_id"] == BAD][rows] if col != "unique_id" else out.index[rows]
    out.loc[idx, col] = value
    return out


def _unparsable_ds(df):
    out = df.copy()
    out["ds"] = out["ds"].dt.strftime("%Y-%m-%d")
    out.loc[out.index[5], "ds"] = "not a date"
    return out


def _mixed_ds(df):
    out = df.copy()
    out["ds"] = out["ds"].astype(object)
    out.loc[out.index[:5], "ds"] = list(range(5))
    return out


def _bool_ds(df):
    out = df.copy()
    out["ds"] = np.arange(len(out)) % 2 == 0
    return out


def _string_target(df):
    out = df.copy()
    out["y"] = out["y"].round(2).astype(str)
    out.loc[out.index[3], "y"] = "n/a"
    return out


def _inf_target(df):
    out = df.copy()
    out.loc[out.index[out["unique_id"] == BAD][10], "y"] = np.inf
    return out


def _all_nan_series(df):
    out = df.copy()
    out.loc[out["unique_id"] == BAD, "y"] = np.nan
    return out


def _mixed_freq(df):
    daily = pd.DataFrame({"unique_id": "daily_1", "ds": pd.date_range("2020-01-01", periods=60, freq="D"),
                          "y": np.arange(60.0)})
    monthly = pd.DataFrame({"unique_id": BAD, "ds": pd.date_range("2015-01-01", periods=60, freq="MS"),
                            "y": np.arange(60.0)})
    return pd.concat([daily, monthly], ignore_index=True)


BAD_DATA = [
    ("numpy_array", lambda df: df.to_numpy(), ["DataFrame|frame"]),
    ("dict", lambda df: {"unique_id": ["a"], "ds": [1], "y": [1.0]}, ["DataFrame|frame"]),
    ("none", lambda df: None, ["DataFrame|frame|None"]),
    ("empty_frame", lambda df: df.iloc[:0], ["empty|no rows|0 rows"]),
    ("missing_id", lambda df: df.drop(columns="unique_id"), ["unique_id"]),
    ("missing_time", lambda df: df.drop(columns="ds"), [r"\bds\b"]),
    ("missing_target", lambda df: df.drop(columns="y"), [r"\by\b"]),
    ("duplicated_column_names", _dup_columns, ["duplicat", r"\by\b"]),
    ("duplicated_id_ds_rows", _dup_rows, ["duplicat", BAD]),
    ("nan_in_id", lambda df: _set(df, "unique_id", np.nan), ["unique_id"]),
    ("nan_in_ds", lambda df: _set(df, "ds", pd.NaT), [r"\bds\b"]),
    ("unparsable_ds_strings", _unparsable_ds, [r"\bds\b"]),
    ("mixed_ds_types", _mixed_ds, [r"\bds\b"]),
    ("boolean_ds", _bool_ds, [r"\bds\b"]),
    ("string_target", _string_target, [r"\by\b"]),
    ("inf_in_target", _inf_target, ["inf", BAD]),
    ("all_nan_series", _all_nan_series, [BAD]),
    ("mixed_frequencies", _mixed_freq, [f"{BAD}|daily_1"]),
]


@pytest.mark.parametrize(("make", "patterns"), [c[1:] for c in BAD_DATA], ids=[c[0] for c in BAD_DATA])
def test_bad_forecast_data(panel, make, patterns):
    data = make(panel)
    _raises(DataValidationError, patterns, lambda: _fit(data))


def _weekly():
    ds = pd.date_range("2020-01-05", periods=60, freq="W")
    return pd.DataFrame({"unique_id": np.repeat(["a", "b"], 60), "ds": np.tile(ds, 2),
                         "y": np.random.default_rng(0).normal(10, 1, 120)})


@pytest.mark.parametrize(("make", "freq"), [(lambda: _panel(), "MS"), (_weekly, "D")], ids=["MS_on_daily", "D_on_weekly"])
def test_freq_not_matching_data(make, freq):
    df = make()
    _raises((DataValidationError, ConfigError), ["freq", freq], lambda: _fit(df, freq=freq))


def test_integer_ids_in_fit_string_ids_in_future():
    df = _panel(exogenous=True)
    df["unique_id"] = df["unique_id"].map({k: i for i, k in enumerate(sorted(df["unique_id"].unique()))})
    cutoff = df["ds"].max() - pd.Timedelta(days=H)
    train, test = df[df["ds"] <= cutoff], df[df["ds"] > cutoff].drop(columns="y")
    model = _fit(train, **EXO)
    future = test.assign(unique_id=test["unique_id"].astype(str))
    try:
        fc = model.predict(X_future=future, level=[80])
    except DataValidationError as exc:
        assert "unique_id" in str(exc)
        return
    _assert_forecast(fc, train)
    assert set(fc["unique_id"].astype(str)) == set(future["unique_id"])


def test_non_numeric_exogenous_column(exo_split):
    train = exo_split[0].copy()
    train["price"] = train["price"].astype(object)
    train.loc[train.index[4], "price"] = "cheap"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model = _fit(train, **EXO)
        except DataValidationError as exc:
            assert "price" in str(exc)
            return
    named = [w for w in caught if issubclass(w.category, TsAutoMLWarning) and "price" in str(w.message)]
    assert named, f"no error and no TsAutoMLWarning naming 'price': {[str(w.message) for w in caught]}"
    fc = model.predict(X_future=exo_split[1].drop(columns="y"), level=[80])
    _assert_forecast(fc, train)


# --------------------------------------------------------------------------- X_future

def _future(test):
    return test.drop(columns="y")


BAD_FUTURE = [
    ("numpy_array", lambda t: _future(t).to_numpy(), ["X_future|DataFrame"]),
    ("missing_exogenous", lambda t: _future(t).drop(columns="price"), ["price"]),
    ("not_covering_horizon", lambda t: _future(t).groupby("unique_id").head(H - 2), ["X_future|horizon", BAD]),
    ("duplicated_rows", lambda t: pd.concat([_future(t), _future(t).head(1)], ignore_index=True),
     ["X_future", "duplicat"]),
    ("zero_rows", lambda t: _future(t).iloc[:0], ["X_future"]),
    ("nan_in_exogenous", lambda t: _future(t).assign(price=np.nan), ["price"]),
]


@pytest.mark.parametrize(("make", "patterns"), [c[1:] for c in BAD_FUTURE], ids=[c[0] for c in BAD_FUTURE])
def test_bad_x_future(exo_fitted, exo_split, make, patterns):
    future = make(exo_split[1])
    _raises(DataValidationError, patterns, lambda: exo_fitted.predict(X_future=future))


def test_x_future_extra_unknown_series(exo_fitted, exo_split):
    future = _future(exo_split[1])
    extra = future[future["unique_id"] == BAD].assign(unique_id="unknown_77")
    future = pd.concat([future, extra], ignore_index=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fc = exo_fitted.predict(X_future=future, level=[80])
        except DataValidationError as exc:
            assert "unknown_77" in str(exc)
            return
    assert any(issubclass(w.category, TsAutoMLWarning) and "unknown_77" in str(w.message) for w in caught), \
        "extra series in X_future neither warned (naming it) nor raised"
    _assert_forecast(fc, exo_split[0])


def test_predict_without_x_future_when_exogenous(exo_fitted):
    _raises(DataValidationError, ["X_future"], lambda: exo_fitted.predict())


# --------------------------------------------------------------------------- degenerate but valid data

def _with(df, series: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([df, series], ignore_index=True)


def _series(uid, values, end):
    return pd.DataFrame({"unique_id": uid, "ds": pd.date_range(end=end, periods=len(values), freq="D"),
                         "y": np.asarray(values, dtype=float)})


def _degenerate(kind):
    df = _panel()
    end = df["ds"].max()
    rng = np.random.default_rng(3)
    if kind == "constant_among_normal":
        return _with(df, _series("const", np.full(50, 4.2), end)), {"const": 4.2}
    if kind == "all_constant":
        parts = [_series(f"c{i}", np.full(40 + 5 * i, float(i + 1)), end) for i in range(3)]
        return pd.concat(parts, ignore_index=True), {f"c{i}": float(i + 1) for i in range(3)}
    if kind == "all_zero":
        return _with(df, _series("zero", np.zeros(50), end)), {"zero": 0.0}
    if kind == "short_vs_cv_windows":
        return _with(df, _series("short", rng.normal(5, 1, 12), end)), {}
    if kind == "huge_magnitude":
        return _with(df, _series("huge", 1e15 * (1 + 0.1 * rng.normal(size=50)), end)), {}
    if kind == "tiny_magnitude":
        return _with(df, _series("tiny", 1e-9 * (1 + 0.1 * rng.normal(size=50)), end)), {}
    if kind == "intermittent":
        values = np.where(rng.random(60) < 0.85, 0.0, rng.integers(1, 5, 60)).astype(float)
        return _with(df, _series("inter", values, end)), {}
    raise AssertionError(kind)


NOTED = {  # what series_notes() must say about each case
    "constant_among_normal": {("const", "constant")},
    "all_constant": {("c0", "constant"), ("c1", "constant"), ("c2", "constant")},
    "all_zero": {("zero", "all zero")},
    "short_vs_cv_windows": {("short", "fewer validation windows")},
    "huge_magnitude": {("huge", "extreme magnitude")},
    "tiny_magnitude": {("tiny", "extreme magnitude")},
    "intermittent": {("inter", "intermittent")},
}
DEGENERATE = ["constant_among_normal", "all_constant", "all_zero", "short_vs_cv_windows",
              "huge_magnitude", "tiny_magnitude", "intermittent"]


@pytest.mark.parametrize("group_by", [None, ["unique_id"]], ids=["global", "per_series"])
@pytest.mark.parametrize("kind", DEGENERATE)
def test_degenerate_data_is_forecast(kind, group_by):
    df, constants = _degenerate(kind)
    extra = {"cv": CVConfig(n_windows=5)} if kind == "short_vs_cv_windows" else {}
    model = _fit(df, group_by=group_by, **extra)
    fc = model.predict(level=[80])
    _assert_forecast(fc, df)
    for uid, value in constants.items():
        got = fc.loc[fc["unique_id"] == uid, "forecast"].to_numpy()
        np.testing.assert_allclose(got, value, rtol=1e-6, atol=1e-9, err_msg=f"constant series {uid}")
    noted = {(row.unique_id, row.note) for row in model.series_notes().itertuples()}
    assert NOTED[kind] <= noted, f"{kind}: series_notes() has {sorted(noted)}"
    if kind == "huge_magnitude":
        got = fc.loc[fc["unique_id"] == "huge", "forecast"].abs()
        assert ((got > 1e14) & (got < 1e16)).all()
    if kind == "tiny_magnitude":
        assert (fc.loc[fc["unique_id"] == "tiny", "forecast"].abs() < 1e-7).all()


# --------------------------------------------------------------------------- time zones

def _tz_panel(tz, freq, exogenous=False):
    rng = np.random.default_rng(0)
    n = 60
    ds = pd.date_range(end="2024-03-28" if freq == "D" else "2024-03-30 20:00", periods=n, freq=freq, tz=tz)
    parts = []
    for uid in ("a", "b"):
        part = pd.DataFrame({"unique_id": uid, "ds": ds, "y": 10 + np.sin(np.arange(n)) + rng.normal(0, 0.1, n)})
        if exogenous:
            part["price"] = rng.normal(2, 0.3, n)
            part["y"] += part["price"]
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


@pytest.mark.parametrize(("tz", "freq"), [("Europe/Berlin", "D"), ("UTC", "h")], ids=["berlin_daily", "utc_hourly"])
def test_timezone_aware_ds(tz, freq):
    df = _tz_panel(tz, freq)
    fc = _fit(df).predict(level=[80])
    _assert_forecast(fc, df)
    assert str(fc["ds"].dt.tz) == tz
    expected = pd.date_range(df["ds"].max(), periods=H + 1, freq=freq, tz=tz)[1:]
    got = fc.loc[fc["unique_id"] == "a", "ds"].sort_values()
    assert list(got) == list(expected)


def test_timezone_aware_x_future():
    df = _tz_panel("Europe/Berlin", "D", exogenous=True)
    cutoff = df["ds"].max() - pd.Timedelta(days=H)
    train, test = df[df["ds"] <= cutoff], df[df["ds"] > cutoff]
    fc = _fit(train, **EXO).predict(X_future=test.drop(columns="y"), level=[80])
    _assert_forecast(fc, train)
    assert str(fc["ds"].dt.tz) == "Europe/Berlin"
    assert set(fc["ds"]) == set(test["ds"])


# --------------------------------------------------------------------------- tables

def _list_cells(X, y):
    X = X.copy()
    X["feat_list"] = [[1, 2]] * len(X)
    return X, y


def _dict_cells(X, y):
    X = X.copy()
    X["feat_dict"] = [{"k": 1}] * len(X)
    return X, y


BAD_TABLES = [
    ("y_length_differs", lambda X, y: (X, y.iloc[:-5]), [r"\by\b|length|rows", r"55|60"]),
    ("y_all_nan", lambda X, y: (X, pd.Series(np.nan, index=y.index)), [r"\by\b|target"]),
    ("single_class", lambda X, y: (X, pd.Series("yes", index=y.index)), ["class"]),
    ("continuous_target_classification", lambda X, y: (X, pd.Series(X["a"] * 3.1 + 0.01)), [r"\by\b|target"]),
    ("list_cells", _list_cells, ["feat_list"]),
    ("dict_cells", _dict_cells, ["feat_dict"]),
    ("empty_table", lambda X, y: (X.iloc[:0], y.iloc[:0]), ["empty|no rows|0 rows|one row"]),
]




@pytest.mark.parametrize(("make", "patterns"), [pytest.param(*c[1:], id=c[0]) for c in BAD_TABLES])
def test_bad_table_data(make, patterns):
    X, y = make(*_table())
    model = AutoML("classification", **TABLE_FAST)
    _raises(DataValidationError, patterns, lambda: model.fit(X, y))


def test_target_column_missing():
    X, y = _table()
    df = X.assign(label=y)
    _raises(DataValidationError, ["nope"], lambda: AutoML("classification", **TABLE_FAST).fit(df, target="nope"))


def test_regression_string_target():
    X, _ = _table()
    y = pd.Series(["a", "b", "c"] * 20)
    _raises(DataValidationError, [r"\by\b|target"], lambda: AutoML("regression", **{**TABLE_FAST, "allowed_models": None}).fit(X, y))


def test_rare_class_with_five_folds():
    X, y = _table()
    y = y.copy()
    y.iloc[:3] = "rare"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model = AutoML("classification", **TABLE_FAST, cv=TabularCV(n_folds=5)).fit(X, y)
        except TsAutoMLError as exc:
            assert re.search("rare|class|fold", str(exc), re.I), str(exc)
            return
    named = [w for w in caught if issubclass(w.category, TsAutoMLWarning) and "rare" in str(w.message)]
    assert named, f"3 rows of a class with 5 folds: no TsAutoMLWarning naming it; got {[str(w.message) for w in caught]}"
    assert len(model.predict(X)) == len(X)


def test_table_predict_zero_rows(table_fitted):
    X, _ = _table()
    labels = table_fitted.predict(X.iloc[:0])
    assert labels.shape == (0,) and labels.dtype == table_fitted.predict(X.iloc[:3]).dtype
    assert table_fitted.predict_proba(X.iloc[:0]).shape == (0, 2)


def test_table_predict_missing_columns(table_fitted):
    X, _ = _table()
    _raises(DataValidationError, ["b", "c"], lambda: table_fitted.predict(X.drop(columns=["b", "c"])))


def test_table_list_of_lists():
    X, y = _table()
    rows = X.to_numpy().tolist()
    try:
        model = AutoML("classification", **TABLE_FAST).fit(rows, y.tolist())
    except TsAutoMLError as exc:
        assert re.search("list|DataFrame|array", str(exc), re.I), str(exc)
        return
    out = model.predict(rows)
    assert len(out) == len(rows) and set(out) <= {"yes", "no"}


def test_table_predict_with_forecast_arguments(table_fitted):
    X, _ = _table()
    _raises(ConfigError, ["level|quantiles"], lambda: table_fitted.predict(X, level=[80]))


# --------------------------------------------------------------------------- save / load

def test_save_refuses_overwrite(fitted, tmp_path):
    folder = tmp_path / "m1"
    fitted.save(folder)
    _raises(TsAutoMLError, ["m1", "overwrite"], lambda: fitted.save(folder))
    fitted.save(folder, overwrite=True)
    pd.testing.assert_frame_equal(tsautoml.load(folder).predict(), fitted.predict())


def test_manifest_records_sha256(fitted, tmp_path):
    folder = fitted.save(tmp_path / "m")
    manifest = json.loads((Path(folder) / "manifest.json").read_text())
    assert manifest["sha256"] == hashlib.sha256((Path(folder) / "model.pkl").read_bytes()).hexdigest()


def _tamper(folder: Path):
    data = bytearray((folder / "model.pkl").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (folder / "model.pkl").write_bytes(bytes(data))
    return "model.pkl"


def _corrupt_manifest(folder: Path):
    (folder / "manifest.json").write_text("{not json")
    return "manifest.json"


def _list_manifest(folder: Path):
    (folder / "manifest.json").write_text("[1, 2, 3]")
    return "manifest.json"


def _drop_pickle(folder: Path):
    (folder / "model.pkl").unlink()
    return "model.pkl"


def _drop_folder(folder: Path):
    for f in folder.iterdir():
        f.unlink()
    folder.rmdir()
    return folder.name


BAD_SAVED = [("tampered_pickle", _tamper), ("corrupt_manifest", _corrupt_manifest),
             ("manifest_is_list", _list_manifest), ("missing_pickle", _drop_pickle), ("missing_folder", _drop_folder)]


@pytest.mark.parametrize("damage", [c[1] for c in BAD_SAVED], ids=[c[0] for c in BAD_SAVED])
def test_load_refuses_damaged_model(fitted, tmp_path, damage):
    folder = Path(fitted.save(tmp_path / "saved"))
    named = damage(folder)
    _raises(TsAutoMLError, [re.escape(named)], lambda: tsautoml.load(folder))


def test_save_into_a_file_path(fitted, tmp_path):
    target = tmp_path / "afile"
    target.write_text("x")
    _raises(TsAutoMLError, ["afile"], lambda: fitted.save(target))


def test_save_before_fit(tmp_path):
    with pytest.raises(NotFittedError):
        AutoML(horizon=H).save(tmp_path / "never")
    assert not (tmp_path / "never").exists()


# --------------------------------------------------------------------------- tsautoml.check

def test_check_good_data_is_empty(panel):
    out = check(panel, horizon=H)
    assert list(out.columns) == ["severity", "what", "where", "fix"]
    assert out.empty, out.to_dict("records")


def test_check_horizon_zero(panel):
    out = check(panel, horizon=0)
    errors = out[out["severity"] == "error"]
    assert errors["what"].str.contains("horizon").any()


def test_check_lists_several_problems(panel):
    out = check(panel, horizon=0, season_length=7.5)
    errors = out[out["severity"] == "error"]
    assert len(errors) >= 2
    text = " ".join(errors["what"])
    assert "horizon" in text and "season_length" in text


def test_check_bad_data_rows(panel):
    out = check(_dup_rows(panel), horizon=H)
    errors = out[out["severity"] == "error"]
    assert len(errors) >= 1
    assert errors.apply(lambda r: BAD in f"{r['what']} {r['where']}", axis=1).any(), errors.to_dict("records")


def test_check_unknown_holidays(panel):
    out = check(panel, horizon=H, holidays="XX")
    errors = out[out["severity"] == "error"]
    assert errors["what"].str.contains("holidays").any(), out.to_dict("records")


# --------------------------------------------------------------------------- CLI

def _csv(tmp_path, kind):
    path = tmp_path / "data.csv"
    df = _panel()
    if kind == "empty":
        path.write_text("")
    elif kind == "good":
        df.to_csv(path, index=False)
    elif kind == "bad_dates":
        df["ds"] = df["ds"].dt.strftime("%Y-%m-%d")
        df.loc[df.index[3], "ds"] = "not a date"
        df.to_csv(path, index=False)
    return path


CLI = [
    ("missing_file", "none", ["fit", "{tmp}/nope.csv", "{tmp}/m", "--horizon", "7"], ["nope.csv"]),
    ("empty_csv", "empty", ["fit", "{csv}", "{tmp}/m", "--horizon", "7"], ["data.csv|empty"]),
    ("wrong_time_column", "good", ["fit", "{csv}", "{tmp}/m", "--horizon", "7", "--time-col", "date"], ["date"]),
    ("unparsable_dates", "bad_dates", ["fit", "{csv}", "{tmp}/m", "--horizon", "7"], [r"\bds\b|date"]),
    ("unknown_holidays", "good", ["fit", "{csv}", "{tmp}/m", "--horizon", "7", "--holidays", "XX"], ["holidays", "XX"]),
    ("horizon_zero", "good", ["fit", "{csv}", "{tmp}/m", "--horizon", "0"], ["horizon"]),
    ("horizon_missing", "good", ["fit", "{csv}", "{tmp}/m"], ["horizon"]),
    ("predict_missing_model", "none", ["predict", "{tmp}/nomodel", "{tmp}/out.csv"], ["nomodel"]),
]


@pytest.mark.parametrize(("kind", "argv", "patterns"), [c[1:] for c in CLI], ids=[c[0] for c in CLI])
def test_cli_user_mistake(tmp_path, kind, argv, patterns):
    csv = _csv(tmp_path, kind)
    argv = [a.format(tmp=tmp_path, csv=csv) for a in argv] + (["--n-jobs", "1", "--budget", "5"] if argv[0] == "fit" else [])
    proc = subprocess.run([sys.executable, "-m", "tsautoml", *argv], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, f"exit {proc.returncode}; stderr: {proc.stderr[-800:]}"
    assert "Traceback" not in proc.stderr, proc.stderr[-800:]
    lines = [ln for ln in proc.stderr.strip().splitlines() if ln.lower().startswith("error")]
    assert len(lines) == 1, proc.stderr
    for pattern in patterns:
        assert re.search(pattern, lines[0], re.IGNORECASE), lines[0]
