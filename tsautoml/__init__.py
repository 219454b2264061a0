"""tsautoml: forecasting-first automated machine learning."""

from importlib.metadata import PackageNotFoundError, version

from tsautoml.automl import AutoML, load
from tsautoml.checks import check
from tsautoml.config import Budget, CVConfig, ScaleOut, TabularCV
from tsautoml.data import ColumnSpec, Frequency, GroupedArray, Panel
from tsautoml.datasets import load_demand
from tsautoml.estimators import AutoMLClassifier, AutoMLRegressor
from tsautoml.exceptions import (
    ConfigError,
    DataValidationError,
    NotFittedError,
    StorageError,
    TsAutoMLError,
    TsAutoMLWarning,
)
from tsautoml.features.lags import (
    Diff,
    EWMMean,
    Expanding,
    Lag,
    Rolling,
    RollingQuantile,
    SeasonalRollingMean,
)
from tsautoml.features.pipeline import FeaturePipeline
from tsautoml.search.splitters import RollingOriginSplitter

try:
    __version__ = version("tsautoml")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = [
    "AutoML",
    "AutoMLClassifier",
    "AutoMLRegressor",
    "Budget",
    "CVConfig",
    "ColumnSpec",
    "ConfigError",
    "DataValidationError",
    "Diff",
    "EWMMean",
    "Expanding",
    "FeaturePipeline",
    "Frequency",
    "GroupedArray",
    "Lag",
    "StorageError",
    "NotFittedError",
    "Panel",
    "Rolling",
    "RollingOriginSplitter",
    "RollingQuantile",
    "ScaleOut",
    "SeasonalRollingMean",
    "TabularCV",
    "TsAutoMLError",
    "TsAutoMLWarning",
    "__version__",
    "check",
    "load",
    "load_demand",
]
