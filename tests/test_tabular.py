"""Classification and regression end to end through ``AutoML``: real and mixed-type data."""

from __future__ import annotations

import pickle
import time

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

import tsautoml
from tsautoml import AutoML, TabularCV
from tsautoml.exceptions import ConfigError, DataValidationError, TsAutoMLWarning
from tsautoml.testing import make_panel


def mixed_table(n: int = 600, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """Numeric with gaps, categories, yes/no, dates, free text, an id and a constant; a learnable label."""
    rng = np.random.default_rng(seed)
    income = rng.lognormal(10, 0.5, n)
    city = rng.choice(["Paris", "Lyon", "Nice", "Lille"], n)
    member = rng.choice(["yes", "no"], n)
    signup = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 1000, n), unit="D")
    words = np.array(["great", "awful", "fine", "service", "delivery", "price", "quality"])
    review = [" ".join(rng.choice(words, 6)) for _ in range(n)]
    logit = (
        1.2 * (np.log(income) - 10) / 0.5 + 1.0 * (city == "Paris") - 0.8 * (member == "no")
        + 1.5 * np.array(["great" in r for r in review]) - 1.5 * np.array(["awful" in r for r in review])
        + 0.8 * (signup.month.to_numpy() >= 7)
    )
    label = np.where(logit + rng.logistic(size=n) * 0.5 > 0.3, "churn", "stay")
    X = pd.DataFrame({
        "customer_id": np.arange(10_000, 10_000 + n),
        "income": np.where(rng.random(n) < 0.1, np.nan, income),
        "city": np.where(rng.random(n) < 0.05, None, city),
        "member": member,
        "signup": signup.strftime("%Y-%m-%d"),
        "review": review,
        "country": "FR",
    })
    return X, pd.Series(label, name="label")


@pytest.fixture(scope="module")
def mixed_fit() -> tuple[AutoML, pd.DataFrame, pd.Series, pd.DataFrame, pd.Series]:
    X, y = mixed_table()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    model = AutoML("classification", max_trials=12, seed=0, n_jobs=1, progress=False).fit(X_train, y_train)
    return model, X_train, y_train, X_test, y_test


def test_mixed_types_beat_the_majority_class(mixed_fit) -> None:
    model, _, _, X_test, y_test = mixed_fit
    majority = y_test.value_counts(normalize=True).max()
    assert model.score(X_test, y_test) > majority + 0.1
    assert list(model.classes_) == ["churn", "stay"]
    proba = model.predict_proba(X_test)
    assert proba.shape == (len(X_test), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(model.predict(X_test), model.classes_[proba.argmax(axis=1)])


def test_guardrails_report_what_was_found_and_done(mixed_fit) -> None:
    rails = mixed_fit[0].guardrails().set_index("guardrail")
    assert rails.loc["dropped_columns", "status"] == "done"
    assert "customer_id" in rails.loc["dropped_columns", "columns"]
    assert "country" in rails.loc["dropped_columns", "columns"]
    assert rails.loc["missing_values", "status"] == "done"
    assert "income" in rails.loc["missing_values", "columns"]
    assert rails.loc["target_leakage", "status"] == "passed"


def test_leaderboard_has_folds_failures_and_both_ensembles(mixed_fit) -> None:
    board = mixed_fit[0].leaderboard()
    assert {"accuracy_fold0", "accuracy_fold4", "accuracy", "status"} <= set(board.columns)
    assert {"ensemble[greedy]", "ensemble[stacked]"} <= set(board["model"])
    ok = board[board["status"] == "ok"]
    assert ok["accuracy"].is_monotonic_decreasing
    assert ok["model"].nunique() >= 5


def test_unseen_categories_and_an_all_missing_column_at_predict_time(mixed_fit) -> None:
    model, _, _, X_test, _ = mixed_fit
    odd = X_test.copy()
    odd["city"] = "Marseille"  # never seen
    odd["income"] = np.nan  # entirely missing now
    odd["review"] = None
    pred = model.predict(odd)
    assert set(pred) <= {"churn", "stay"} and len(pred) == len(odd)
    with pytest.raises(DataValidationError, match="member"):
        model.predict(X_test.drop(columns="member"))


def test_exported_pipeline_predicts_identically_after_pickling(mixed_fit) -> None:
    model, _, _, X_test, _ = mixed_fit
    pipeline = model.pipeline()
    assert isinstance(pipeline, Pipeline) and [name for name, _ in pipeline.steps] == ["featurize", "model"]
    blob = pickle.dumps(pipeline)
    assert b"tsautoml.search" not in blob and b"tsautoml.tabular" not in blob
    restored = pickle.loads(blob)
    np.testing.assert_array_equal(restored.predict_proba(X_test), model.predict_proba(X_test))
    np.testing.assert_array_equal(restored.predict(X_test), model.predict(X_test))


def test_save_and_load_round_trip(mixed_fit, tmp_path) -> None:
    model, _, _, X_test, _ = mixed_fit
    model.save(tmp_path / "m")
    again = tsautoml.load(tmp_path / "m")
    np.testing.assert_array_equal(again.predict_proba(X_test), model.predict_proba(X_test))
    manifest = (tmp_path / "m" / "manifest.json").read_text()
    assert '"classes": [' in manifest and '"review": "text"' in manifest


@pytest.mark.slow
def test_the_issue_calls_work_on_iris_and_diabetes() -> None:
    X, y = load_iris(return_X_y=True, as_frame=True)
    clf = AutoML(task="classification", time_budget=8, metric="accuracy", seed=0, progress=False).fit(X, y)
    assert (clf.predict(X) == y).mean() > 0.9
    assert clf.predict_proba(X).shape == (150, 3)
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    start = time.monotonic()
    reg = AutoML(task="regression", time_budget=8, metric="r2_score", seed=0, progress=False).fit(X, y)
    assert time.monotonic() - start < 12
    assert reg.score(X, y) > 0.4


@pytest.mark.parametrize(
    "labels",
    [np.array(["no", "yes"]), np.array([False, True]), np.array([3, 7])],
    ids=["str", "bool", "int"],
)
def test_string_boolean_and_integer_labels(labels: np.ndarray) -> None:
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    target = labels[y.to_numpy()]
    model = AutoML("classification", max_trials=3, n_jobs=1, progress=False, allowed_models=["LogisticRegression", "LightGBM"])
    model.fit(X, target)
    assert model.classes_.tolist() == labels.tolist()
    assert set(model.predict(X)) <= set(labels.tolist())
    assert (model.predict(X) == target).mean() > 0.93


def test_fit_with_a_target_column_holdout_and_explicit_validation() -> None:
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    df = X.assign(progression=y)
    holdout = AutoML("regression", max_trials=3, cv=TabularCV(holdout=0.25), n_jobs=1, progress=False)
    board = holdout.fit(df, target="progression").leaderboard()
    assert "r2_score_fold0" in board.columns and "r2_score_fold1" not in board.columns
    explicit = AutoML("regression", max_trials=3, n_jobs=1, progress=False)
    explicit.fit(X.iloc[:300], y.iloc[:300], X_val=X.iloc[300:], y_val=y.iloc[300:])
    assert explicit.score(X.iloc[300:], y.iloc[300:]) > 0.3


def test_featurization_off_records_learners_that_refuse_missing_values() -> None:
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    X = X.mask(np.random.default_rng(0).random(X.shape) < 0.05)
    model = AutoML("regression", max_trials=8, featurization="off", n_jobs=1, progress=False).fit(X, y)
    board = model.leaderboard()
    failed = board[board["status"] == "failed"]
    assert {"Ridge", "ElasticNet"} <= set(failed["model"])
    assert failed["error"].str.contains("NaN").all()
    assert board.loc[board["rank"] == 1, "status"].item() == "ok"
    with pytest.raises(DataValidationError, match="needs numeric columns"):
        AutoML("regression", max_trials=1, featurization="off", progress=False).fit(X.assign(s="a"), y)


def test_pinned_kinds_and_a_custom_transformer() -> None:
    from sklearn.preprocessing import StandardScaler

    X, y = load_iris(return_X_y=True, as_frame=True)
    pinned = AutoML("classification", max_trials=2, featurization={"petal width (cm)": "drop"}, n_jobs=1, progress=False)
    pinned.fit(X, y)
    names = pinned.pipeline().named_steps["featurize"].get_feature_names_out()
    assert not any("petal width" in str(n) for n in names)
    custom = AutoML("classification", max_trials=2, featurization=StandardScaler(), n_jobs=1, progress=False).fit(X, y)
    assert isinstance(custom.pipeline().named_steps["featurize"], StandardScaler)
    assert custom.score(X, y) > 0.9


def test_same_seed_same_leaderboard_and_predictions() -> None:
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    runs = [
        AutoML("classification", metric="AUC_weighted", max_trials=6, seed=1, n_jobs=2, progress=False).fit(X, y)
        for _ in range(2)
    ]
    columns = ["model", "params", "AUC_weighted"]
    pd.testing.assert_frame_equal(runs[0].leaderboard()[columns], runs[1].leaderboard()[columns])
    np.testing.assert_array_equal(runs[0].predict_proba(X), runs[1].predict_proba(X))


def test_imbalanced_classes_raise_the_guardrail_and_tune_class_weights() -> None:
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    keep = np.flatnonzero(y == 1).tolist() + np.flatnonzero(y == 0)[:30].tolist()  # 357 vs 30
    model = AutoML("classification", metric="AUC_weighted", max_trials=12, n_jobs=1, progress=False)
    with pytest.warns(TsAutoMLWarning, match="class_balance: Classes are imbalanced") as caught:
        model.fit(X.iloc[keep], y.iloc[keep])
    assert caught[0].filename == __file__  # points at the user's call
    assert {w.category for w in caught} == {TsAutoMLWarning}, [str(w.message) for w in caught]  # no scikit-learn noise
    rails = model.guardrails().set_index("guardrail")
    assert rails.loc["class_balance", "status"] == "alerted"
    tuned = model.leaderboard()["params"].str.contains("class_weight")
    assert tuned.any()


def test_settings_errors_are_clear() -> None:
    X, y = load_iris(return_X_y=True, as_frame=True)
    with pytest.raises(ConfigError, match="not a classification metric"):
        AutoML("classification", metric="r2_score", max_trials=1).fit(X, y)
    with pytest.raises(ConfigError, match="forecasting settings"):
        AutoML("classification", horizon=7, max_trials=1).fit(X, y)
    with pytest.raises(ConfigError, match="TabularCV"):
        AutoML("classification", cv=tsautoml.CVConfig(), max_trials=1).fit(X, y)
    with pytest.raises(DataValidationError, match="target column 'species'"):
        AutoML("classification", max_trials=1, progress=False).fit(X, target="species")
    with pytest.raises(ConfigError, match="predict_proba is for classification"):
        AutoML("forecasting", horizon=3, max_trials=1, n_jobs=1, progress=False).fit(
            make_panel(2, min_length=30, max_length=40)
        ).predict_proba(X)
    with pytest.raises(ConfigError, match="allowed_models names unknown models"):
        AutoML("regression", allowed_models=["AutoETS"], max_trials=1, progress=False).fit(X.iloc[:, :3], X.iloc[:, 3])


class _FailsOnAllRows(LogisticRegression):
    """Fits every cross-validation fold, fails on the whole table (like running out of memory)."""

    def fit(self, X, y, sample_weight=None):  # type: ignore[no-untyped-def]
        if len(X) >= 150:
            raise MemoryError("cannot allocate the full design matrix")
        return super().fit(X, y, sample_weight)


def test_a_model_that_fails_its_refit_gives_way(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    import tsautoml.tabular as facade
    from tsautoml.models.tabular import CLASSIFICATION_LEARNERS, TabularLearnerSpec
    from tsautoml.search.space import LearnerSpace

    spec = TabularLearnerSpec("Fragile", "linear", lambda params, seed: _FailsOnAllRows(C=10.0, max_iter=2000))
    monkeypatch.setitem(CLASSIFICATION_LEARNERS, "Fragile", spec)
    spaces = facade.tabular_spaces
    monkeypatch.setattr(facade, "tabular_spaces", lambda ctx: [LearnerSpace("Fragile", cost=0.1), *spaces(ctx)])
    X, y = load_iris(return_X_y=True, as_frame=True)
    model = AutoML("classification", allowed_models=["Fragile", "KNeighbors"], max_trials=2, n_jobs=1, progress=False)
    with caplog.at_level("WARNING"):
        model.fit(X, y)
    board = model.leaderboard()
    assert board.loc[board["model"] == "Fragile", "status"].item() == "ok"
    final = model.pipeline().named_steps["model"]
    members = [est for _, est, _ in getattr(final, "members_", [("", final, None)])]
    assert not any(isinstance(est, _FailsOnAllRows) for est in members)
    assert "cannot allocate" in " ".join(model.model_.refit_failures_) + caplog.text
    assert (model.predict(X) == y).mean() > 0.9


def test_automl_is_a_scikit_learn_estimator_for_clone_cross_val_score_and_grid_search() -> None:
    from sklearn.base import clone, is_classifier, is_regressor
    from sklearn.model_selection import GridSearchCV, cross_val_score

    X, y = load_iris(return_X_y=True, as_frame=True)
    model = AutoML("classification", max_trials=2, n_jobs=1, progress=False)
    assert repr(model) == "AutoML(max_trials=2, n_jobs=1, progress=False, task='classification')"
    assert is_classifier(model) and is_regressor(AutoML("regression")) and not is_classifier(AutoML("forecasting"))
    copy = clone(model)
    assert copy is not model and copy.get_params() == model.get_params()
    scores = cross_val_score(model, X, y, cv=3)
    assert scores.shape == (3,) and (scores > 0.8).all()
    grid = GridSearchCV(model, {"max_trials": [1, 2]}, cv=2).fit(X, y)
    assert grid.best_params_["max_trials"] in (1, 2) and grid.best_estimator_.max_trials == grid.best_params_["max_trials"]
