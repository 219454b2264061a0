"""The classification / regression facade: guardrails, featurized folds, search, ensembles, one pipeline.

``fit`` reads as its steps: check the table, run the data guardrails, split it (k-fold,
holdout or the user's validation rows), featurize every fold (the featurizer is fitted on
the fold's training rows only), search the learners with the shared loop, score a greedy
and a stacked ensemble on the same folds, and refit the winner on every row as one
scikit-learn :class:`~sklearn.pipeline.Pipeline` (featurizer, then model or ensemble).
"""

from __future__ import annotations

import functools
import logging
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, TypeAlias, cast

import numpy as np
import pandas as pd
from sklearn.base import TransformerMixin, clone
from sklearn.pipeline import FeatureUnion, Pipeline

from tsautoml.backends.base import Backend, Failure
from tsautoml.backends.local import LocalBackend
from tsautoml.config import Budget, TabularCV
from tsautoml.data.table import Table, as_frame, check_table
from tsautoml.ensemble.pool import candidate_pool
from tsautoml.ensemble.stacking import StackedEnsemble, make_meta, meta_features
from tsautoml.ensemble.voting import WeightedEnsemble, caruana_weights, cross_fitted, selection_loss
from tsautoml.evaluation import Evaluation, score_table
from tsautoml.exceptions import TsAutoMLError, TsAutoMLWarning
from tsautoml.explain import Explanation, table_explanation
from tsautoml.features.tabular import (
    ColumnKind,
    Flavor,
    Guardrail,
    TabularFeaturizer,
    TargetType,
    check_guardrails,
    guardrails_frame,
    profile_columns,
)
from tsautoml.features.tabular.passthrough import NumericPassthrough
from tsautoml.metrics import get_metric
from tsautoml.metrics.base import as_loss
from tsautoml.models.registry import select_learners
from tsautoml.models.tabular import (
    TabularLearnerSpec,
    TabularTaskName,
    fit_within,
    tabular_learners,
)
from tsautoml.search.budget import ABANDON_AFTER
from tsautoml.search.loop import run_search
from tsautoml.search.space import TabularContext, tabular_spaces
from tsautoml.search.splitters import TableFold, table_folds
from tsautoml.search.tasks import TabularTask
from tsautoml.search.trial import Trial, TrialResult

__all__ = ["Featurization", "TabularModel", "TabularSettings"]

logger = logging.getLogger(__name__)

#: ``"auto"``, ``"off"`` (numeric columns as they are), ``{column: kind}`` to pin column
#: kinds, or your own scikit-learn transformer (cloned and fitted inside every fold).
Featurization: TypeAlias = Literal["auto", "off"] | Mapping[str, ColumnKind] | TransformerMixin
_SEARCH_SHARE = 0.85  # of the time budget; the rest is for the ensembles and the refit
_LARGE_CELLS, _LARGE_ROWS, _LARGE_HOLDOUT = 1_000_000, 100_000, 0.1
#: Cells x folds the featurizers and a first model get through per second of budget, about (adult,
#: 680,000 cells: its 5 folds took 5.7 s to featurize on 2 cores); beyond it a holdout is used
_CELL_FOLDS_PER_SECOND, _HURRIED_HOLDOUT = 200_000, 0.2
_IMBALANCE = 0.2  # smallest class under 20% of the largest: imbalanced
_CROSS_FIT_GROUPS = 5  # a single validation fold is cut in parts to score ensembles honestly
_FALLBACK_REFITS = 3


@dataclass(frozen=True)
class TabularSettings:
    """Everything the tabular facade needs besides the data (built by :class:`~tsautoml.AutoML`)."""

    task: TabularTaskName
    budget: Budget
    metric: str
    cv: TabularCV | None = None
    featurization: Featurization = "auto"
    allowed_models: list[str] | None = None
    blocked_models: list[str] | None = None
    seed: int = 0
    progress: bool = True


@dataclass(frozen=True, eq=False)
class _Choice:
    """A way to predict: its leaderboard entry, member trials, and weights or a meta-model."""

    result: TrialResult
    members: list[TrialResult]
    weights: np.ndarray
    meta: Any = None


class TabularModel:
    """Search classification or regression pipelines; used through ``AutoML(task="classification")``."""

    def __init__(self, settings: TabularSettings, backend: Backend) -> None:
        self.settings = settings
        self.backend = backend

    # ------------------------------------------------------------------ fit
    def fit(self, X: Any, y: Any = None, *, target: str | None = None, X_val: Any = None, y_val: Any = None) -> TabularModel:
        """Search, ensemble and refit on the table (plus the explicit validation rows, if given)."""
        start = time.monotonic()
        s = self.settings
        table, folds = self.inspect(X, y, target=target, X_val=X_val, y_val=y_val)
        task = self._task(table, folds)
        budget = s.budget
        if budget.time_s is not None:
            search_time = max(budget.time_s * _SEARCH_SHARE - (time.monotonic() - start), 0.1 * budget.time_s)
            budget = replace(budget, time_s=search_time)
        spaces = [sp for sp in tabular_spaces(self._context(table)) if sp.learner in task.learners]
        self.search_ = run_search(task, spaces, budget, self.backend, seed=s.seed, progress=s.progress)
        self.board_ = self.search_.leaderboard
        deadline = None if s.budget.time_s is None else start + s.budget.time_s
        choice = self._select(task, deadline)
        self.pipeline_ = self._refit(table, task, choice, None if deadline is None else time.time() + deadline - time.monotonic())
        self.columns_ = list(table.X.columns)
        self.elapsed_ = time.monotonic() - start
        logger.info("Fitted %s in %.1fs.", self.chosen_, self.elapsed_)
        return self

    def inspect(
        self, X: Any, y: Any = None, *, target: str | None = None, X_val: Any = None, y_val: Any = None
    ) -> tuple[Table, list[TableFold]]:
        """Check the table, make the validation folds and run the data guardrails, without searching."""
        table = check_table(X, y, task=self.settings.task, target=target, X_val=X_val, y_val=y_val)
        folds = self._folds(table)
        self._check_data(table, folds)
        return table, folds

    def _folds(self, table: Table) -> list[TableFold]:
        s, n_rows = self.settings, len(table.X)
        stratify = table.y if s.task == "classification" else None
        if table.n_validation is not None:
            return table_folds(n_rows, n_validation=table.n_validation)
        cv = s.cv
        if cv is None:
            large = table.X.size > _LARGE_CELLS or n_rows > _LARGE_ROWS
            hurried = self._hurried(table)
            if hurried and not large:
                logger.info("Validating on a %.0f%% holdout: %d-fold cross-validation of %d cells would not fit "
                            "a %.0fs budget.", 100 * _HURRIED_HOLDOUT, TabularCV().n_folds, table.X.size, s.budget.time_s)
            cv = TabularCV(holdout=_LARGE_HOLDOUT if large else _HURRIED_HOLDOUT if hurried else None)
        return table_folds(n_rows, y=stratify, n_folds=cv.n_folds, holdout=cv.holdout, seed=s.seed)

    def _check_data(self, table: Table, folds: list[TableFold]) -> None:
        """Run the data guardrails and log them; they are kept on the model."""
        s = self.settings
        pinned = s.featurization if isinstance(s.featurization, Mapping) else None
        profiles = profile_columns(table.X, pinned)
        n_folds = len(folds) if len(folds) > 1 else None
        rails = check_guardrails(table.X, table.y, s.task, profiles, n_folds=n_folds, seed=s.seed)
        if table.dropped_rows:
            rails.append(Guardrail(
                "missing_target", "done", f"{table.dropped_rows} rows without a target value were left out."
            ))
        for rail in rails:
            if rail.status == "alerted":  # accepted, but the user should act on it
                warnings.warn(f"Guardrail {rail.name}: {rail.message}", TsAutoMLWarning, stacklevel=5)
            else:
                logger.info("Guardrail %s (%s): %s", rail.name, rail.status, rail.message)
        self.guardrails_ = rails
        self.profiles_ = profiles

    def _hurried(self, table: Table) -> bool:
        """Whether 5-fold cross-validation of the table would not fit the time budget."""
        budget = self.settings.budget.time_s
        return budget is not None and table.X.size * TabularCV().n_folds > _CELL_FOLDS_PER_SECOND * budget

    def _task(self, table: Table, folds: list[TableFold]) -> TabularTask:
        s = self.settings
        learners = select_learners(tabular_learners(s.task), s.allowed_models, s.blocked_models)
        flavors = sorted({spec.flavor for spec in learners.values()}) if self._flavored() else ["custom"]
        jobs = [(flavor, fold) for flavor in flavors for fold in folds]
        featurize = functools.partial(_featurize_fold, X=table.X, y=table.y, make=self._featurizer)
        # in a hurry, starting the workers and shipping them the table costs more than it saves
        backend = LocalBackend(1) if self._hurried(table) else self.backend
        outcomes = backend.map(featurize, jobs)
        features: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {f: [] for f in flavors}
        for job, outcome in zip(jobs, outcomes, strict=True):
            if isinstance(outcome, Failure):  # run it here again: the user gets the original error
                outcome = featurize(job)
            features[job[0]].append(outcome)
        return TabularTask(s.task, table.y, folds, features, s.metric, learners, seed=s.seed)

    def _flavored(self) -> bool:
        """True when tsautoml featurizes (per learner flavor); False for ``"off"`` or a custom transformer."""
        f = self.settings.featurization
        return isinstance(f, Mapping) or f == "auto"

    def _featurizer(self, flavor: str, y: np.ndarray) -> TransformerMixin:
        """A fresh featurizer for ``flavor``."""
        f = self.settings.featurization
        if isinstance(f, str) and f == "off":
            return NumericPassthrough()
        if not self._flavored():
            return clone(f)
        target_type: TargetType = "continuous" if self.settings.task == "regression" else (
            "binary" if np.unique(y).size == 2 else "multiclass"
        )
        kinds = dict(f) if isinstance(f, Mapping) else None
        return TabularFeaturizer(
            flavor=cast(Flavor, flavor), kinds=kinds, target_type=target_type, random_state=self.settings.seed
        )

    def _context(self, table: Table) -> TabularContext:
        imbalanced = False
        if self.settings.task == "classification":
            counts = np.unique(table.y, return_counts=True)[1]
            imbalanced = bool(counts.min() < _IMBALANCE * counts.max())
        return TabularContext(self.settings.task, len(table.X), table.X.shape[1], imbalanced)

    # ---------------------------------------------------------------- select
    def _select(self, task: TabularTask, deadline: float | None) -> _Choice:
        """The best single trial, or an ensemble when it scores better and its refit fits in the budget."""
        board = self.board_
        best = board.best()
        if best is None:
            raise TsAutoMLError(f"Every trial failed; the first error was: {board.results[0].error}")
        choices = [_Choice(best, [best], np.ones(1))]
        pool = candidate_pool(board, top=5, max_models=10)
        if len(pool) > 1:
            choices += [self._greedy(task, pool, len(board)), self._stacked(task, pool, len(board) + 1)]
            for c in choices[1:]:
                board.add(c.result)
        affordable = [c for c in choices[1:] if deadline is None or self._refit_seconds(task, c) < deadline - time.monotonic()]
        winner = min(choices[:1] + affordable, key=lambda c: board.loss(c.result.score))
        self.chosen_ = winner.result.trial.key
        return winner

    def _refit_seconds(self, task: TabularTask, choice: _Choice) -> float:
        """Estimated refit time of ``choice`` on all rows: its members' fold fits, scaled up, run in parallel."""
        rows = np.mean([f.train_index.size for f in task.folds])
        used = [r for r, w in zip(choice.members, choice.weights, strict=True) if w > 0 or choice.meta is not None]
        fits = [r.fit_time / len(task.folds) for r in used]
        return sum(fits) * len(task.y) / rows / self.backend.n_workers

    def _greedy(self, task: TabularTask, pool: list[TrialResult], number: int) -> _Choice:
        preds, y, groups = np.stack([r.oof for r in pool]), task.y[task.oof_index], _groups(task)
        loss = selection_loss(task.metric, task.classes)
        oof = cross_fitted(
            groups,
            lambda m: caruana_weights(preds[:, m], y[m], loss),
            lambda w, m: np.tensordot(w, preds[:, m], axes=1),
        )
        weights = caruana_weights(preds, y, loss)
        params = {"members": {r.trial.key: round(float(w), 4) for r, w in zip(pool, weights, strict=True) if w > 0}}
        return _Choice(_score(task, Trial(number, "ensemble[greedy]", params), oof), pool, weights)

    def _stacked(self, task: TabularTask, pool: list[TrialResult], number: int) -> _Choice:
        Z, y, groups = meta_features(np.stack([r.oof for r in pool])), task.y[task.oof_index], _groups(task)
        meta = make_meta(task.task, task.seed)
        params = {"members": [r.trial.key for r in pool], "meta": type(meta).__name__}
        trial, start = Trial(number, "ensemble[stacked]", params), time.monotonic()
        try:
            oof = cross_fitted(groups, lambda m: clone(meta).fit(Z[m], y[m]), lambda f, m: task.predict(f, Z[m]))
            fitted = clone(meta).fit(Z, y)
        except Exception as exc:  # recorded on the leaderboard like any failed trial
            return _Choice(TrialResult.failed(trial, exc, time.monotonic() - start), pool, np.ones(len(pool)))
        return _Choice(_score(task, trial, oof), pool, np.ones(len(pool)), fitted)

    # ----------------------------------------------------------------- refit
    def _refit(self, table: Table, task: TabularTask, choice: _Choice, end: float | None) -> Pipeline:
        """The winner refitted on every row; a single model whose refit fails gives way to the next best.

        The winner's refit is abandoned past ``end`` (``time.time()``), and not tried when its
        estimate says it cannot make it; then the quickest models are refitted (the winner
        among them, if it is one model), without a deadline.
        """
        singles = [_Choice(r, [r], np.ones(1)) for r in self.board_.ok()
                   if r.trial.learner in task.learners and r is not choice.result]
        errors = []
        hurried = end is not None and self._refit_seconds(task, choice) > end - time.time()
        if not hurried:
            try:
                return self._refit_choice(table, task, choice, None if end is None else end + ABANDON_AFTER)
            except _RefitFailed as exc:
                errors.append(f"{choice.result.trial.key}: {exc}")
                hurried = exc.timed_out
                logger.warning("Refitting %s failed (%s); trying %s.", choice.result.trial.key, exc,
                               "the quickest" if hurried else "the next best")
        if hurried:  # out of time: the quickest refits now, the winner too (it timed out or was not tried)
            singles += [choice] if len(choice.members) == 1 else []
            singles.sort(key=lambda c: self._refit_seconds(task, c))
        for candidate in singles[:_FALLBACK_REFITS]:
            try:
                return self._refit_choice(table, task, candidate, None)
            except _RefitFailed as exc:
                errors.append(f"{candidate.result.trial.key}: {exc}")
                logger.warning("Refitting %s failed (%s); trying the next one.", candidate.result.trial.key, exc)
        raise TsAutoMLError("Refitting the best models on all rows failed: " + "; ".join(errors))

    def _refit_choice(self, table: Table, task: TabularTask, choice: _Choice, end: float | None) -> Pipeline:
        keep = [(r, w) for r, w in zip(choice.members, choice.weights, strict=True) if w > 0 or choice.meta is not None]
        flavors = sorted({task.flavor(r.trial.learner) for r, _ in keep})
        featurizer, Z, ranges = self._full_featurizer(flavors, table)
        jobs = [(r.trial, task.learners[r.trial.learner], ranges[task.flavor(r.trial.learner)]) for r, _ in keep]
        outcomes = self.backend.map(functools.partial(_fit_member, Z=Z, y=table.y, seed=task.seed), jobs, end)
        lost = {job[0].key: o for job, o in zip(jobs, outcomes, strict=True) if isinstance(o, Failure)}
        failed = [f"{key}: {o.error}" for key, o in lost.items()]
        if failed and (choice.meta is not None or len(failed) == len(jobs)):
            raise _RefitFailed("; ".join(failed), timed_out=any(o.timed_out for o in lost.values()))
        fitted = [o for o in outcomes if not isinstance(o, Failure)]
        weights = np.array([w for (_, w), o in zip(keep, outcomes, strict=True) if not isinstance(o, Failure)])
        self.refit_failures_ = failed
        self.chosen_ = choice.result.trial.key
        model = self._final_model(choice, fitted, weights, task)
        return Pipeline([("featurize", featurizer), ("model", model)])

    def _full_featurizer(
        self, flavors: list[str], table: Table
    ) -> tuple[Any, np.ndarray, dict[str, tuple[int, int]]]:
        """The featurizer of every needed flavor fitted on all rows, its (cross-fitted) output, each flavor's columns."""
        parts = [(flavor, self._featurizer(flavor, table.y)) for flavor in flavors]
        blocks = [np.asarray(t.fit_transform(table.X, table.y), dtype=np.float64) for _, t in parts]
        bounds = np.concatenate([[0], np.cumsum([b.shape[1] for b in blocks])])
        ranges = {flavor: (int(bounds[i]), int(bounds[i + 1])) for i, (flavor, _) in enumerate(parts)}
        featurizer = parts[0][1] if len(parts) == 1 else FeatureUnion(parts)
        return featurizer, np.hstack(blocks), ranges

    def _final_model(self, choice: _Choice, fitted: list, weights: np.ndarray, task: TabularTask) -> Any:
        if len(choice.members) == 1:
            return fitted[0][1]
        if choice.meta is not None:
            return StackedEnsemble.from_fitted(fitted, choice.meta, task.task, task.classes)
        return WeightedEnsemble.from_fitted(fitted, weights / weights.sum(), task.task, task.classes)

    # -------------------------------------------------------------- predict
    def predict(self, X: Any) -> np.ndarray:
        """Class labels or values for the rows of ``X`` (an empty array for no rows)."""
        frame = self._frame(X)
        if len(frame) == 0:
            classes = self.classes_ if self.settings.task == "classification" else np.empty(0)
            return np.empty(0, dtype=classes.dtype)
        return self.pipeline_.predict(frame)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, one column per class in ``classes_`` order."""
        if self.settings.task != "classification":
            raise TsAutoMLError("predict_proba is only available for task='classification'.")
        frame = self._frame(X)
        if len(frame) == 0:
            return np.empty((0, len(self.classes_)))
        return self.pipeline_.predict_proba(frame)

    @property
    def classes_(self) -> np.ndarray:
        """The class labels, in the column order of :meth:`predict_proba`."""
        return self.pipeline_.classes_

    def score(self, X: Any, y: Any) -> float:
        """The primary metric on ``(X, y)``."""
        table = check_table(X, y, task=self.settings.task)
        task_scorer = get_metric(self.settings.metric, self.settings.task)
        pred = self.predict_proba(table.X) if self.settings.task == "classification" else self.predict(table.X)
        labels = self.classes_ if self.settings.task == "classification" else None
        return task_scorer.score(table.y, pred, labels=labels)

    def evaluate(self, X: Any, y: Any, metrics: Sequence[str] | None = None) -> Evaluation:
        """The task's metrics (or ``metrics``) on ``(X, y)``."""
        table = check_table(X, y, task=self.settings.task)
        task = self.settings.task
        proba = self.predict_proba(table.X) if task == "classification" else None
        return score_table(task, np.asarray(table.y), self.predict(table.X), proba, self.classes_ if proba is not None else None, metrics)

    def explain(self, X: Any, y: Any = None) -> Explanation:
        """Importances and contributions of the featurized columns for the rows of ``X`` (see :func:`table_explanation`)."""
        frame = self._frame(X)
        metric = get_metric(self.settings.metric, self.settings.task)
        model, labels = self.pipeline_[-1], self.classes_ if self.settings.task == "classification" else None
        truth = None if y is None else np.asarray(check_table(frame, y, task=self.settings.task).y)

        def loss(Z: np.ndarray) -> float:  # only called with y given
            assert truth is not None
            pred = model.predict_proba(Z) if "probabilities" in metric.needs else model.predict(Z)
            return as_loss(metric, metric.score(truth, pred, labels=labels))

        return table_explanation(self.pipeline_, frame, truth, loss, self.settings.seed)

    def _frame(self, X: Any) -> pd.DataFrame:
        frame = as_frame(X)
        if isinstance(X, np.ndarray) and frame.shape[1] == len(self.columns_):
            frame.columns = self.columns_
        return frame

    def leaderboard(self) -> pd.DataFrame:
        """Every trial and ensemble, best first."""
        return self.board_.to_frame()

    def guardrails(self) -> pd.DataFrame:
        """The data guardrails: what was found and what was done."""
        return guardrails_frame(self.guardrails_)


class _RefitFailed(TsAutoMLError):
    """A chosen model could not be refitted on all rows (``timed_out``: it was abandoned at the deadline)."""

    def __init__(self, message: str, *, timed_out: bool = False) -> None:
        super().__init__(message)
        self.timed_out = timed_out


def _featurize_fold(
    job: tuple[str, TableFold], X: pd.DataFrame, y: np.ndarray, make: Any
) -> tuple[np.ndarray, np.ndarray]:
    """One fold's training and validation rows, featurized by a featurizer fitted on the training rows."""
    flavor, fold = job
    featurizer = make(flavor, y)
    train = featurizer.fit_transform(X.iloc[fold.train_index], y[fold.train_index])
    test = featurizer.transform(X.iloc[fold.test_index])
    return np.asarray(train, dtype=np.float32), np.asarray(test, dtype=np.float32)


def _fit_member(job: tuple[Trial, TabularLearnerSpec, tuple[int, int]], Z: np.ndarray, y: np.ndarray, seed: int) -> tuple:
    trial, spec, (a, b) = job
    return trial.key, fit_within(spec.make(trial.params, seed), Z[:, a:b], y, None), (a, b)


def _groups(task: TabularTask) -> np.ndarray:
    """The fold of every out-of-fold row; one fold is cut into random parts."""
    sizes = np.diff(task.fold_offsets)
    if sizes.size > 1:
        return np.repeat(np.arange(sizes.size), sizes)
    return np.random.default_rng(task.seed).integers(0, _CROSS_FIT_GROUPS, task.oof_index.size)


def _score(task: TabularTask, trial: Trial, oof: np.ndarray) -> TrialResult:
    """A combination's result: its honest OOF predictions scored fold by fold."""
    scores = [
        task.score_fold(fold, oof[task.fold_offsets[k] : task.fold_offsets[k + 1]]) for k, fold in enumerate(task.folds)
    ]
    return TrialResult(trial, "ok", scores, float(np.mean(scores)), oof=oof)

