"""Why a forecast is what it is: which models serve each series, and what drives the global models.

The global regression models (LightGBM, ridge) give each feature's importance and its additive
part of every forecast (LightGBM's exact TreeSHAP ``pred_contrib``; ridge's weight times the
standardized value); features are grouped into families: lags, rolling, calendar, holiday and
exogenous. Tables explain through the exported pipeline (:func:`table_explanation`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from tsautoml.ensemble.blend import Component
from tsautoml.exceptions import ConfigError
from tsautoml.models.base import Future
from tsautoml.models.regression import GlobalRegressionLearner

__all__ = ["Explanation", "forecast_explanation", "table_explanation"]

_IMPORTANCE = ["component", "model", "trial", "feature", "family", "importance"]
_FAMILIES = ["component", "model", "trial", "family", "importance"]


@dataclass(frozen=True, eq=False)
class Explanation:
    """Explanations of a fitted model, as frames.

    Parameters
    ----------
    importance
        ``component``, ``model``, ``trial``, ``feature``, ``family``, ``importance``: per fitted
        global model, each feature's share of its importance (summing to 1), largest first. A
        component is one trial fitted on the series it serves (with ``group_by``, a global
        trial is fitted once per group, so one trial can give several components).
    families
        The same summed per feature family.
    contributions
        Long: the id columns, time, ``component``, ``model``, ``trial``, ``feature``,
        ``contribution`` and ``target``; feature ``"bias"`` is the base value. Per (series,
        time, component) the parts add up to that model's forecast (``target="level"``), for a
        model of first differences to the forecast's change from the step before
        (``"change"``), under a count objective to its logarithm (``"log level"``). Tables:
        one row per (row, feature).
    weights
        The id columns, ``component``, ``model``, ``trial``, ``params`` and ``weight``: which
        models serve each series, with which weight. Empty for tables.
    """

    importance: pd.DataFrame
    families: pd.DataFrame
    contributions: pd.DataFrame
    weights: pd.DataFrame = field(default_factory=pd.DataFrame)


def forecast_explanation(
    components: list[Component], ids: pd.DataFrame, times: pd.Series, future: Future, horizon: int
) -> Explanation:
    """The explanation of a blended forecast; ``times`` are the forecast's times in the output's layout."""
    importance, contributions, weights = [], [], []
    for c, comp in enumerate(components):
        model, number = comp.trial.learner, comp.trial.number
        served = comp.weights > 0
        weights.append(ids.iloc[comp.series[served]].reset_index(drop=True).assign(
            component=c, model=model, trial=number, params=json.dumps(comp.trial.params, sort_keys=True, default=str),
            weight=comp.weights[served]))
        learner = comp.learner
        if not isinstance(learner, GlobalRegressionLearner):
            continue
        names, families = learner.feature_names_, learner.pipeline_.feature_families_
        importance.append(pd.DataFrame({"component": c, "model": model, "trial": number, "feature": names, "family": families,
                                        "importance": learner.importance()}))
        parts, target = learner.contributions(horizon, future.take(comp.series))
        n, h, k = parts.shape
        rows = np.repeat(comp.series, h * k)
        frame = ids.iloc[rows].reset_index(drop=True)
        frame[times.name] = times.to_numpy().reshape(-1, h)[comp.series].repeat(k, axis=1).ravel()
        frame["component"], frame["model"], frame["trial"] = c, model, number
        frame["feature"] = np.tile([*names, "bias"], n * h)
        frame["contribution"] = parts.ravel()
        frame["target"] = target
        contributions.append(frame)
    imp = _concat(importance, _IMPORTANCE).sort_values(["component", "importance"], ascending=[True, False], ignore_index=True)
    fam = imp.groupby(["component", "model", "trial", "family"], as_index=False, sort=False)["importance"].sum()
    fam = fam.sort_values(["component", "importance"], ascending=[True, False], ignore_index=True)
    columns = [*ids.columns, str(times.name), "component", "model", "trial", "feature", "contribution", "target"]
    weight_columns = [*ids.columns, "component", "model", "trial", "params", "weight"]
    return Explanation(imp, fam if len(fam) else pd.DataFrame(columns=_FAMILIES), _concat(contributions, columns),
                       _concat(weights, weight_columns))


def _concat(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)


def table_explanation(pipeline: Any, X: pd.DataFrame, y: np.ndarray | None, loss: Callable[[np.ndarray], float],
                      seed: int = 0) -> Explanation:
    """Importances (and, for one tree or linear model, contributions) through the fitted pipeline.

    The featurized column names come from the featurizer. One model's own importances are used
    where it has them (split gain of trees, ``|coef| x std`` of linear models); an ensemble gets
    permutation importances, which need ``y``: ``loss(Z)`` is the primary metric's loss of the
    final model on featurized rows ``Z``. Contributions are given for one LightGBM model (TreeSHAP)
    or one linear model (``coef x value``, the intercept as ``bias``), on the decision scale for
    classification (the positive class's log-odds when binary); otherwise the frame is empty.
    """
    featurizer, model = pipeline[:-1], pipeline[-1]
    Z = np.asarray(featurizer.transform(X), dtype=np.float64)
    names = _feature_names(featurizer, Z.shape[1])
    own = _native_importance(model, Z)
    if own is None:
        if y is None:
            raise ConfigError("This model is an ensemble: pass y, explain(X, y), for permutation importances.")
        own = _permutation_importance(Z, loss, seed)
    share = own / own.sum() if own.sum() > 0 else own
    family = ["feature"] * len(names)
    importance = pd.DataFrame({"component": 0, "model": type(model).__name__, "trial": 0, "feature": names, "family": family,
                               "importance": share}).sort_values("importance", ascending=False, ignore_index=True)
    parts = _native_contributions(model, Z)
    if parts is None:
        contributions = pd.DataFrame(columns=["row", "feature", "contribution"])
    else:
        contributions = pd.DataFrame({"row": np.repeat(np.arange(len(Z)), len(names) + 1),
                                      "feature": np.tile([*names, "bias"], len(Z)), "contribution": parts.ravel()})
    families = importance.groupby(["component", "model", "trial", "family"], as_index=False)["importance"].sum()
    return Explanation(importance, families, contributions)


def _feature_names(featurizer: Any, n: int) -> list[str]:
    try:
        names = [str(v) for v in featurizer.get_feature_names_out()]
    except (AttributeError, ValueError, TypeError):  # a step without feature names
        names = []
    return names if len(names) == n else [f"x{j}" for j in range(n)]


def _native_importance(model: Any, Z: np.ndarray) -> np.ndarray | None:
    if hasattr(model, "booster_"):
        return np.asarray(model.booster_.feature_importance(importance_type="gain"), dtype=np.float64)
    if hasattr(model, "feature_importances_"):
        return np.asarray(model.feature_importances_, dtype=np.float64)
    if hasattr(model, "coef_"):
        coef = np.atleast_2d(np.asarray(model.coef_, dtype=np.float64))
        return np.abs(coef).sum(axis=0) * Z.std(axis=0)
    return None


def _native_contributions(model: Any, Z: np.ndarray) -> np.ndarray | None:
    if hasattr(model, "booster_"):
        parts = np.asarray(model.booster_.predict(Z, pred_contrib=True), dtype=np.float64)
        return parts if parts.shape[1] == Z.shape[1] + 1 else None  # multiclass: one block per class, not shown
    if hasattr(model, "coef_") and np.atleast_2d(model.coef_).shape[0] == 1:
        coef = np.atleast_2d(np.asarray(model.coef_, dtype=np.float64))[0]
        intercept = float(np.ravel(getattr(model, "intercept_", 0.0))[0])
        return np.column_stack([Z * coef, np.full(len(Z), intercept)])
    return None


def _permutation_importance(Z: np.ndarray, loss: Callable[[np.ndarray], float], seed: int) -> np.ndarray:
    """How much the loss grows when each column is shuffled (negative growth counts as none)."""
    rng = np.random.default_rng(seed)
    base = loss(Z)
    out = np.zeros(Z.shape[1])
    for j in range(Z.shape[1]):
        shuffled = Z.copy()
        shuffled[:, j] = rng.permutation(shuffled[:, j])
        out[j] = max(loss(shuffled) - base, 0.0)
    return out
