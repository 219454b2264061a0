"""The many-models search: one budget across groups, cheap models first, halving, fallbacks, memory, resume."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tsautoml import AutoML, ColumnSpec, CVConfig, ScaleOut
from tsautoml.backends.local import LocalBackend
from tsautoml.config import Budget
from tsautoml.data.grouped import Panel
from tsautoml.engine import search as engine
from tsautoml.engine.chunk import SearchSpec, TrialScores
from tsautoml.engine.groups import GroupLayout
from tsautoml.engine.report import HURRIED_NOTE
from tsautoml.engine.runlog import read_jsonl
from tsautoml.exceptions import ConfigError
from tsautoml.models.registry import FORECAST_LEARNERS
from tsautoml.models.spec import ForecastContext
from tsautoml.search import tasks
from tsautoml.search.space import forecast_spaces
from tsautoml.search.trial import Trial
from tsautoml.testing import make_panel

MODELS = ["Naive", "SeasonalNaive", "HistoricAverage", "AutoTheta", "AutoETS", "Ridge", "AutoARIMA"]
COLUMNS = ColumnSpec(id_cols=("store", "unique_id"))
SCALE_OUT = ("backend", "dask_address", "max_memory", "run_dir", "resume")
TIMES = ["seconds", "fit_time"]  # leaderboard columns that differ from run to run


def stores(n_stores: int = 6, per_store: int = 3, seed: int = 0) -> pd.DataFrame:
    """Stores of daily series; half of them trend, so dearer models pay there."""
    frames = []
    for k in range(n_stores):
        df = make_panel(per_store, min_length=56, max_length=70, nan_fraction=0.0, seed=seed + k)
        if k % 2:
            df["y"] += 0.8 * df.groupby("unique_id").cumcount()
        frames.append(df.assign(store=f"s{k}"))
    return pd.concat(frames, ignore_index=True)


def fit(df: pd.DataFrame, **kwargs) -> AutoML:
    """Fit the stores; the scale-out keywords go into a ScaleOut."""
    scale = {k: kwargs.pop(k) for k in SCALE_OUT if k in kwargs}
    settings = {"task": "forecasting", "horizon": 7, "columns": COLUMNS, "group_by": ["store"], "max_trials": 30,
                "allowed_models": MODELS, "n_jobs": 1, "progress": False, "scale": ScaleOut(**scale), **kwargs}
    return AutoML(**settings).fit(df)


def test_groups_climb_cheap_models_first_and_arima_only_where_dearer_models_paid() -> None:
    model = fit(stores())
    trials = model.group_leaderboard()
    rung = dict(zip(model.leaderboard()["model"], model.leaderboard()["rung"], strict=False))
    assert rung["Naive"] == "cheap" and rung["AutoETS"] == "ets" and rung["AutoARIMA"] == "arima"
    ran = trials.groupby("model")["store"].nunique()
    assert ran["Naive"] == ran["AutoTheta"] == ran["AutoETS"] == 6  # every group, before any halving
    cheap = trials[trials["model"].isin(["Naive", "SeasonalNaive", "HistoricAverage", "AutoTheta"])]
    best_cheap = cheap.groupby("store")["mase"].min()
    best_standard = trials[trials["model"].isin(["AutoETS", "Ridge"])].groupby("store")["mase"].min()
    paid = set(best_standard.index[best_standard < best_cheap])
    arima = set(trials.loc[trials["model"] == "AutoARIMA", "store"])
    assert arima and arima <= paid and len(arima) <= math.ceil(0.5 * 6)
    fc = model.predict(level=[80])
    assert len(fc) == 18 * 7 and fc["forecast"].notna().all() and (fc["forecast-lo-80"] <= fc["forecast"]).all()
    choices = model.group_choices()
    assert len(choices) == 6 and (choices["note"] == "").all() and choices["mase"].notna().all()


def test_one_time_budget_across_groups_returns_in_time_and_lists_groups_never_started(monkeypatch) -> None:
    df = make_panel(3000, min_length=30, max_length=40, nan_fraction=0.0, seed=3)
    budget = 3.0
    monkeypatch.setattr(engine, "SEARCH_SHARE", 0.0)  # the search's share is spent before the first chunk starts
    tic = time.monotonic()
    with pytest.warns(UserWarning, match="3000 of 3000 groups were never started"):
        model = AutoML(task="forecasting", horizon=6, group_by=["unique_id"], time_budget=budget, n_jobs=1,
                       progress=False, allowed_models=["Naive", "HistoricAverage", "AutoTheta", "AutoETS"]).fit(df)
    assert time.monotonic() - tic < budget + 1.0
    unstarted = model.unstarted_groups()
    assert len(unstarted) == 3000 and (unstarted["model"] == "Naive#0 (no cheap model finished on any group)").all()
    assert model.model_.report.stop_reason == "time budget reached before rung 'cheap'"
    fc = model.predict()
    assert fc["forecast"].notna().all() and fc["unique_id"].nunique() == 3000
    choices = model.group_choices()
    assert (choices["models"] == "Naive").all() and choices["note"].str.contains("before the group started").all()


def test_the_budget_is_spent_on_cheap_models_everywhere_before_dearer_ones() -> None:
    df = make_panel(2000, min_length=30, max_length=40, nan_fraction=0.0, seed=3)
    budget = 6.0
    tic = time.monotonic()
    model = AutoML(task="forecasting", horizon=6, group_by=["unique_id"], time_budget=budget, n_jobs=1,
                   progress=False, allowed_models=["Naive", "HistoricAverage", "AutoETS", "AutoARIMA"]).fit(df)
    assert time.monotonic() - tic < budget * 1.2 + 1.0
    trials = model.group_leaderboard()
    ran = trials[trials["status"] != "skipped"].groupby("model")["unique_id"].nunique()
    assert ran["Naive"] == ran["HistoricAverage"] == 2000  # the cheap rung reached every group
    assert ran.get("AutoARIMA", 0) <= math.ceil(0.5 * ran.get("AutoETS", 0))  # halving after the ETS rung
    assert model.predict()["forecast"].notna().all()


def test_memory_planner_chunks_a_small_max_memory_and_the_forecasts_do_not_change(monkeypatch) -> None:
    monkeypatch.setattr(engine, "_process_memory", lambda: 300_000_000)  # the driver's own memory, fixed
    df = stores(n_stores=200)
    settings = {"allowed_models": ["Naive", "HistoricAverage"], "max_trials": 2}
    free = fit(df, **settings)
    roomy = free.memory_plan()
    tight = roomy.base_bytes + int(0.6 * roomy.chunk_bytes.min())  # no chunk of the roomy plan fits
    with pytest.warns(UserWarning, match="Memory plan: .*chunks"):
        small = fit(df, max_memory=tight, **settings)
    plan = small.memory_plan()
    assert len(plan.chunks) > len(roomy.chunks) and plan.estimate <= tight and plan.chunk_bytes.max() < roomy.chunk_bytes.min()
    assert any("chunks" in change for change in plan.changes)
    pd.testing.assert_frame_equal(small.predict(), free.predict())


def test_a_group_too_big_for_memory_is_searched_on_a_subsample_and_refitted_on_all(monkeypatch) -> None:
    monkeypatch.setattr(engine, "_process_memory", lambda: 300_000_000)
    df = make_panel(300, min_length=200, max_length=200, nan_fraction=0.0, seed=5).assign(store="big")
    settings = {"allowed_models": ["Naive", "Ridge"], "max_trials": 2}
    roomy = fit(df, **settings).memory_plan()
    tight = roomy.base_bytes + int(0.5 * roomy.chunk_bytes.max())
    with pytest.warns(UserWarning, match="Memory plan: .*series"):
        model = fit(df, max_memory=tight, **settings)
    plan = model.memory_plan()
    searched = plan.search_series[0]
    assert 0 < searched.size < 300 and plan.changes
    assert model.leaderboard()["note"].str.contains("memory plan").all()
    ridge = [c for c in model.model_.fitted_.components if c.trial.learner == "Ridge"]
    assert all(c.series.size == 300 for c in ridge)  # the refit uses every series
    assert model.predict()["forecast"].notna().all()


def test_a_killed_run_resumes_to_the_uninterrupted_result(tmp_path: Path) -> None:
    df = stores()
    data = tmp_path / "data.pkl"
    df.to_pickle(data)
    run_dir = tmp_path / "run"
    script = textwrap.dedent(f"""
        import pandas as pd
        from tsautoml import AutoML, ColumnSpec, ScaleOut
        df = pd.read_pickle({str(data)!r})
        AutoML(task="forecasting", horizon=7, columns=ColumnSpec(id_cols=("store", "unique_id")), group_by=["store"],
               max_trials=30, allowed_models={MODELS!r}, n_jobs=1, progress=False,
               scale=ScaleOut(run_dir={str(run_dir)!r})).fit(df)
    """)
    child = subprocess.Popen([sys.executable, "-c", script])
    jobs = run_dir / "jobs"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and child.poll() is None:
        if jobs.exists() and len(list(jobs.glob("r1-*.pkl"))) >= 1:  # killed during the second rung
            break
        time.sleep(0.05)
    assert child.poll() is None, "the run finished before it could be killed"
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    done_before = {p.name for p in jobs.glob("*.pkl")}
    assert done_before and not any(n.startswith("refit") for n in done_before)

    resumed = fit(df, run_dir=run_dir, resume=True)
    uninterrupted = fit(df)
    pd.testing.assert_frame_equal(resumed.predict(level=[90]), uninterrupted.predict(level=[90]))
    pd.testing.assert_frame_equal(resumed.group_choices(), uninterrupted.group_choices())
    lines = read_jsonl(run_dir / "trials.jsonl")
    logged = {(line["group"], line["trial"]) for line in lines}
    assert len(logged) == len(uninterrupted.group_leaderboard())
    assert len(read_jsonl(run_dir / "groups.jsonl")) == 6
    assert (run_dir / "leaderboard.csv").exists()


def test_run_dir_refuses_a_different_run_and_an_accidental_overwrite(tmp_path: Path) -> None:
    df = stores(n_stores=2)
    fit(df, run_dir=tmp_path, allowed_models=["Naive", "HistoricAverage"], max_trials=2)
    with pytest.raises(ConfigError, match="already holds a run; pass resume=True"):
        fit(df, run_dir=tmp_path, allowed_models=["Naive", "HistoricAverage"], max_trials=2)
    with pytest.raises(ConfigError, match="max_trials"):
        fit(df, run_dir=tmp_path, resume=True, allowed_models=["Naive", "HistoricAverage"], max_trials=1)
    with pytest.raises(ConfigError, match="pass run_dir"):
        AutoML(task="forecasting", horizon=3, max_trials=2, scale=ScaleOut(resume=True))
    with pytest.raises(ConfigError, match="max_memory='lots'"):
        AutoML(task="forecasting", horizon=3, max_trials=2, scale=ScaleOut(max_memory="lots")).fit(df)


def test_the_one_search_over_all_series_resumes_from_its_trial_log(tmp_path: Path) -> None:
    df = stores(n_stores=2)
    settings = {"task": "forecasting", "horizon": 7, "columns": COLUMNS, "allowed_models": MODELS[:-1],
                "n_jobs": 1, "progress": False}
    full = AutoML(**settings, max_trials=8, scale=ScaleOut(run_dir=tmp_path)).fit(df)
    later = sorted((tmp_path / "jobs").glob("r[2-9]-*.pkl"))
    assert later
    for job in later:  # as if killed after the first two rungs
        job.unlink()
    resumed = AutoML(**settings, max_trials=8, scale=ScaleOut(run_dir=tmp_path, resume=True)).fit(df)
    pd.testing.assert_frame_equal(resumed.predict(), full.predict())
    pd.testing.assert_frame_equal(resumed.leaderboard().drop(columns=TIMES), full.leaderboard().drop(columns=TIMES))


def test_one_series_groups_leave_out_the_global_models_that_learn_across_series() -> None:
    df = make_panel(6, min_length=50, max_length=60, nan_fraction=0.0, seed=2)
    model = AutoML(task="forecasting", horizon=7, group_by=["unique_id"], max_trials=4, n_jobs=1, progress=False,
                   allowed_models=["Naive", "HistoricAverage", "Ridge"]).fit(df)
    board = model.leaderboard()
    assert set(board.loc[board["rung"] != "selection", "model"]) == {"Naive", "HistoricAverage"}
    only_global = AutoML(task="forecasting", horizon=7, group_by=["unique_id"], max_trials=2, n_jobs=1, progress=False,
                         allowed_models=["Ridge"]).fit(df)
    board = only_global.leaderboard()
    assert set(board.loc[board["rung"] != "selection", "model"]) == {"Ridge"}  # asked for alone, it still runs


def test_no_group_by_is_one_group_of_every_series_with_the_same_board_and_forecasts() -> None:
    df = stores(n_stores=3).assign(chain="all")
    columns = ColumnSpec(id_cols=("chain", "store", "unique_id"))
    settings = {"columns": columns, "allowed_models": MODELS, "max_trials": 12, "seed": 4}
    panel = fit(df, group_by=None, **settings)
    one_group = fit(df, group_by=["chain"], **settings)
    assert panel.leaderboard().columns.tolist() == one_group.leaderboard().columns.tolist()
    assert "groups_served" not in panel.leaderboard()  # group counts only with several groups
    pd.testing.assert_frame_equal(panel.leaderboard().drop(columns=TIMES), one_group.leaderboard().drop(columns=TIMES))
    pd.testing.assert_frame_equal(panel.predict(level=[80]), one_group.predict(level=[80]))
    assert panel.model_.report.selection == one_group.model_.report.selection
    several = fit(df, group_by=["store"], **settings).leaderboard()
    assert {"groups", "ok", "failed", "groups_served"} <= set(several.columns)


def test_the_old_scale_out_keywords_still_work_for_one_release(tmp_path: Path) -> None:
    with pytest.warns(DeprecationWarning, match=r"pass scale=ScaleOut\(run_dir=\.\.\.\)"):
        model = AutoML(task="forecasting", horizon=7, run_dir=tmp_path)
    assert model.scale == ScaleOut(run_dir=tmp_path)
    with pytest.raises(ConfigError, match="not both"):
        AutoML(task="forecasting", horizon=7, run_dir=tmp_path, scale=ScaleOut())
    with pytest.raises(TypeError, match="unexpected keyword arguments \\['n_trials'\\]"):
        AutoML(task="forecasting", horizon=7, n_trials=3)


def test_a_local_trial_on_one_big_group_is_split_across_workers_with_the_same_result(tmp_path: Path) -> None:
    df = make_panel(120, min_length=40, max_length=60, nan_fraction=0.0, seed=7)
    settings = {"task": "forecasting", "horizon": 7, "allowed_models": ["Naive", "HistoricAverage", "AutoTheta"],
                "max_trials": 3, "progress": False}
    one = AutoML(**settings, n_jobs=1).fit(df)
    split = AutoML(**settings, n_jobs=2, scale=ScaleOut(run_dir=tmp_path)).fit(df)
    shards = {(line["trial"], line["shard"]) for line in read_jsonl(tmp_path / "trials.jsonl")}
    assert {shard for _, shard in shards} == {"0/2", "1/2"} and len(shards) == 6  # each trial on half the series twice
    pd.testing.assert_frame_equal(split.leaderboard().drop(columns=TIMES), one.leaderboard().drop(columns=TIMES))
    pd.testing.assert_frame_equal(split.predict(), one.predict())


def test_the_leaderboard_says_where_a_learner_fitted_only_the_recent_history() -> None:
    short = make_panel(2, min_length=60, max_length=80, nan_fraction=0.0, seed=5)
    long = make_panel(1, min_length=260, max_length=260, nan_fraction=0.0, seed=6).assign(unique_id="long")
    model = AutoML(task="forecasting", horizon=7, season_length=7, max_trials=3, n_jobs=1, progress=False,
                   allowed_models=["Naive", "AutoTheta", "AutoCES"]).fit(pd.concat([short, long], ignore_index=True))
    notes = model.leaderboard().set_index("model")["note"]
    assert notes["AutoTheta"] == ("fitted on the last 200 points of the 1 of 3 series that are longer; "
                                  "fitted on the first validation window; its models carried over the other 2")
    assert notes["AutoCES"] == "" and notes["Naive"] == ""


def test_the_leaderboard_says_which_learners_carry_their_first_window_forward() -> None:
    frame = make_panel(3, min_length=60, max_length=80, nan_fraction=0.0, seed=5)
    notes = {}
    for carry in (True, False):
        model = AutoML(task="forecasting", horizon=7, season_length=7, max_trials=3, n_jobs=1, progress=False,
                       cv=CVConfig(n_windows=2, carry_forward=carry), allowed_models=["AutoETS", "AutoTheta"]).fit(frame)
        notes[carry] = model.leaderboard().set_index("model")["note"]
    assert notes[True]["AutoTheta"] == "fitted on the first validation window; its models carried over the other 1"
    assert notes[True]["AutoETS"] == notes[False]["AutoETS"] == notes[False]["AutoTheta"] == ""



def test_the_leaderboard_says_which_trials_the_time_left_made_carry_their_first_window(monkeypatch) -> None:
    monkeypatch.setattr(tasks, "HURRY_SHARE", 0.0)  # no time left pays for refitting the later windows
    frame = make_panel(3, min_length=60, max_length=80, nan_fraction=0.0, seed=5)
    model = AutoML(task="forecasting", horizon=7, season_length=7, time_budget=60, n_jobs=1, progress=False,
                   allowed_models=["Naive", "AutoETS"]).fit(frame)
    board = model.leaderboard().set_index("model")
    assert HURRIED_NOTE in board.loc["AutoETS", "note"] and board.loc["AutoETS", "status"] == "ok"
    assert HURRIED_NOTE not in board.loc["Naive", "note"]


def test_short_of_time_a_fixed_rung_still_runs_on_its_first_group_and_a_tuned_rung_ends_the_search() -> None:
    panel = Panel.from_frame(make_panel(4, min_length=40, max_length=40, nan_fraction=0.0, seed=1))
    layout = GroupLayout.from_panel(panel, ["unique_id"])
    ctx = ForecastContext(season_length=7, horizon=7, has_dates=True, nonnegative=True, intermittent=False,
                          has_exogenous=False)
    spec = SearchSpec(horizon=7, n_windows=2, step=None, metric="mase", learners=FORECAST_LEARNERS)
    search = engine.ForecastSearch(spec, forecast_spaces(ctx), layout, LocalBackend(1), budget=Budget(time_s=60.0))
    search.deadline, search._series_per_group = time.time() + 10.0, np.ones(layout.n_groups)
    search._rung_seconds, search._units = {0: 1e3}, {0: 1.0}  # 1000 s per unit of work: no group is affordable
    groups, rung = np.arange(layout.n_groups), search.rungs[1]
    assert search._affordable(rung, groups, fixed=True).tolist() == [0]
    assert search._affordable(rung, groups, fixed=False).size == 0
    search._rung_seconds = {0: 1e-9}  # fast enough for every group
    assert search._affordable(rung, groups, fixed=False).tolist() == groups.tolist()


def test_the_refit_reserve_splits_a_local_member_across_the_workers_but_not_a_global_one() -> None:
    panel = Panel.from_frame(make_panel(4, min_length=40, max_length=40, nan_fraction=0.0, seed=1))
    ctx = ForecastContext(season_length=7, horizon=7, has_dates=True, nonnegative=True, intermittent=False,
                          has_exogenous=False)
    spec = SearchSpec(horizon=7, n_windows=2, step=None, metric="mase", learners=FORECAST_LEARNERS)
    search = engine.ForecastSearch(spec, forecast_spaces(ctx), GroupLayout.from_panel(panel, None), LocalBackend(2),
                                   budget=Budget(time_s=1000.0))
    search.end, search.oof, search.chunks = 2000.0, [{}], []

    def reserve(learner: str) -> float:
        one = TrialScores(Trial(0, learner), np.array([0]), ["ok"], np.zeros((1, 2)), np.zeros(1), [""],
                          duration=250.0, fit_time=240.0, fit_seconds=200.0)
        search.scores = [[one]]  # one chunk, two workers: a local refit is split in two
        search._move_deadline(start=1000.0)
        return search.end - search.deadline

    assert reserve("AutoETS") == pytest.approx(engine.REFIT_SAFETY * 200.0 / 2)
    assert reserve("LightGBM") == pytest.approx(engine.REFIT_SAFETY * 200.0)
