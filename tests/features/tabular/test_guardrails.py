from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_diabetes, load_iris

from tsautoml.exceptions import ConfigError, DataValidationError
from tsautoml.features.tabular import (
    GUARDRAIL_NAMES,
    GUARDRAIL_STATUSES,
    Guardrail,
    check_guardrails,
    guardrails_frame,
    profile_columns,
)

Table = tuple[pd.DataFrame, np.ndarray]


def _check(
    X: pd.DataFrame, y: np.ndarray, task: str = "classification", n_folds: int | None = 5
) -> dict[str, Guardrail]:
    rails = check_guardrails(X, y, task, profile_columns(X), n_folds=n_folds)  # type: ignore[arg-type]
    return {rail.name: rail for rail in rails}


def test_iris_passes_every_check() -> None:
    X, y = load_iris(return_X_y=True, as_frame=True)
    rails = check_guardrails(X, y.to_numpy(), "classification", profile_columns(X), n_folds=5)
    assert [r.name for r in rails] == list(GUARDRAIL_NAMES)
    assert all(r.status == "passed" for r in rails), rails
    assert all(r.message.endswith(".") for r in rails)


def test_regression_has_no_class_checks() -> None:
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    rails = check_guardrails(X, y.to_numpy(), "regression", profile_columns(X), n_folds=5)
    assert [r.name for r in rails] == [
        "missing_values",
        "high_cardinality",
        "dropped_columns",
        "target_leakage",
    ]
    assert all(r.status == "passed" for r in rails)


def test_imbalanced_classes_are_alerted_with_their_counts() -> None:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.normal(size=1000)})
    y = np.array(["ok"] * 950 + ["fraud"] * 50)
    rail = _check(X, y)["class_balance"]
    assert rail.status == "alerted"
    assert "'fraud' has 50 rows, 5% of the largest class 'ok' (950 rows)" in rail.message
    assert "'ok': 950, 'fraud': 50" in rail.message
    assert rail.message.endswith(
        "Folds are stratified so every fold keeps the class shares, and the search also tries "
        "class_weight='balanced'."
    )
    balanced = _check(X, np.array(["ok"] * 800 + ["fraud"] * 200))["class_balance"]
    assert balanced.status == "passed"  # 25% of the largest class


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_a_column_derived_from_the_target_is_alerted(task: str) -> None:
    rng = np.random.default_rng(1)
    n = 600
    y = rng.integers(0, 3, n) if task == "classification" else rng.normal(size=n)
    X = pd.DataFrame(
        {
            "honest": rng.normal(size=n) + 0.3 * y,
            "leak": y + rng.normal(0, 1e-3, n),
            "noise": rng.normal(size=n),
        }
    )
    rail = _check(X, y, task)["target_leakage"]
    metric = "balanced accuracy" if task == "classification" else "R²"
    assert rail.status == "alerted" and rail.columns == ("leak",)
    assert rail.message.startswith(
        f"Column 'leak' alone predicts the target almost perfectly ({metric} "
    )
    assert rail.message.endswith(
        "in 3-fold CV): check it is not derived from the target or unknown at prediction time."
    )


def test_leaked_categorical_and_several_leaks_are_named() -> None:
    rng = np.random.default_rng(2)
    y = rng.choice(["approved", "rejected"], 500)
    X = pd.DataFrame(
        {
            "status_text": np.char.add("decision: ", y),
            "status_code": np.where(y == "approved", 1, 0),
            "region": rng.choice(["north", "south"], 500),
        }
    )
    rail = _check(X, y)["target_leakage"]
    assert rail.status == "alerted" and set(rail.columns) == {"status_text", "status_code"}
    assert "Columns 'status_text' (balanced accuracy 1.000)" in rail.message
    assert "'status_code' (balanced accuracy 1.000)" in rail.message


def test_classes_with_fewer_rows_than_folds_are_alerted() -> None:
    rng = np.random.default_rng(3)
    X = pd.DataFrame({"x": rng.normal(size=106)})
    y = np.array(["a"] * 50 + ["b"] * 50 + ["c"] * 4 + ["d"] * 2)
    rail = _check(X, y)["rows_per_class"]
    assert rail.status == "alerted"
    assert rail.message == (
        "Classes 'c': 4, 'd': 2 have fewer rows than the 5 cross-validation folds: some folds "
        "will not see them. Add rows, merge rare classes, or use fewer folds."
    )
    assert _check(X, y, n_folds=3)["rows_per_class"].message.startswith("Class 'd': 2 has fewer")
    assert "rows_per_class" not in _check(X, y, n_folds=None)


def test_missing_high_cardinality_and_dropped_columns_are_done(mixed: Table) -> None:
    X, y = mixed
    rails = _check(X, y)
    missing = rails["missing_values"]
    assert missing.status == "done" and missing.columns == ("age", "plan", "city", "review")
    n_age = int(X["age"].isna().sum())
    assert f"'age' ({n_age} missing, 10%: median + missing indicator)" in missing.message
    assert "'plan' (" in missing.message and "its own category" in missing.message
    assert "empty string" in missing.message and "'empty'" not in missing.message
    high = rails["high_cardinality"]
    assert high.status == "done" and high.columns == ("city",)
    assert "'city' (40 levels)" in high.message and "target-encoded (cross-fitted)" in high.message
    dropped = rails["dropped_columns"]
    assert dropped.status == "done" and dropped.columns == ("customer_id", "constant", "empty")
    assert "'customer_id' (id-like: every value is unique)" in dropped.message
    assert "'constant' (constant: one value)" in dropped.message
    assert "'empty' (all values missing)" in dropped.message
    assert rails["target_leakage"].status == "passed"
    assert rails["class_balance"].status == "passed"


@pytest.mark.parametrize(
    "y",
    [
        np.array(["yes", "no"] * 30),
        np.array([True, False, False] * 20),
        np.array([3, 1, 2] * 20),
        np.array([0.5, 1.5] * 30),
        np.array(["a", 1, 2.5] * 20, dtype=object),
        np.array(["only"] * 60),
    ],
)
def test_any_label_type_works(y: np.ndarray) -> None:
    rng = np.random.default_rng(4)
    X = pd.DataFrame({"x": rng.normal(size=60), "c": rng.choice(["u", "v"], 60)})
    rails = _check(X, y)
    assert set(rails) == set(GUARDRAIL_NAMES)
    assert all(r.status in GUARDRAIL_STATUSES for r in rails.values())


def test_regression_needs_numbers_and_bad_settings_are_config_errors() -> None:
    X = pd.DataFrame({"x": np.arange(30.0)})
    with pytest.raises(DataValidationError, match="numeric y"):
        _check(X, np.array(["a", "b", "c"] * 10), "regression", None)
    with pytest.raises(ConfigError, match="task must be one of"):
        _check(X, np.zeros(30), "ranking")
    with pytest.raises(ConfigError, match="n_folds"):
        _check(X, np.zeros(30), n_folds=1)
    with pytest.raises(ConfigError, match="status"):
        Guardrail("missing_values", "ok", "?")  # type: ignore[arg-type]


def test_guardrails_frame() -> None:
    rails = [
        Guardrail("dropped_columns", "done", "2 columns were dropped.", ("id", "same")),
        Guardrail("target_leakage", "passed", "No leak."),
    ]
    frame = guardrails_frame(rails)
    assert frame.columns.tolist() == ["guardrail", "status", "message", "columns"]
    assert frame["columns"].tolist() == ["id, same", ""]
    assert guardrails_frame([]).columns.tolist() == ["guardrail", "status", "message", "columns"]


def test_leakage_check_is_fast_and_seeded_on_a_large_table() -> None:
    rng = np.random.default_rng(5)
    n = 50_000
    columns: dict[str, object] = {f"num{i}": rng.normal(size=n) for i in range(9)}
    columns.update(
        {f"cat{i}": rng.choice([f"v{j}" for j in range(50 * i + 5)], n) for i in range(4)}
    )
    columns["flag"] = rng.random(n) < 0.3
    columns["leak"] = np.zeros(n)
    X = pd.DataFrame(columns)
    y = rng.integers(0, 2, n)
    X["leak"] = y * 2.0 - 1.0
    profiles = profile_columns(X)
    start = time.perf_counter()
    rails = check_guardrails(X, y, "classification", profiles, n_folds=5, seed=7)
    elapsed = time.perf_counter() - start
    assert elapsed < 10.0  # about 0.3 s; generous for slow CI machines
    leak = {r.name: r for r in rails}["target_leakage"]
    assert leak.columns == ("leak",)
    again = check_guardrails(X, y, "classification", profiles, n_folds=5, seed=7)
    assert again == rails
