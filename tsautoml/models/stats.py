"""statsforecast adapters: AutoARIMA, AutoETS, AutoTheta, AutoCES and intermittent-demand models.

Every adapter is a :class:`~tsautoml.models.base.LocalLearner`: per series it builds a fresh
statsforecast model, fits it on the cleaned series and keeps it as that series' state. A
series shorter than :meth:`min_length`, whose model raises, or whose fitted model gives a
non-finite one-step forecast (point or interval) falls back on seasonal naive, then naive;
``fallbacks_`` records which and why. AutoETS, AutoTheta and AutoARIMA fit on the last
:data:`HISTORY_SEASONS` seasons of a longer series (``LearnerSpec.history_seasons``).

statsforecast behaviours these adapters rely on or guard against (statsforecast 2.1):

* AutoETS raises ``NotImplementedError("tiny datasets")`` unless a series has more than
  ``npars + 4`` points (7 for ``"ZZZ"``); it drops seasonality when a series is no longer than
  a season, rejects multiplicative components on non-positive data, and can fit a finite
  point forecast with non-finite intervals (values near 1e200).
* AutoTheta needs 4 points and 5 for its sigma estimate; it decomposes only series of at
  least two seasons and switches to additive decomposition on non-positive data.
* AutoCES fails on 2-4 points with unrelated errors; it is seasonal only from two seasons.
  With fewer than 10 residuals its interval simulation leaves the fast normal path and
  takes ~2 s per series (30-70 ms from 10 points on), so it needs 10 points here.
* AutoARIMA fits any length, but gives zero-width intervals on 1-2 points, NaN intervals
  when exogenous columns outnumber points, and an arbitrary coefficient for a constant
  exogenous column (a per-series constant column is therefore dropped).
* AutoTheta and AutoCES simulate their intervals, which on short series may miss the point
  forecast; every adapter widens intervals to contain it and to nest across levels.
  AutoCES draws 5000 paths per series, so its intervals cost 30-70 ms per series.
* TSB raises on series without positive values; Croston, ADIDA and IMAPA fit anything.
"""

from __future__ import annotations

import contextlib
import numbers
import re
import warnings
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar, Literal, NamedTuple, get_args

import numpy as np

from tsautoml.data.grouped import Panel
from tsautoml.exceptions import ConfigError, DataValidationError
from tsautoml.models.base import Capabilities, Forecast, Future, LocalLearner, SeriesForecast
from tsautoml.models.baselines import Naive, SeasonalNaive, _check_int
from tsautoml.models.spec import FloatRange, ForecastContext, LearnerSpec

__all__ = [
    "ADIDA",
    "CES_MODELS",
    "DECOMPOSITION_TYPES",
    "IMAPA",
    "TSB",
    "AutoARIMA",
    "AutoCES",
    "AutoETS",
    "AutoTheta",
    "CESModel",
    "CrostonOptimized",
    "DecompositionType",
]


DecompositionType = Literal["multiplicative", "additive"]
DECOMPOSITION_TYPES: tuple[str, ...] = get_args(DecompositionType)
CESModel = Literal["Z", "N", "S", "P", "F"]
CES_MODELS: tuple[str, ...] = get_args(CESModel)
_ETS_MODEL = re.compile(r"[AMZ][NAMZ][NAMZ]")
_PROBE_LEVEL = 80
#: Seasons of history that AutoETS, AutoTheta and AutoARIMA fit on (M4 Hourly, 80 series of
#: 960 points: the last 20 seasons halve AutoETS's fit time and cut AutoTheta's by 3x at the
#: same accuracy; AutoCES is cheap and lost accuracy when cut, so it keeps the whole series).
HISTORY_SEASONS = 20
#: AutoTheta and AutoARIMA validate with their first window's parameters carried forward
#: (``LearnerSpec.forward``). Measured against refitting on the later window (MASE, paired, on
#: Tourism Quarterly, M1 Monthly and M4 Weekly samples): Theta -1.6%, +1.0%, +0.9% and ARIMA
#: +6% +/- 7, 0% +/- 10, -3% +/- 3. AutoETS scored worse carried (+1.6%, +12% +/- 6, +0.4%; it
#: re-selects its model when refitted) and carries only when short of time; AutoCES's ``forward``
#: gave errors six times its refit's on Tourism Monthly, so it never carries.


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence statsforecast's numeric noise; exceptions still propagate (and are recorded)."""
    from numba.core.errors import NumbaWarning

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.filterwarnings("ignore", module=r"(statsforecast|statsmodels)(\.|$)")
        warnings.filterwarnings("ignore", category=NumbaWarning)
        yield


def _sf() -> Any:
    """``statsforecast.models``, imported on first use (it takes seconds to import)."""
    import statsforecast.models

    return statsforecast.models


class _StatsForecastLearner(LocalLearner):
    """A :class:`LocalLearner` around one statsforecast model class.

    Subclasses implement ``_model()`` (a fresh, unfitted statsforecast model) and may
    override ``_check_params`` and ``min_length``.
    """

    capabilities = Capabilities(exogenous=False, intervals=True)
    carries = True  # statsforecast's forward (the intermittent models have none)
    _probe_intervals: ClassVar[bool] = True  # check the 1-step interval at fit (not where costly)

    def _model(self) -> Any:
        raise NotImplementedError

    def _check_params(self) -> None:
        """Raise :class:`ConfigError` for invalid constructor arguments."""

    def fallback_chain(self) -> list[LocalLearner]:
        """Seasonal naive (when seasonal), then naive."""
        m = getattr(self, "season_length", 1)
        return [SeasonalNaive(m), Naive()] if m > 1 else [Naive()]

    def _fit(self, panel: Panel, deadline: float | None) -> None:
        self._check_params()
        with _quiet():
            super()._fit(panel, deadline)

    def carried(self, panel: Panel, previous: np.ndarray, deadline: float | None = None) -> LocalLearner:
        with _quiet():
            return super().carried(panel, previous, deadline)

    def _predict(self, horizon: int, future: Future | None, level: list[float]) -> Forecast:
        bad = [lv for lv in level if not 0 < lv < 100]
        if bad:
            raise ConfigError(f"Interval levels must be between 0 and 100 (exclusive), got {bad}.")
        with _quiet():
            return super()._predict(horizon, future, level)

    def _fit_series(self, y: np.ndarray, X: np.ndarray | None) -> Any:
        model = self._model().fit(y)
        self._check_finite(model, None)
        return model

    def _carry_series(self, state: Any, y: np.ndarray, X: np.ndarray | None) -> Any:
        carried = _Carried(state, y)
        self._check_finite(carried, None)
        return carried

    def _check_finite(self, state: Any, X_next: np.ndarray | None) -> None:
        """Raise if the fitted model's one-step forecast (and interval) is not finite."""
        probe = [_PROBE_LEVEL] if self.capabilities.intervals and self._probe_intervals else None
        out = _forecast(state, 1, X_next, probe)
        bad = sorted(k for k, v in out.items() if not np.isfinite(np.asarray(v, dtype=np.float64)).all())
        if bad:
            raise DataValidationError(
                f"the fitted model's one-step forecast is not finite ({', '.join(bad)})"
            )

    def _predict_series(
        self, state: Any, horizon: int, X_future: np.ndarray | None, level: list[float]
    ) -> SeriesForecast:
        return _series_forecast(_forecast(state, horizon, None, _sf_levels(level)), level)


class _Carried(NamedTuple):
    """A statsforecast model fitted on a shorter history, run over ``y`` (and ``X``) as it stands."""

    model: Any
    y: np.ndarray
    X: np.ndarray | None = None


def _forecast(state: Any, horizon: int, X_future: np.ndarray | None, level: Sequence[float] | None) -> dict[str, Any]:
    """statsforecast's forecast dict of a fitted model, or of a carried one (``forward``)."""
    if isinstance(state, _Carried):
        return state.model.forward(state.y, horizon, X=state.X, X_future=X_future, level=level)
    return state.predict(horizon, X=X_future, level=level)


def _sf_levels(level: list[float]) -> list[int | float] | None:
    """Levels as statsforecast takes them (``80`` rather than ``80.0``: it names keys after them)."""
    return [int(lv) if float(lv).is_integer() else float(lv) for lv in level] or None


def _series_forecast(out: dict[str, Any], level: list[float]) -> SeriesForecast:
    """A :class:`SeriesForecast` from statsforecast's ``mean`` / ``lo-<l>`` / ``hi-<l>`` dict.

    Intervals are widened where needed to contain the mean and to nest (wider levels
    contain narrower ones); simulated intervals of short series can violate both.
    """
    mean = np.asarray(out["mean"], dtype=np.float64)
    intervals: dict[float, tuple[np.ndarray, np.ndarray]] = {}
    lo_in, hi_in = mean, mean
    for lv, key in sorted(zip(level, _sf_levels(level) or [], strict=True)):
        lo = np.minimum(np.asarray(out[f"lo-{key}"], dtype=np.float64), lo_in)
        hi = np.maximum(np.asarray(out[f"hi-{key}"], dtype=np.float64), hi_in)
        intervals[lv] = (lo, hi)
        lo_in, hi_in = lo, hi
    return SeriesForecast(mean, intervals)


def _finite_exogenous(X: np.ndarray) -> np.ndarray:
    """``X`` as floats; raise (the series falls back) where a value is missing or infinite."""
    X = np.asarray(X, dtype=np.float64)
    if not np.isfinite(X).all():
        raise DataValidationError("exogenous values are missing or infinite")
    return X


class _ArimaState(NamedTuple):
    """A fitted statsforecast AutoARIMA and the exogenous columns it uses (None: none given)."""

    model: Any
    keep: np.ndarray | None


class AutoARIMA(_StatsForecastLearner):
    """statsforecast's AutoARIMA per series, with known-future exogenous regressors.

    Exogenous columns that are constant over a series' history carry no information for
    it and are dropped for that series; non-finite exogenous values make it fall back.

    Parameters
    ----------
    season_length
        Steps in a season (1: non-seasonal).
    approximation
        Select the order by conditional sums of squares; None: when a series is longer
        than 150 points or the season longer than 12 (as R's ``auto.arima``).

    Examples
    --------
    >>> from tsautoml.testing import make_panel
    >>> panel = Panel.from_frame(make_panel(2, min_length=20, max_length=30, seed=1))
    >>> forecast = AutoARIMA().fit(panel).predict(3, level=[80.0])
    >>> forecast.mean.shape, list(forecast.intervals)
    ((2, 3), [80.0])
    """

    spec = LearnerSpec(
        "AutoARIMA", cost=lambda ctx: 100.0 if ctx.season_length <= 12 else 400.0, classic=True,
        history_seasons=HISTORY_SEASONS, forward=True,
    )

    capabilities = Capabilities(exogenous=True, intervals=True)

    def __init__(self, season_length: int = 1, approximation: bool | None = None) -> None:
        self.season_length = season_length
        self.approximation = approximation

    def _check_params(self) -> None:
        _check_int("season_length", self.season_length, 1)
        if self.approximation not in (None, True, False):
            raise ConfigError(f"approximation must be True, False or None, got {self.approximation!r}.")

    def min_length(self) -> int:
        """3 points: with fewer, the intervals can have zero width."""
        return 3

    def _model(self) -> Any:
        return _sf().AutoARIMA(season_length=int(self.season_length), approximation=self.approximation)

    def _fit_series(self, y: np.ndarray, X: np.ndarray | None) -> Any:
        keep = None
        if X is not None:
            X = _finite_exogenous(X)
            keep = np.ptp(X, axis=0) > 0
            X = X[:, keep] if keep.any() else None
        model = self._model().fit(y, X)
        self._check_finite(model, None if X is None else X[-1:])
        return _ArimaState(model, keep)

    def _carry_series(self, state: Any, y: np.ndarray, X: np.ndarray | None) -> Any:
        model, keep = state
        X = None if X is None or keep is None or not keep.any() else _finite_exogenous(X[:, keep])
        carried = _Carried(model, y, X)
        self._check_finite(carried, None if X is None else X[-1:])
        return _ArimaState(carried, keep)

    def _predict(self, horizon: int, future: Future | None, level: list[float]) -> Forecast:
        for name in self.exogenous_:
            values = np.asarray(future.exog[name]) if future is not None else np.empty(0)
            try:
                finite = bool(np.isfinite(values.astype(np.float64)).all())
            except (TypeError, ValueError):
                finite = False
            if values.shape != (self.n_series_, horizon) or not finite:
                raise DataValidationError(
                    f"AutoARIMA needs finite numeric future values of exogenous column {name!r} with "
                    f"shape (n_series, horizon) = {(self.n_series_, horizon)}; got shape {values.shape}."
                )
        return super()._predict(horizon, future, level)

    def _predict_series(
        self, state: Any, horizon: int, X_future: np.ndarray | None, level: list[float]
    ) -> SeriesForecast:
        model, keep = state
        X = None
        if keep is not None and keep.any() and X_future is not None:
            X = np.asarray(X_future, dtype=np.float64)[:, keep]
        return _series_forecast(_forecast(model, horizon, X, _sf_levels(level)), level)


class AutoETS(_StatsForecastLearner):
    """statsforecast's AutoETS (exponential smoothing state space) per series.

    Parameters
    ----------
    season_length
        Steps in a season (1: non-seasonal).
    model
        Error, trend and season types, each ``A`` (additive), ``M`` (multiplicative),
        ``N`` (none, trend and season only) or ``Z`` (chosen by AICc).
    damped
        Damp the trend; None: chosen by AICc.

    Examples
    --------
    >>> from tsautoml.testing import make_panel
    >>> panel = Panel.from_frame(make_panel(2, seed=1))
    >>> AutoETS(season_length=7).fit(panel).predict(3, level=[80.0, 95.0]).mean.shape
    (2, 3)
    """

    spec = LearnerSpec("AutoETS", cost=20.0, classic=True, history_seasons=HISTORY_SEASONS)

    def __init__(self, season_length: int = 1, model: str = "ZZZ", damped: bool | None = None) -> None:
        self.season_length = season_length
        self.model = model
        self.damped = damped

    def _check_params(self) -> None:
        _check_int("season_length", self.season_length, 1)
        if not isinstance(self.model, str) or not _ETS_MODEL.fullmatch(self.model):
            raise ConfigError(
                f"model={self.model!r} is not an ETS model: use 3 letters, error in A/M/Z, "
                "trend and season in N/A/M/Z (e.g. 'ZZZ', 'AAN', 'MAM')."
            )
        if self.damped not in (None, True, False):
            raise ConfigError(f"damped must be True, False or None, got {self.damped!r}.")
        if self.damped and self.model[1] == "N":
            raise ConfigError(f"damped=True needs a trend, but model={self.model!r} has none ('N').")
        if self.season_length == 1 and self.model[2] in "AM":
            raise ConfigError(f"model={self.model!r} is seasonal but season_length=1.")

    def min_length(self) -> int:
        """More than ``npars + 4`` points for the simplest model allowed (7 for ``"ZZZ"``)."""
        model = self.model if isinstance(self.model, str) and _ETS_MODEL.fullmatch(self.model) else "ZZZ"
        trend, season = model[1], model[2]
        npars = 2 + 2 * (trend in "AM") + 2 * (season in "AM") + int(self.damped is True)
        return npars + 5

    def _model(self) -> Any:
        return _sf().AutoETS(season_length=int(self.season_length), model=self.model, damped=self.damped)


class AutoTheta(_StatsForecastLearner):
    """statsforecast's AutoTheta (best of the standard, optimised and dynamic Theta models).

    Parameters
    ----------
    season_length
        Steps in a season (1: non-seasonal).
    decomposition_type
        Seasonal decomposition, ``"multiplicative"`` or ``"additive"`` (statsforecast
        switches to additive on non-positive data).

    Examples
    --------
    >>> from tsautoml.testing import make_panel
    >>> panel = Panel.from_frame(make_panel(2, seed=1))
    >>> AutoTheta(season_length=7).fit(panel).predict(3).mean.shape
    (2, 3)
    """

    spec = LearnerSpec("AutoTheta", cost=10.0, classic=True, history_seasons=HISTORY_SEASONS, forward=True)

    def __init__(self, season_length: int = 1, decomposition_type: str = "multiplicative") -> None:
        self.season_length = season_length
        self.decomposition_type = decomposition_type

    def _check_params(self) -> None:
        _check_int("season_length", self.season_length, 1)
        if self.decomposition_type not in DECOMPOSITION_TYPES:
            raise ConfigError(
                f"decomposition_type={self.decomposition_type!r} is not one of {list(DECOMPOSITION_TYPES)}."
            )

    def min_length(self) -> int:
        """5 points: Theta needs 4, and its sigma skips 3 residuals and needs 2 more."""
        return 5

    def _model(self) -> Any:
        return _sf().AutoTheta(
            season_length=int(self.season_length), decomposition_type=self.decomposition_type
        )


class AutoCES(_StatsForecastLearner):
    """statsforecast's AutoCES (complex exponential smoothing) per series.

    Its intervals are simulated (5000 paths, 30-70 ms per series), so the fit-time check
    looks at the point forecast and the error variance rather than a simulated interval.
    Series shorter than 10 points fall back (see :meth:`min_length`).

    Parameters
    ----------
    season_length
        Steps in a season (1: non-seasonal).
    model
        ``"N"`` (simple), ``"S"`` (simple seasonal), ``"P"`` (partial seasonal),
        ``"F"`` (full seasonal) or ``"Z"`` (chosen by information criterion).

    Examples
    --------
    >>> from tsautoml.testing import make_panel
    >>> panel = Panel.from_frame(make_panel(2, seed=1))
    >>> AutoCES(season_length=7).fit(panel).predict(3).mean.shape
    (2, 3)
    """

    spec = LearnerSpec("AutoCES", cost=40.0, classic=True)
    carries = False  # statsforecast's forward gave errors six times its refit's (Tourism Monthly)

    _probe_intervals = False

    def __init__(self, season_length: int = 1, model: str = "Z") -> None:
        self.season_length = season_length
        self.model = model

    def _check_params(self) -> None:
        _check_int("season_length", self.season_length, 1)
        if self.model not in CES_MODELS:
            raise ConfigError(f"model={self.model!r} is not one of {list(CES_MODELS)}.")

    def min_length(self) -> int:
        """10 points: CES fits from 5, but below 10 residuals its interval simulation takes ~2 s."""
        return 10

    def _model(self) -> Any:
        return _sf().AutoCES(season_length=int(self.season_length), model=self.model)

    def _fit_series(self, y: np.ndarray, X: np.ndarray | None) -> Any:
        model = super()._fit_series(y, X)
        if not np.isfinite(model.model_["sigma2"]):
            raise DataValidationError("the fitted model's error variance is not finite")
        return model


def _intermittent(ctx: ForecastContext) -> bool:
    return ctx.intermittent


class _Intermittent(_StatsForecastLearner):
    """Intermittent-demand models: point forecasts only."""

    capabilities = Capabilities(exogenous=False, intervals=False)
    carries = False

    def min_length(self) -> int:
        """1 point (all-zero series forecast zero)."""
        return 1


class CrostonOptimized(_Intermittent):
    """statsforecast's optimised Croston: smoothed demand size over smoothed interval.

    Examples
    --------
    >>> from tsautoml.testing import make_panel
    >>> panel = Panel.from_frame(make_panel(2, seed=1))
    >>> CrostonOptimized().fit(panel).predict(3).mean.shape
    (2, 3)
    """

    spec = LearnerSpec("CrostonOptimized", cost=3.0, applies=_intermittent)

    def _model(self) -> Any:
        return _sf().CrostonOptimized()


class ADIDA(_Intermittent):
    """statsforecast's ADIDA: temporal aggregation at the mean inter-demand interval.

    Examples
    --------
    >>> from tsautoml.testing import make_panel
    >>> panel = Panel.from_frame(make_panel(2, seed=1))
    >>> ADIDA().fit(panel).predict(3).mean.shape
    (2, 3)
    """

    spec = LearnerSpec("ADIDA", cost=3.0, applies=_intermittent)

    def _model(self) -> Any:
        return _sf().ADIDA()


class IMAPA(_Intermittent):
    """statsforecast's IMAPA: ADIDA averaged over several aggregation levels.

    Examples
    --------
    >>> from tsautoml.testing import make_panel
    >>> panel = Panel.from_frame(make_panel(2, seed=1))
    >>> IMAPA().fit(panel).predict(3).mean.shape
    (2, 3)
    """

    spec = LearnerSpec("IMAPA", cost=4.0, applies=_intermittent)

    def _model(self) -> Any:
        return _sf().IMAPA()


class TSB(_Intermittent):
    """statsforecast's Teunter-Syntetos-Babai model: smoothed demand probability times size.

    Series without a positive value make statsforecast raise and fall back.

    Parameters
    ----------
    alpha_d
        Smoothing of the demand size, in (0, 1].
    alpha_p
        Smoothing of the demand probability, in (0, 1].

    Examples
    --------
    >>> from tsautoml.testing import make_panel
    >>> panel = Panel.from_frame(make_panel(2, seed=1))
    >>> TSB(alpha_d=0.2, alpha_p=0.1).fit(panel).predict(3).mean.shape
    (2, 3)
    """

    spec = LearnerSpec(
        "TSB", cost=3.0, applies=_intermittent, starts=lambda ctx: ({"alpha_d": 0.1, "alpha_p": 0.1},),
        domain=lambda ctx: {"alpha_d": FloatRange(0.01, 0.5, log=True), "alpha_p": FloatRange(0.01, 0.5, log=True)},
    )

    def __init__(self, alpha_d: float = 0.1, alpha_p: float = 0.1) -> None:
        self.alpha_d = alpha_d
        self.alpha_p = alpha_p

    def _check_params(self) -> None:
        for name in ("alpha_d", "alpha_p"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < float(value) <= 1:
                raise ConfigError(f"{name} must be a number in (0, 1], got {value!r}.")

    def _model(self) -> Any:
        return _sf().TSB(alpha_d=float(self.alpha_d), alpha_p=float(self.alpha_p))
