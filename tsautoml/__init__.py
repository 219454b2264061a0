"""tsautoml: forecasting-first automated machine learning.

The public names are imported on first use, so that ``import tsautoml`` and ``tsautoml --help``
answer at once; ``from tsautoml import AutoML`` loads the search stack.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the names for type checkers; at run time they come from _HOMES on first use
    from tsautoml.automl import AutoML, load  # noqa: F401
    from tsautoml.checks import check  # noqa: F401
    from tsautoml.config import Budget, CVConfig, ScaleOut, TabularCV  # noqa: F401
    from tsautoml.data import ColumnSpec, Frequency, GroupedArray, Panel  # noqa: F401
    from tsautoml.datasets import load_demand  # noqa: F401
    from tsautoml.estimators import AutoMLClassifier, AutoMLRegressor  # noqa: F401
    from tsautoml.evaluation import Evaluation  # noqa: F401
    from tsautoml.exceptions import (  # noqa: F401
        ConfigError,
        DataValidationError,
        NotFittedError,
        StorageError,
        TsAutoMLError,
        TsAutoMLWarning,
    )
    from tsautoml.explain import Explanation  # noqa: F401
    from tsautoml.features.lags import (  # noqa: F401
        Diff,
        EWMMean,
        Expanding,
        Lag,
        Rolling,
        RollingQuantile,
        SeasonalRollingMean,
    )
    from tsautoml.features.pipeline import FeaturePipeline  # noqa: F401
    from tsautoml.plotting import (  # noqa: F401
        plot_backtest,
        plot_forecast,
        plot_importance,
        plot_leaderboard,
        plot_residuals,
    )
    from tsautoml.search.splitters import RollingOriginSplitter  # noqa: F401

try:
    __version__ = version("tsautoml")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

#: Where each public name lives.
_HOMES = {
    "tsautoml.automl": ("AutoML", "load"),
    "tsautoml.checks": ("check",),
    "tsautoml.config": ("Budget", "CVConfig", "ScaleOut", "TabularCV"),
    "tsautoml.data": ("ColumnSpec", "Frequency", "GroupedArray", "Panel"),
    "tsautoml.datasets": ("load_demand",),
    "tsautoml.estimators": ("AutoMLClassifier", "AutoMLRegressor"),
    "tsautoml.evaluation": ("Evaluation",),
    "tsautoml.exceptions": (
        "ConfigError", "DataValidationError", "NotFittedError", "StorageError", "TsAutoMLError", "TsAutoMLWarning",
    ),
    "tsautoml.features.lags": ("Diff", "EWMMean", "Expanding", "Lag", "Rolling", "RollingQuantile", "SeasonalRollingMean"),
    "tsautoml.explain": ("Explanation",),
    "tsautoml.features.pipeline": ("FeaturePipeline",),
    "tsautoml.plotting": ("plot_backtest", "plot_forecast", "plot_importance", "plot_leaderboard", "plot_residuals"),
    "tsautoml.search.splitters": ("RollingOriginSplitter",),
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}

__all__ = sorted([*_HOME_OF, "__version__"])


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first use."""
    module = _HOME_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'tsautoml' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOME_OF])
