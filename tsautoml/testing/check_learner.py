"""The public contract suite every learner passes: :func:`check_learner`."""

from __future__ import annotations

import pickle
from collections.abc import Callable, Sequence
from functools import partial
from typing import TypeVar

import joblib
import numpy as np
import pandas as pd
from sklearn.base import clone

from tsautoml.data.grouped import Panel, concat_ranges
from tsautoml.exceptions import ConfigError, NotFittedError
from tsautoml.models.base import BaseLearner, Forecast, Future

__all__ = ["check_learner"]

_T = TypeVar("_T")
_RTOL = 1e-7  # refits may differ by float noise (as scikit-learn's check_fit_idempotent allows)


def check_learner(
    learner: BaseLearner,
    data: Panel | pd.DataFrame,
    *,
    horizon: int = 3,
    level: Sequence[float] = (80.0, 95.0),
    future_exog: dict[str, np.ndarray] | None = None,
) -> None:
    """Check that ``learner`` keeps the learner contract on ``data``.

    The checks, in order: predicting before ``fit`` raises :class:`NotFittedError`; ``fit``
    returns ``self``, leaves ``get_params()`` and the panel untouched; forecasts have shape
    ``(n_series, horizon)`` with finite means; declared intervals come at every ``level``,
    contain the mean and nest (series that fell back may have NaN intervals); refitting, a
    ``clone`` and a pickle round trip give the same forecasts; nothing looks ahead: the first
    steps of a forecast do not depend on the horizon asked or on later future exogenous
    values, a learner without exogenous capability ignores them, and fitting on a panel cut
    by ``horizon`` points per series equals fitting on a panel built from a frame that never
    had them.

    Parameters
    ----------
    learner
        An unfitted learner (local or global); it is fitted several times.
    data
        A panel, or a long frame with ``unique_id``, ``ds``, ``y`` (and exogenous columns).
    horizon
        Steps forecast.
    level
        Interval levels asked (used when the learner declares native intervals).
    future_exog
        Future values of exogenous columns, each ``(n_series, horizon)``; by default each
        series' last value, repeated.

    Raises
    ------
    AssertionError
        Naming the broken rule.

    Examples
    --------
    >>> from tsautoml.models.baselines import SeasonalNaive
    >>> from tsautoml.testing import make_panel
    >>> check_learner(SeasonalNaive(season_length=7), make_panel(3, seed=1))
    """
    panel = data if isinstance(data, Panel) else Panel.from_frame(data)
    level = [float(lv) for lv in level]
    future = _future(panel, horizon, future_exog)
    _check_unfitted(learner, future, level)
    forecast = _check_fit(learner, panel, future, level)
    _check_forecast(learner, forecast, panel.n_series, horizon, level)
    _check_refits(learner, panel, future, level, forecast)
    _check_horizon_prefix(learner, future, level, forecast)
    _check_future_exog(learner, future, level, forecast)
    _check_truncation(learner, panel, horizon, level)


def _fail(learner: BaseLearner, message: str) -> AssertionError:
    return AssertionError(f"{type(learner).__name__} breaks the learner contract: {message}")


def _run(learner: BaseLearner, what: str, fn: Callable[[], _T]) -> _T:
    """``fn()``, turning an exception into an AssertionError that says what was being done."""
    try:
        return fn()
    except AssertionError:
        raise
    except Exception as exc:
        raise _fail(learner, f"{what} raised {type(exc).__name__}: {exc}") from exc


def _future(panel: Panel, horizon: int, future_exog: dict[str, np.ndarray] | None) -> Future:
    """The horizon after every series' end: times, and exogenous values (last value repeated)."""
    if horizon < 1:
        raise ConfigError(f"horizon must be >= 1, got {horizon}.")
    last = panel.indptr[1:] - 1
    n = panel.n_series
    times = panel.freq.future_times(panel.times[last], horizon).reshape(n, horizon)
    given = dict(future_exog or {})
    unknown = sorted(set(given) - set(panel.exog))
    if unknown:
        raise ConfigError(f"future_exog has columns {unknown} that the panel lacks ({sorted(panel.exog)}).")
    exog = {}
    for name, col in panel.exog.items():
        values = np.asarray(given[name]) if name in given else np.repeat(col[last][:, None], horizon, axis=1)
        if values.shape != (n, horizon):
            raise ConfigError(f"future_exog[{name!r}] has shape {values.shape}; expected {(n, horizon)}.")
        exog[name] = values
    return Future(times, exog)


def _check_unfitted(learner: BaseLearner, future: Future, level: list[float]) -> None:
    fresh = _run(learner, "sklearn.base.clone", lambda: clone(learner))
    try:
        fresh.predict(future.horizon, future, level)
    except NotFittedError:
        return
    except Exception as exc:
        message = f"predict before fit raised {type(exc).__name__}, not NotFittedError: {exc}"
        raise _fail(learner, message) from exc
    raise _fail(learner, "predict before fit returned forecasts; it must raise NotFittedError.")


def _check_fit(learner: BaseLearner, panel: Panel, future: Future, level: list[float]) -> Forecast:
    """Fit once: ``fit`` returns self and leaves its parameters and the panel as they were."""
    params = joblib.hash(learner.get_params(deep=True))
    before = _panel_arrays(panel)
    fitted = learner.fit(panel)
    if fitted is not learner:
        raise _fail(learner, f"fit returned {type(fitted).__name__} object, not self.")
    if joblib.hash(learner.get_params(deep=True)) != params:
        raise _fail(learner, f"fit changed constructor parameters: now {learner.get_params()}.")
    after = _panel_arrays(panel)
    changed = [
        name for name in before
        if not np.array_equal(before[name], after[name], equal_nan=_nan_ok(after[name]))
    ]
    if changed:
        raise _fail(learner, f"fit modified the panel it was given ({changed}).")
    return learner.predict(future.horizon, future, level)


def _panel_arrays(panel: Panel) -> dict[str, np.ndarray]:
    arrays = {"target": panel.target.values, "indptr": panel.indptr, "times": panel.times}
    arrays.update({f"exog[{name!r}]": col for name, col in panel.exog.items()})
    return {name: np.array(values, copy=True) for name, values in arrays.items()}


def _nan_ok(values: np.ndarray) -> bool:
    return values.dtype.kind in "fc"


def _check_forecast(
    learner: BaseLearner, forecast: Forecast, n_series: int, horizon: int, level: list[float]
) -> None:
    """Shapes, finite means, and declared intervals that contain the mean and nest."""
    mean = np.asarray(forecast.mean)
    if mean.shape != (n_series, horizon):
        expected_shape = (n_series, horizon)
        raise _fail(learner, f"mean has shape {mean.shape}; expected (n_series, horizon) = {expected_shape}.")
    if not np.isfinite(mean).all():
        rows = np.flatnonzero(~np.isfinite(mean).all(axis=1))
        raise _fail(learner, f"mean forecasts of series at positions {rows.tolist()[:5]} are not finite.")
    expected = set(level) if learner.capabilities.intervals else set()
    if set(forecast.intervals) != expected:
        got = sorted(forecast.intervals)
        raise _fail(learner, f"intervals at levels {got}; expected {sorted(expected)}.")
    fell_back = np.zeros(n_series, dtype=bool)
    fell_back[list(getattr(learner, "fallbacks_", {}))] = True
    inner_lo, inner_hi = mean, mean
    for lv in sorted(expected):
        lo, hi = (np.asarray(b, dtype=np.float64) for b in forecast.intervals[lv])
        if lo.shape != mean.shape or hi.shape != mean.shape:
            shapes = f"{lo.shape}, {hi.shape}"
            raise _fail(learner, f"the {lv} interval has shapes {shapes}; expected {mean.shape}.")
        known = np.asarray(np.isfinite(lo).all(axis=1) & np.isfinite(hi).all(axis=1), dtype=bool)
        if not (known | fell_back).all():
            rows = np.flatnonzero(~(known | fell_back))
            series = rows.tolist()[:5]
            raise _fail(learner, f"the {lv} interval is not finite for series {series}, which did not fall back.")
        tol = 1e-6 * np.maximum(1.0, np.abs(mean))
        outside = known[:, None] & ((lo > inner_lo + tol) | (hi < inner_hi - tol))
        if outside.any():
            raise _fail(
                learner,
                f"the {lv} interval does not contain the mean (or the narrower intervals) in "
                f"series {np.flatnonzero(outside.any(axis=1)).tolist()[:5]}.",
            )
        inner_lo, inner_hi = np.where(known[:, None], lo, inner_lo), np.where(known[:, None], hi, inner_hi)


def _check_same(
    learner: BaseLearner, expected: Forecast, got: Forecast, what: str, exact: bool = False
) -> None:
    """``got`` equals ``expected`` (exactly, or up to float noise)."""
    pairs = [("mean", expected.mean, got.mean)]
    for lv, (lo, hi) in expected.intervals.items():
        other = got.intervals.get(lv, (np.full_like(lo, np.inf), np.full_like(hi, np.inf)))
        pairs += [(f"lo-{lv:g}", lo, other[0]), (f"hi-{lv:g}", hi, other[1])]
    for name, a, b in pairs:
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        rtol = 0.0 if exact else _RTOL
        if a.shape != b.shape or not np.allclose(a, b, rtol=rtol, atol=rtol * 1e-3, equal_nan=True):
            diff = np.nanmax(np.abs(a - b)) if a.shape == b.shape else f"shape {b.shape} vs {a.shape}"
            raise _fail(learner, f"{what} gives a different {name} forecast (max difference {diff}).")


def _check_refits(
    learner: BaseLearner, panel: Panel, future: Future, level: list[float], forecast: Forecast
) -> None:
    """Refitting, a clone and a pickle round trip forecast the same."""
    h = future.horizon
    refit = _run(learner, "refitting", lambda: learner.fit(panel).predict(h, future, level))
    _check_same(learner, forecast, refit, "refitting the same object")
    cloned = _run(learner, "clone + fit", partial(_fit_predict, learner, panel, future, level))
    _check_same(learner, forecast, cloned, "a clone fitted on the same panel")
    copy = _run(learner, "a pickle round trip", partial(_pickle_round_trip, learner))
    unpickled = _run(learner, "predicting after a pickle round trip", partial(copy.predict, h, future, level))
    _check_same(learner, refit, unpickled, "a pickle round trip", exact=True)


def _pickle_round_trip(learner: BaseLearner) -> BaseLearner:
    copy: BaseLearner = pickle.loads(pickle.dumps(learner))
    return copy


def _check_horizon_prefix(
    learner: BaseLearner, future: Future, level: list[float], forecast: Forecast
) -> None:
    """The first steps of a forecast do not depend on how many steps are asked."""
    h = future.horizon - 1
    if h < 1:
        return
    short = Future(future.times[:, :h], {k: v[:, :h] for k, v in future.exog.items()})
    got = _run(learner, f"predicting {h} steps", partial(learner.predict, h, short, level))
    what = f"predicting {h} steps instead of {h + 1}"
    _check_same(learner, Forecast(forecast.mean[:, :h]), Forecast(got.mean), what)


def _check_future_exog(
    learner: BaseLearner, future: Future, level: list[float], forecast: Forecast
) -> None:
    """Steps <= j ignore future exogenous values after j; a non-exogenous learner ignores them all."""
    names = [k for k, v in future.exog.items() if v.dtype.kind in "biuf"]
    if not names:
        return
    h = future.horizon
    what = "predicting with other future exogenous values"
    if not learner.capabilities.exogenous:
        changed = Future(future.times, {**future.exog, **{k: _perturb(future.exog[k], 0) for k in names}})
        got = _run(learner, what, partial(learner.predict, h, changed, level))
        _check_same(learner, forecast, got, "changing future exogenous values (it declares exogenous=False)")
        return
    for j in range(1, h):
        changed = Future(future.times, {**future.exog, **{k: _perturb(future.exog[k], j) for k in names}})
        got = _run(learner, what, partial(learner.predict, h, changed, level))
        _check_same(
            learner, Forecast(forecast.mean[:, :j]), Forecast(got.mean[:, :j]),
            f"changing future exogenous values after step {j} (look-ahead) at steps <= {j}",
        )


def _perturb(values: np.ndarray, start: int) -> np.ndarray:
    """``values`` changed from column ``start`` on."""
    out = values.copy()
    if out.dtype.kind == "b":
        out[:, start:] = ~out[:, start:]
    else:
        out[:, start:] = out[:, start:] * 2 + 1
    return out


def _check_truncation(learner: BaseLearner, panel: Panel, horizon: int, level: list[float]) -> None:
    """Fitting on the panel cut by ``horizon`` points equals fitting on a frame that never had them."""
    lengths = panel.target.lengths
    kept = lengths - np.minimum(horizon, lengths - 1)
    if (kept == lengths).all():
        return
    rows = concat_ranges(panel.indptr[:-1], kept)
    cut = panel.take(np.arange(panel.n_series), rows, kept)
    fresh = _rebuild(panel, rows)
    if not fresh.ids.equals(cut.ids) or not np.array_equal(fresh.indptr, cut.indptr):
        raise ConfigError("check_learner could not rebuild the cut panel in the same series order.")
    future = _future(cut, horizon, None)
    on_cut = _run(learner, "fitting on a cut panel", partial(_fit_predict, learner, cut, future, level))
    on_fresh = _run(learner, "fitting on a rebuilt panel", partial(_fit_predict, learner, fresh, future, level))
    what = (
        f"fitting on a panel cut by {horizon} points per series with Panel.take (look-ahead: it differs "
        "from a panel built without them)"
    )
    _check_same(learner, on_fresh, on_cut, what)


def _fit_predict(learner: BaseLearner, panel: Panel, future: Future, level: list[float]) -> Forecast:
    """A clone of ``learner`` fitted on ``panel``, forecasting ``future``."""
    return clone(learner).fit(panel).predict(future.horizon, future, level)


def _rebuild(panel: Panel, rows: np.ndarray) -> Panel:
    """A panel built from the frame of ``panel``'s ``rows`` alone."""
    frame = panel.to_frame().iloc[rows].reset_index(drop=True)
    freq: str | int = panel.freq.alias if panel.freq.alias is not None else panel.freq.step
    return Panel.from_frame(frame, panel.columns, freq=freq, season_length=panel.freq.season_length)

