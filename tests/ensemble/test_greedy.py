"""Best-k and greedy weights per unit, honest cross-fitting and conformal intervals on simulated forecasts."""

from __future__ import annotations

import numpy as np

from tsautoml.ensemble.conformal import ConformalIntervals, interval_scale
from tsautoml.ensemble.greedy import blend, cross_fit_blend, unit_weights
from tsautoml.metrics import get_metric

MAE = get_metric("mae", "forecast")


def greedy_weights(preds, y, scale, metric, row_unit, n_units, n_iter):
    return unit_weights(preds, y, scale, get_metric(metric, "forecast"), row_unit, n_units, "greedy", n_iter)


def _two_regimes(seed: int = 0, n_series: int = 40, per_series: int = 30):
    """Model 0 is right on even series, model 1 on odd ones; model 2 is the average."""
    rng = np.random.default_rng(seed)
    row_unit = np.repeat(np.arange(n_series), per_series)
    y = rng.normal(size=row_unit.size)
    noise = rng.normal(scale=2.0, size=(2, row_unit.size))
    even = (row_unit % 2 == 0)
    p0 = np.where(even, y + 0.1 * noise[0], y + noise[0])
    p1 = np.where(even, y + noise[1], y + 0.1 * noise[1])
    return np.stack([p0, p1, (p0 + p1) / 2]), y, row_unit


def test_per_series_selection_picks_the_right_model():
    preds, y, row_unit = _two_regimes()
    weights = greedy_weights(preds, y, np.ones_like(y), "mae", row_unit, 40, n_iter=1)
    chosen = weights.argmax(axis=1)
    assert (chosen[::2] == 0).all() and (chosen[1::2] == 1).all()


def test_ensemble_is_never_worse_in_sample_than_the_best_member():
    preds, y, row_unit = _two_regimes(1)
    one = np.zeros_like(row_unit)
    w = greedy_weights(preds, y, np.ones_like(y), "mae", one, 1, n_iter=10)
    ensemble = np.abs(blend(preds, w, one) - y).mean()
    assert ensemble <= np.abs(preds - y).mean(axis=1).min() + 1e-12
    assert np.isclose(w.sum(), 1.0)


def test_units_without_rows_get_the_pooled_weights():
    preds, y, row_unit = _two_regimes(2)
    weights = greedy_weights(preds, y, np.ones_like(y), "mae", row_unit, 41, n_iter=5)
    pooled = greedy_weights(preds, y, np.ones_like(y), "mae", np.zeros_like(row_unit), 1, n_iter=5)
    np.testing.assert_allclose(weights[40], pooled[0])


def test_cross_fit_blend_uses_only_other_windows():
    preds, y, row_unit = _two_regimes(3)
    window = np.tile(np.repeat([0, 1, 2], 10), 40)

    def honest(actual):
        def weigh(rows):
            return unit_weights(preds[:, rows], actual[rows], np.ones(rows.sum()), MAE, row_unit[rows], 40, "top", 1)
        return cross_fit_blend(preds, row_unit, window, weigh)

    # changing the actuals of window 2 cannot change the blend of window 2
    y2 = y.copy()
    y2[window == 2] += 100.0
    np.testing.assert_array_equal(honest(y)[window == 2], honest(y2)[window == 2])


def test_family_mean_takes_each_familys_best_model():
    preds, y, row_unit = _two_regimes(4)
    worse = preds[:2] + 3.0  # a worse copy of models 0 and 1, in the same families
    stacked = np.vstack([worse, preds])  # models: 0, 1 (worse copies), 2, 3, 4 (the average, no family)
    family = np.array([0, 1, 0, 1, -1])
    w = unit_weights(stacked, y, np.ones_like(y), MAE, np.zeros_like(row_unit), 1, "family", 0, family)
    np.testing.assert_allclose(w, [[0.0, 0.0, 0.5, 0.5, 0.0]])
    alone = unit_weights(stacked, y, np.ones_like(y), MAE, np.zeros_like(row_unit), 1, "family", 0, np.array([0, -1, 0, -1, -1]))
    np.testing.assert_allclose(alone, [[0.0, 0.0, 1.0, 0.0, 0.0]])
    none = unit_weights(stacked, y, np.ones_like(y), MAE, np.zeros_like(row_unit), 1, "family", 0, np.full(5, -1))
    assert not none.any()


def test_pointwise_loss_and_scale_belong_to_the_metric():
    y, f = np.array([2.0, 4.0]), np.array([1.0, 5.0])
    assert get_metric("mase", "forecast").pointwise_loss(y, f, np.array([2.0, 2.0])).tolist() == [0.5, 0.5]
    assert get_metric("rmse", "forecast").pointwise_loss(y, f, np.ones(2)).tolist() == [1.0, 1.0]
    assert get_metric("mape", "forecast").pointwise_loss(y, f, np.ones(2)).tolist() == [50.0, 25.0]
    history, indptr = np.array([1.0, 4.0, 2.0, 10.0, 10.0, 12.0]), np.array([0, 3, 6])
    assert get_metric("mase", "forecast").series_scale(history, indptr, 1).tolist() == [2.5, 1.0]
    assert get_metric("nrmse", "forecast").series_scale(history, indptr, 1).tolist() == [3.0, 2.0]
    assert get_metric("smape", "forecast").series_scale(history, indptr, 1).tolist() == [1.0, 1.0]


def test_the_metric_scale_decides_the_selection():
    """Under nrmse a small-range series' errors weigh more than under rmse: the chosen model flips."""
    y = np.array([0.0, 0.0, 100.0, 100.0])
    preds = np.array([[0.5, 0.5, 100.0, 100.0], [0.0, 0.0, 95.0, 95.0]])
    one = np.zeros(4, dtype=np.int64)
    rmse = unit_weights(preds, y, np.ones(4), get_metric("rmse", "forecast"), one, 1, "top", 1)
    scale = np.array([1.0, 1.0, 100.0, 100.0])  # each series' range
    nrmse = unit_weights(preds, y, scale, get_metric("nrmse", "forecast"), one, 1, "top", 1)
    assert rmse.argmax() == 0 and nrmse.argmax() == 1


def test_top_k_is_the_mean_of_each_units_k_best_and_skips_unavailable_models():
    preds, y, row_unit = _two_regimes(4, n_series=4)
    preds[0, row_unit == 1] = np.nan  # model 0 has no forecast for unit 1
    w = unit_weights(preds, y, np.ones_like(y), MAE, row_unit, 4, "top", 2)
    assert np.allclose(w.sum(axis=1), 1.0) and w[1, 0] == 0.0 and (w > 0).sum(axis=1).tolist() == [2, 2, 2, 2]
    blended = blend(preds, w, row_unit)
    assert np.isfinite(blended).all()


def test_conformal_intervals_cover_at_their_level():
    rng = np.random.default_rng(0)
    n_series, horizon, windows = 200, 4, 3
    scale = rng.uniform(0.5, 20, n_series)
    rows = np.repeat(np.arange(n_series), horizon * windows)
    step = np.tile(np.arange(horizon), n_series * windows)
    errors = rng.standard_t(5, size=rows.size) * scale[rows] * (1 + 0.5 * step)
    ci = ConformalIntervals.fit(errors, scale[rows], step, np.zeros_like(rows), 1, horizon)
    # fresh errors from the same process
    new = rng.standard_t(5, size=(n_series, horizon)) * scale[:, None] * (1 + 0.5 * np.arange(horizon))
    for level in (80, 95):
        lo, hi = ci.interval(np.zeros((n_series, horizon)), scale, np.zeros(n_series, dtype=int), level)
        coverage = ((new >= lo) & (new <= hi)).mean()
        assert abs(coverage - level / 100) < 0.04, (level, coverage)
        assert (hi[:, 3] - lo[:, 3] > hi[:, 0] - lo[:, 0]).all()  # later steps are wider


def test_interval_scale_handles_constant_and_short_series():
    values = np.array([5.0, 5.0, 5.0, 1.0, np.nan, 3.0, 7.0])
    scale = interval_scale(values, np.array([0, 3, 6, 7]), 1)
    assert scale.tolist() == [5.0, 2.0, 7.0]
