"""ForecastTask: rolling-origin scoring of trials, without leakage."""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from tsautoml.data.grouped import GroupedArray, Panel
from tsautoml.models.registry import FORECAST_LEARNERS
from tsautoml.search import tasks
from tsautoml.search.splitters import RollingOriginSplitter
from tsautoml.search.tasks import ForecastTask
from tsautoml.search.trial import Trial
from tsautoml.testing import make_panel

TRIALS = [
    Trial(0, "SeasonalNaive"),
    Trial(1, "AutoETS"),
    Trial(4, "AutoTheta"),  # carried forward over the later windows
    Trial(2, "Ridge", {"lags": "short", "strategy": "recursive", "target_transform": "scale"}),
    Trial(3, "LightGBM", {"lags": "seasonal", "strategy": "direct", "n_estimators": 30}),
]


def _task(panel: Panel, horizon: int = 5, n_windows: int = 2, carry_forward: bool = True) -> ForecastTask:
    folds = RollingOriginSplitter(n_windows=n_windows, horizon=horizon).split(panel.indptr)
    context = {"season_length": 7, "horizon": horizon, "seed": 0}
    return ForecastTask(panel, horizon, folds, "mase", FORECAST_LEARNERS, context, carry_forward)


@pytest.mark.parametrize("trial", TRIALS, ids=[t.learner for t in TRIALS])
def test_changing_data_after_a_cutoff_changes_nothing_scored_at_it(trial: Trial) -> None:
    panel = Panel.from_frame(make_panel(4, min_length=60, max_length=80, nan_fraction=0.0, exogenous=True))
    task = _task(panel)
    before = task.evaluate(trial, None)
    assert before.status == "ok", before.error
    first = task.folds[0]
    after_cutoff = np.zeros(len(panel.target), dtype=bool)
    for i, cutoff in zip(first.series, first.cutoff_index, strict=True):
        after_cutoff[cutoff + 1 : panel.indptr[i + 1]] = True
    future_changed = panel.target.values.copy()
    future_changed[after_cutoff] *= 3.0
    exog = {"price": np.where(after_cutoff, 0.0, panel.exog["price"])}  # exogenous kept where known
    exog["price"][first.test_index] = panel.exog["price"][first.test_index]
    altered = replace(panel, target=GroupedArray(future_changed, panel.indptr), exog=exog)
    changed = _task(altered).evaluate(trial, None)
    n0 = len(first.test_index)
    np.testing.assert_array_equal(changed.oof[:n0], before.oof[:n0])


def test_window_scores_use_the_primary_metric() -> None:
    panel = Panel.from_frame(make_panel(3, min_length=60, max_length=60, nan_fraction=0.0))
    task = _task(panel)
    result = task.evaluate(Trial(0, "Naive"), None)
    assert len(result.window_scores) == 2 and result.score == pytest.approx(np.mean(result.window_scores))
    fold = task.folds[1]
    y = panel.target.values
    expected = task.scorer.score(y[fold.test_index], result.oof[len(task.folds[0].test_index):], fold.test_indptr,
                                 y_train=y[fold.train_index], train_indptr=fold.train_indptr, season_length=7)
    assert result.window_scores[1] == pytest.approx(expected)


def test_a_trial_past_its_deadline_is_recorded_as_timed_out() -> None:
    panel = Panel.from_frame(make_panel(40, min_length=60, max_length=60, nan_fraction=0.0))
    result = _task(panel).evaluate(Trial(0, "AutoETS"), time_left=-1.0)
    assert result.status == "timeout" and "deadline" in result.error


def test_a_trial_too_slow_for_its_fold_share_stops_early() -> None:
    panel = Panel.from_frame(make_panel(600, min_length=120, max_length=120, nan_fraction=0.0))
    warm = Panel.from_frame(make_panel(1, min_length=40, max_length=40, nan_fraction=0.0))
    _task(warm).evaluate(Trial(0, "AutoETS"), None)  # compile statsforecast's numba code first
    tic = time.monotonic()
    result = _task(panel).evaluate(Trial(0, "AutoETS"), time_left=2.0)
    assert result.status == "timeout" and "would need" in result.error
    assert time.monotonic() - tic < 2.0 / 2  # gave up within the first fold's share


def test_a_forward_learner_is_fitted_on_the_first_window_and_carried_over_the_others() -> None:
    short = make_panel(1, min_length=12, max_length=12, nan_fraction=0.0, seed=2).assign(unique_id="short")
    frame = pd.concat([make_panel(5, min_length=40, max_length=90, nan_fraction=0.0, seed=3), short])
    panel = Panel.from_frame(frame)
    task = _task(panel, n_windows=3)
    assert task.folds[0].series.size < panel.n_series  # the short series join in the later windows
    carried = task.evaluate(Trial(0, "AutoTheta"), None)
    refitted = _task(panel, n_windows=3, carry_forward=False).evaluate(Trial(0, "AutoTheta"), None)
    assert carried.status == refitted.status == "ok"
    first = len(task.folds[0].test_index)
    np.testing.assert_array_equal(carried.oof[:first], refitted.oof[:first])
    fitted, _ = task.fit_fold(task.make_learner(Trial(0, "AutoTheta")), task.folds[0], None)
    for k in (1, 2):
        fold = task.folds[k]
        position = np.full(panel.n_series, -1)
        position[task.folds[0].series] = np.arange(task.folds[0].series.size)
        expected = fitted.carried(task._train(fold), position[fold.series]).predict(5).mean.ravel()
        np.testing.assert_allclose(carried.oof[task.fold_offsets[k] : task.fold_offsets[k + 1]], expected)
    assert not np.allclose(carried.oof[first:], refitted.oof[first:])
    assert carried.info["fit_seconds"] > 0


def test_learners_not_declared_forward_are_fitted_on_every_window() -> None:
    panel = Panel.from_frame(make_panel(4, min_length=60, max_length=60, nan_fraction=0.0, seed=4))
    carried = _task(panel).evaluate(Trial(0, "AutoETS"), None)
    refitted = _task(panel, carry_forward=False).evaluate(Trial(0, "AutoETS"), None)
    np.testing.assert_array_equal(carried.oof, refitted.oof)


def test_a_trial_short_of_time_carries_its_first_window_forward(monkeypatch: pytest.MonkeyPatch) -> None:
    panel = Panel.from_frame(make_panel(4, min_length=60, max_length=60, nan_fraction=0.0, seed=4))
    relaxed = _task(panel, n_windows=3).evaluate(Trial(0, "AutoETS"), 600.0)  # refitting fits in the time left
    assert relaxed.status == "ok" and not relaxed.info["hurried"]
    monkeypatch.setattr(tasks, "HURRY_SHARE", 0.0)  # now no time left is enough to refit the other windows
    task = _task(panel, n_windows=3)
    hurried = task.evaluate(Trial(0, "AutoETS"), 600.0)
    assert hurried.status == "ok" and hurried.info["hurried"]
    first = len(task.folds[0].test_index)
    np.testing.assert_array_equal(hurried.oof[:first], relaxed.oof[:first])
    fitted, _ = task.fit_fold(task.make_learner(Trial(0, "AutoETS")), task.folds[0], None)
    expected = fitted.carried(task._train(task.folds[2]), np.arange(panel.n_series)).predict(5).mean.ravel()
    np.testing.assert_allclose(hurried.oof[task.fold_offsets[2]:], expected)
    assert not task.evaluate(Trial(0, "AutoETS"), None).info["hurried"]  # no deadline: every window fitted
    assert not _task(panel, n_windows=3, carry_forward=False).evaluate(Trial(0, "AutoETS"), 600.0).info["hurried"]
    assert not task.evaluate(TRIALS[2], 600.0).info["hurried"]  # a global learner fits every window
    assert not task.evaluate(Trial(5, "AutoCES"), 600.0).info["hurried"]  # its forward is not to be trusted
