"""Classification and regression metrics, against hand values and scikit-learn."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from sklearn import metrics as skm

from tsautoml.exceptions import ConfigError, DataValidationError
from tsautoml.metrics import TabularMetric, get_metric


def clf(name: str) -> TabularMetric:
    return get_metric(name, "classification")


def reg(name: str) -> TabularMetric:
    return get_metric(name, "regression")


@pytest.fixture
def binary() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    y = rng.choice(np.array(["no", "yes"]), 60, p=[0.7, 0.3])
    p_yes = np.clip(0.35 * (y == "yes") + rng.random(60) * 0.65, 0, 1)
    return y, p_yes


@pytest.fixture
def multiclass() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(2)
    y = rng.choice(np.array(["cat", "dog", "emu"]), 90, p=[0.5, 0.3, 0.2])
    logits = rng.normal(size=(90, 3)) + 1.5 * (y[:, None] == np.array(["cat", "dog", "emu"]))
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return y, proba


def test_hand_values_binary() -> None:
    y = np.array(["a", "a", "b", "b"])
    pred = np.array(["a", "b", "b", "b"])
    assert clf("accuracy").score(y, pred) == 0.75
    # recall a = 0.5, b = 1 -> macro 0.75 -> (0.75 - 0.5) / (1 - 0.5)
    assert clf("norm_macro_recall").score(y, pred) == pytest.approx(0.5)
    # precision a = 1, b = 2/3; support 2 each
    assert clf("precision_score_weighted").score(y, pred) == pytest.approx((1 + 2 / 3) / 2)
    assert clf("f1_score_weighted").score(y, pred) == pytest.approx((2 / 3 + 0.8) / 2)


def test_hand_values_multiclass_norm_macro_recall() -> None:
    y = np.array([0, 0, 1, 1, 2, 2])
    pred = np.array([0, 0, 1, 0, 2, 1])
    # recalls 1, 0.5, 0.5 -> macro 2/3; R = 1/3 -> (2/3 - 1/3) / (2/3) = 0.5
    assert clf("norm_macro_recall").score(y, pred) == pytest.approx(0.5)
    # With a fourth class declared, R = 1/4 and the value changes.
    four = clf("norm_macro_recall").score(y, pred, labels=[0, 1, 2, 3])
    assert four == pytest.approx((2 / 3 - 0.25) / 0.75)


def test_hand_value_auc_and_log_loss() -> None:
    y = np.array(["a", "b", "b", "a"])
    p_b = np.array([0.2, 0.9, 0.6, 0.7])
    assert clf("AUC_weighted").score(y, p_b) == pytest.approx(0.75)
    expected = -np.mean(np.log([0.8, 0.9, 0.6, 0.3]))
    assert clf("log_loss").score(y, p_b) == pytest.approx(expected)


def test_binary_against_sklearn(binary: tuple[np.ndarray, np.ndarray]) -> None:
    y, p_yes = binary
    proba = np.column_stack([1 - p_yes, p_yes])
    pred = np.where(p_yes > 0.5, "yes", "no")
    assert clf("AUC_weighted").score(y, proba) == pytest.approx(
        skm.roc_auc_score(y == "yes", p_yes)
    )
    assert clf("AUC_weighted").score(y, p_yes) == pytest.approx(
        skm.roc_auc_score(y == "yes", p_yes)
    )
    assert clf("log_loss").score(y, proba) == pytest.approx(skm.log_loss(y, proba))
    assert clf("accuracy").score(y, proba) == pytest.approx(skm.accuracy_score(y, pred))
    assert clf("accuracy").score(y, p_yes) == pytest.approx(skm.accuracy_score(y, pred))
    assert clf("f1_score_weighted").score(y, pred) == pytest.approx(
        skm.f1_score(y, pred, average="weighted")
    )
    assert clf("precision_score_weighted").score(y, pred) == pytest.approx(
        skm.precision_score(y, pred, average="weighted")
    )
    assert clf("norm_macro_recall").score(y, pred) == pytest.approx(
        skm.balanced_accuracy_score(y, pred, adjusted=True)
    )


def test_binary_average_precision_weights_both_classes(
    binary: tuple[np.ndarray, np.ndarray],
) -> None:
    y, p_yes = binary
    support_yes = np.mean(y == "yes")
    expected = (1 - support_yes) * skm.average_precision_score(y == "no", 1 - p_yes)
    expected += support_yes * skm.average_precision_score(y == "yes", p_yes)
    value = clf("average_precision_score_weighted").score(y, p_yes)
    assert value == pytest.approx(expected)
    assert value != pytest.approx(skm.average_precision_score(y == "yes", p_yes))


def test_multiclass_against_sklearn(multiclass: tuple[np.ndarray, np.ndarray]) -> None:
    y, proba = multiclass
    labels = np.array(["cat", "dog", "emu"])
    pred = labels[proba.argmax(axis=1)]
    onehot = (y[:, None] == labels).astype(float)
    assert clf("AUC_weighted").score(y, proba) == pytest.approx(
        skm.roc_auc_score(y, proba, multi_class="ovr", average="weighted")
    )
    assert clf("average_precision_score_weighted").score(y, proba) == pytest.approx(
        skm.average_precision_score(onehot, proba, average="weighted")
    )
    assert clf("log_loss").score(y, proba) == pytest.approx(skm.log_loss(y, proba))
    assert clf("accuracy").score(y, proba) == pytest.approx(skm.accuracy_score(y, pred))
    assert clf("f1_score_weighted").score(y, proba) == pytest.approx(
        skm.f1_score(y, pred, average="weighted")
    )
    assert clf("precision_score_weighted").score(y, pred) == pytest.approx(
        skm.precision_score(y, pred, average="weighted")
    )
    assert clf("norm_macro_recall").score(y, proba) == pytest.approx(
        skm.balanced_accuracy_score(y, pred, adjusted=True)
    )


def test_columns_follow_the_given_label_order(multiclass: tuple[np.ndarray, np.ndarray]) -> None:
    y, proba = multiclass
    order = [2, 0, 1]
    labels = np.array(["cat", "dog", "emu"])[order]
    for name in ("AUC_weighted", "average_precision_score_weighted", "log_loss", "accuracy"):
        assert clf(name).score(y, proba[:, order], labels=labels) == pytest.approx(
            clf(name).score(y, proba)
        ), name


def test_integer_labels_against_sklearn() -> None:
    rng = np.random.default_rng(3)
    y = rng.integers(0, 4, 80)
    proba = rng.dirichlet(np.ones(4), 80)
    assert clf("AUC_weighted").score(y, proba) == pytest.approx(
        skm.roc_auc_score(y, proba, multi_class="ovr", average="weighted")
    )
    assert clf("log_loss").score(y, proba) == pytest.approx(skm.log_loss(y, proba))


def test_class_missing_from_fold_gets_no_weight() -> None:
    y = np.array(["a", "a", "b", "b"])
    proba = np.array([[0.6, 0.3, 0.1], [0.5, 0.2, 0.3], [0.2, 0.7, 0.1], [0.3, 0.4, 0.3]])
    auc = clf("AUC_weighted").score(y, proba, labels=["a", "b", "c"])
    assert auc == pytest.approx(1.0)
    with pytest.raises(DataValidationError, match="y_pred_or_proba has shape"):
        clf("AUC_weighted").score(y, proba)


def test_classification_input_errors() -> None:
    y = np.array(["a", "a", "a"])
    with pytest.raises(DataValidationError, match="AUC_weighted is undefined.*only one class"):
        clf("AUC_weighted").score(y, [0.1, 0.2, 0.3], labels=["a", "b"])
    with pytest.raises(DataValidationError, match="single class"):
        clf("log_loss").score(y, [0.1, 0.2, 0.3])
    with pytest.raises(DataValidationError, match="not probabilities.*rows \\[1\\]"):
        clf("log_loss").score(["a", "b"], [[0.5, 0.5], [0.5, 0.6]])
    with pytest.raises(DataValidationError, match="classes that are not in labels: \\['c'\\]"):
        clf("accuracy").score(["a", "c"], ["a", "a"], labels=["a", "b"])
    with pytest.raises(DataValidationError, match="but y_true has 2 rows"):
        clf("accuracy").score(["a", "b"], ["a"])
    with pytest.raises(DataValidationError, match="only valid for binary"):
        clf("log_loss").score(["a", "b", "c"], [0.1, 0.2, 0.3])


def test_regression_against_sklearn_and_scipy() -> None:
    rng = np.random.default_rng(4)
    y = rng.normal(10, 3, 50)
    pred = y + rng.normal(0, 1, 50)
    span = y.max() - y.min()
    assert reg("r2_score").score(y, pred) == pytest.approx(skm.r2_score(y, pred))
    assert reg("spearman_correlation").score(y, pred) == pytest.approx(
        stats.spearmanr(y, pred).statistic
    )
    assert reg("normalized_root_mean_squared_error").score(y, pred) == pytest.approx(
        skm.root_mean_squared_error(y, pred) / span
    )
    assert reg("normalized_mean_absolute_error").score(y, pred) == pytest.approx(
        skm.mean_absolute_error(y, pred) / span
    )


def test_regression_hand_values() -> None:
    y, pred = [1.0, 3.0, 5.0], [2.0, 3.0, 3.0]
    assert reg("normalized_root_mean_squared_error").score(y, pred) == pytest.approx(
        math.sqrt(5 / 3) / 4
    )
    assert reg("normalized_mean_absolute_error").score(y, pred) == pytest.approx(0.25)
    assert reg("r2_score").score(y, pred) == pytest.approx(1 - 5 / 8)


def test_regression_undefined_cases_are_nan() -> None:
    assert math.isnan(reg("normalized_root_mean_squared_error").score([2.0, 2.0], [1.0, 2.0]))
    assert math.isnan(reg("spearman_correlation").score([1.0, 2.0], [3.0, 3.0]))


def test_regression_input_errors() -> None:
    with pytest.raises(DataValidationError, match="non-finite"):
        reg("r2_score").score([1.0, np.nan], [1.0, 2.0])
    with pytest.raises(ConfigError, match="do not pass labels"):
        reg("r2_score").score([1.0, 2.0], [1.0, 2.0], labels=[1, 2])
