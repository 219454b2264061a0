"""Search spaces: per learner, the tuned domain, the cheap starting points and the relative cost.

Forecasting learners declare theirs in their ``spec`` (:mod:`tsautoml.models.spec`), read
here; the table learners' spaces, which depend on the table's size, are built here. The
search only reads :class:`LearnerSpace` objects.
"""

from __future__ import annotations

from dataclasses import dataclass

from tsautoml.models.registry import FORECAST_LEARNERS
from tsautoml.models.spec import Choice, Domain, FloatRange, ForecastContext, IntRange, LearnerSpace

__all__ = [
    "Choice",
    "Domain",
    "FloatRange",
    "ForecastContext",
    "IntRange",
    "LearnerSpace",
    "TabularContext",
    "forecast_spaces",
    "tabular_spaces",
]


def forecast_spaces(ctx: ForecastContext) -> list[LearnerSpace]:
    """The space of every forecasting learner whose spec applies to data like ``ctx``, cheapest first."""
    spaces = [cls.spec.space(ctx) for cls in FORECAST_LEARNERS.values() if cls.spec.applies(ctx)]
    return sorted(spaces, key=lambda s: s.cost)


@dataclass(frozen=True, slots=True)
class TabularContext:
    """Facts about a table that shape the classification / regression spaces."""

    task: str  # "classification" or "regression"
    n_rows: int
    n_features: int
    imbalanced: bool = False


def _class_weight(ctx: TabularContext) -> dict[str, Domain]:
    """Imbalanced classes: let the search decide whether balancing the class weights pays."""
    return {"class_weight": Choice((None, "balanced"))} if ctx.imbalanced else {}


def _size_cost(ctx: TabularContext, per_cell: float) -> float:
    """Relative cost of one fit growing with the table's size (the naive learner costs 1)."""
    return 1.0 + per_cell * ctx.n_rows * max(ctx.n_features, 1) / 1e4


def _tabular_lightgbm(ctx: TabularContext) -> LearnerSpace:
    small = ctx.n_rows < 2000
    domain: dict[str, Domain] = {
        "n_estimators": IntRange(20, 2000, log=True),
        "learning_rate": FloatRange(0.005, 0.3, log=True),
        "num_leaves": IntRange(4, 256, log=True),
        "min_child_samples": IntRange(2, 100, log=True),
        "colsample_bytree": FloatRange(0.3, 1.0),
        "subsample": FloatRange(0.5, 1.0),
        "reg_alpha": FloatRange(1e-3, 10.0, log=True),
        "reg_lambda": FloatRange(1e-3, 10.0, log=True),
        **_class_weight(ctx),
    }
    default = {"n_estimators": 100, "learning_rate": 0.1, "num_leaves": 31, "min_child_samples": 20}
    slow = {
        "n_estimators": 400, "learning_rate": 0.03, "num_leaves": 15 if small else 63,
        "min_child_samples": 5 if small else 20, "colsample_bytree": 0.6, "subsample": 0.8, "reg_lambda": 1.0,
    }
    return LearnerSpace("LightGBM", cost=_size_cost(ctx, 0.5), starts=(default, slow), domain=domain)


def _tabular_hist_gbm(ctx: TabularContext) -> LearnerSpace:
    domain: dict[str, Domain] = {
        "max_iter": IntRange(30, 1000, log=True),
        "learning_rate": FloatRange(0.01, 0.3, log=True),
        "max_leaf_nodes": IntRange(4, 128, log=True),
        "min_samples_leaf": IntRange(2, 100, log=True),
        "l2_regularization": FloatRange(1e-3, 10.0, log=True),
        **_class_weight(ctx),
    }
    return LearnerSpace("HistGradientBoosting", cost=_size_cost(ctx, 0.6), starts=({"max_iter": 100},), domain=domain)


def _tabular_forest(name: str, ctx: TabularContext, per_cell: float) -> LearnerSpace:
    domain: dict[str, Domain] = {
        "n_estimators": IntRange(50, 500, log=True),
        "max_features": FloatRange(0.1, 1.0),
        "min_samples_leaf": IntRange(1, 20, log=True),
        **_class_weight(ctx),
    }
    sqrt_share = max(ctx.n_features, 1) ** -0.5  # scikit-learn's "sqrt", as a share the tuner can move
    max_features = round(min(max(sqrt_share, 0.1), 1.0), 3) if ctx.task == "classification" else 0.5
    start = {"n_estimators": 200, "max_features": max_features, "min_samples_leaf": 1}
    return LearnerSpace(name, cost=_size_cost(ctx, per_cell), starts=(start,), domain=domain)


def _tabular_linear(ctx: TabularContext) -> list[LearnerSpace]:
    cost = _size_cost(ctx, 0.05)
    if ctx.task == "classification":
        domain: dict[str, Domain] = {"C": FloatRange(1e-3, 1e3, log=True), **_class_weight(ctx)}
        return [LearnerSpace("LogisticRegression", cost=cost, starts=({"C": 1.0},), domain=domain)]
    return [
        LearnerSpace("Ridge", cost=cost, starts=({"alpha": 1.0},), domain={"alpha": FloatRange(1e-3, 1e3, log=True)}),
        LearnerSpace("ElasticNet", cost=cost * 2, starts=({"alpha": 0.01, "l1_ratio": 0.5},), domain={
            "alpha": FloatRange(1e-4, 10.0, log=True), "l1_ratio": FloatRange(0.05, 1.0),
        }),
    ]


def _tabular_knn(ctx: TabularContext) -> LearnerSpace:
    domain: dict[str, Domain] = {
        "n_neighbors": IntRange(1, 100, log=True),
        "weights": Choice(("uniform", "distance")),
        "p": Choice((1, 2)),
    }
    cost = 1.0 + ctx.n_rows * ctx.n_rows * max(ctx.n_features, 1) / 2e8  # brute-force neighbours: quadratic
    return LearnerSpace("KNeighbors", cost=cost, starts=({"n_neighbors": 10, "weights": "distance"},), domain=domain)


def tabular_spaces(ctx: TabularContext) -> list[LearnerSpace]:
    """Every classification or regression learner's space for a table described by ``ctx``, cheapest first.

    Examples
    --------
    >>> ctx = TabularContext("classification", n_rows=1000, n_features=10)
    >>> [s.learner for s in tabular_spaces(ctx)][:2]
    ['LogisticRegression', 'KNeighbors']
    """
    spaces = [
        *_tabular_linear(ctx),
        _tabular_knn(ctx),
        _tabular_lightgbm(ctx),
        _tabular_hist_gbm(ctx),
        _tabular_forest("ExtraTrees", ctx, 0.8),
        _tabular_forest("RandomForest", ctx, 1.2),
    ]
    return sorted(spaces, key=lambda s: s.cost)
