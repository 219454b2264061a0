from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.tree import DecisionTreeClassifier

from tsautoml.exceptions import ConfigError, DataValidationError, NotFittedError
from tsautoml.features.tabular import FLAVORS, ColumnProfile, TabularFeaturizer

from .conftest import make_mixed_table

Table = tuple[pd.DataFrame, np.ndarray]


@pytest.fixture(scope="module")
def fitted() -> dict[str, tuple[TabularFeaturizer, pd.DataFrame, np.ndarray]]:
    """One featurizer per flavor, fitted on the first 300 rows of the mixed table."""
    X, y = make_mixed_table()
    return {
        flavor: (TabularFeaturizer(flavor=flavor).fit(X.iloc[:300], y[:300]), X, y)  # type: ignore[arg-type]
        for flavor in FLAVORS
    }


@pytest.mark.parametrize("flavor", FLAVORS)
def test_output_is_dense_finite_float64_with_readable_names(flavor: str, mixed: Table) -> None:
    X, y = mixed
    featurizer = TabularFeaturizer(flavor=flavor)  # type: ignore[arg-type]
    out = featurizer.fit_transform(X, y)
    names = featurizer.get_feature_names_out().tolist()
    assert isinstance(out, np.ndarray) and out.dtype == np.float64 and out.ndim == 2
    assert np.isfinite(out).all() and np.isfinite(featurizer.transform(X)).all()
    assert out.shape[1] == featurizer.n_features_out_ == len(names) == len(set(names))
    assert {"age", "missingindicator_age", "income", "active", "member", "city"} <= set(names)
    assert {"signup__month", "signup__hour", "signup__trend", "review__tfidf__great"} <= set(names)
    plan = (
        {"plan_basic", "plan_pro", "plan_enterprise", "plan_nan"}
        if flavor == "linear"
        else {"plan"}
    )
    assert plan <= set(names)
    assert not any(n.startswith(("customer_id", "constant", "empty")) for n in names)
    assert featurizer.columns_ == X.columns.tolist()
    assert featurizer.used_columns_ == [
        "age",
        "income",
        "active",
        "member",
        "plan",
        "city",
        "signup",
        "review",
    ]
    assert isinstance(featurizer.column_transformer_, ColumnTransformer)
    assert all(isinstance(p, ColumnProfile) for p in featurizer.profiles_.values())


def test_linear_flavor_standardizes_numbers_and_tree_flavor_keeps_them(mixed: Table) -> None:
    X, y = mixed
    names = {}
    outs = {}
    for flavor in FLAVORS:
        featurizer = TabularFeaturizer(flavor=flavor).fit(X, y)  # type: ignore[arg-type]
        outs[flavor] = featurizer.transform(X)
        names[flavor] = featurizer.get_feature_names_out().tolist()
    income_tree = outs["tree"][:, names["tree"].index("income")]
    income_linear = outs["linear"][:, names["linear"].index("income")]
    np.testing.assert_allclose(income_tree, X["income"])
    assert abs(income_linear.mean()) < 1e-9 and abs(income_linear.std() - 1) < 1e-9
    codes = outs["tree"][:, names["tree"].index("plan")]
    assert set(np.unique(codes)) == {0.0, 1.0, 2.0, -2.0}  # three plans, missing is -2


@pytest.mark.parametrize("flavor", FLAVORS)
def test_transformed_rows_depend_only_on_the_fit_data(flavor: str, fitted: dict) -> None:
    featurizer, X, _ = fitted[flavor]
    rows_b, others = X.iloc[300:340], X.iloc[340:]
    alone = featurizer.transform(rows_b)
    with_first = featurizer.transform(pd.concat([rows_b, others.iloc[:30]]))[:40]
    with_last = featurizer.transform(pd.concat([others.iloc[-50:], rows_b]))[50:]
    one_by_one = np.vstack([featurizer.transform(rows_b.iloc[[i]]) for i in range(0, 40, 13)])
    np.testing.assert_array_equal(alone, with_first)
    np.testing.assert_array_equal(alone, with_last)
    np.testing.assert_array_equal(alone[::13], one_by_one)


def test_fit_transform_cross_fits_the_target_encoding(mixed: Table) -> None:
    X, y = mixed
    featurizer = TabularFeaturizer(flavor="tree")
    crossed = featurizer.fit_transform(X, y)
    plain = featurizer.transform(X)
    city = featurizer.get_feature_names_out().tolist().index("city")
    others = np.arange(crossed.shape[1]) != city
    np.testing.assert_array_equal(crossed[:, others], plain[:, others])
    assert not np.allclose(crossed[:, city], plain[:, city])
    again = TabularFeaturizer(flavor="tree").fit_transform(X, y)
    np.testing.assert_array_equal(crossed, again)  # seeded folds


@pytest.mark.parametrize("flavor", FLAVORS)
def test_unseen_categories_missing_values_and_empty_columns(flavor: str, fitted: dict) -> None:
    featurizer, X, _ = fitted[flavor]
    new = X.iloc[300:320].copy()
    new["plan"] = "platinum"
    new["city"] = ["atlantis"] * 10 + [None] * 10
    new["member"] = "perhaps"
    for column in ("age", "income", "active", "signup", "review"):
        new[column] = np.nan  # entirely missing at prediction time
    out = featurizer.transform(new)
    assert out.shape == (20, featurizer.n_features_out_) and np.isfinite(out).all()
    names = featurizer.get_feature_names_out().tolist()
    if flavor == "tree":
        assert (out[:, names.index("plan")] == -1).all()
        assert (out[:, names.index("missingindicator_age")] == 1).all()
    else:
        plans = [i for i, n in enumerate(names) if n.startswith("plan_")]
        assert (out[:, plans] == 0).all()


def test_column_order_and_extra_columns_do_not_matter(fitted: dict) -> None:
    featurizer, X, _ = fitted["linear"]
    rows = X.iloc[300:]
    shuffled = rows[rows.columns[::-1]].assign(extra=1.0).drop(columns=["customer_id", "empty"])
    np.testing.assert_array_equal(featurizer.transform(shuffled), featurizer.transform(rows))


def test_a_missing_column_is_named(fitted: dict) -> None:
    featurizer, X, _ = fitted["tree"]
    with pytest.raises(DataValidationError, match=r"X is missing columns 'city', 'review' that"):
        featurizer.transform(X.drop(columns=["review", "city"]))


def test_strings_in_a_numeric_column_are_named(fitted: dict) -> None:
    featurizer, X, _ = fitted["tree"]
    bad = X.iloc[300:310].astype({"income": object})
    bad.loc[bad.index[2], "income"] = "12,5k"
    with pytest.raises(DataValidationError, match=r"Column 'income' is numeric.*\['12,5k'\]"):
        featurizer.transform(bad)


@pytest.mark.parametrize("flavor", FLAVORS)
def test_pickle_and_clone_round_trip(flavor: str, fitted: dict) -> None:
    featurizer, X, y = fitted[flavor]
    restored = pickle.loads(pickle.dumps(featurizer))
    np.testing.assert_array_equal(restored.transform(X), featurizer.transform(X))
    np.testing.assert_array_equal(
        restored.get_feature_names_out(), featurizer.get_feature_names_out()
    )
    refit = clone(featurizer).fit(X.iloc[:300], y[:300])
    np.testing.assert_array_equal(refit.transform(X), featurizer.transform(X))


def test_pipeline_with_logistic_regression_beats_a_dummy(mixed: Table) -> None:
    X, y = mixed
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    model = make_pipeline(TabularFeaturizer(flavor="linear"), LogisticRegression(max_iter=2000))
    scores = cross_val_score(model, X, y, cv=cv, scoring="accuracy")
    dummy = cross_val_score(DummyClassifier(), X, y, cv=cv, scoring="accuracy")
    assert scores.mean() > 0.75 and dummy.mean() < 0.6
    trees = make_pipeline(TabularFeaturizer(flavor="tree"), DecisionTreeClassifier(max_depth=4))
    assert cross_val_score(trees, X, y, cv=cv).mean() > dummy.mean() + 0.1


def test_tfidf_makes_a_text_only_task_learnable() -> None:
    rng = np.random.default_rng(3)
    filler = np.array("we bought this item last week and it came in a box".split())
    label = rng.integers(0, 2, 300)
    texts = [
        " ".join(
            [*rng.choice(filler, 6), rng.choice(["refund", "broken"] if k else ["love", "perfect"])]
        )
        for k in label
    ]
    X = pd.DataFrame({"review": texts})
    model = make_pipeline(TabularFeaturizer(flavor="linear"), LogisticRegression())
    scores = cross_val_score(model, X, label, cv=5)
    assert scores.mean() > 0.95


def test_breast_cancer_numbers_pass_through_the_tree_flavor() -> None:
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    featurizer = TabularFeaturizer().fit(X, y)
    assert featurizer.get_feature_names_out().tolist() == X.columns.tolist()
    np.testing.assert_array_equal(featurizer.transform(X), X.to_numpy())


def test_multiclass_and_continuous_target_encoding() -> None:
    X, _ = make_mixed_table(n=300)
    iris_y = np.resize(load_iris().target, 300)
    multi = TabularFeaturizer(target_type="multiclass").fit(X, iris_y)
    assert {"city_0", "city_1", "city_2"} <= set(multi.get_feature_names_out())
    regression = TabularFeaturizer(flavor="linear", target_type="continuous")
    out = regression.fit_transform(X, np.linspace(0, 1, 300))
    assert "city" in regression.get_feature_names_out() and np.isfinite(out).all()


def test_without_y_high_cardinality_falls_back_to_codes(mixed: Table) -> None:
    X, _ = mixed
    tree = TabularFeaturizer(flavor="tree").fit(X)
    assert "city" in tree.get_feature_names_out()
    linear = TabularFeaturizer(flavor="linear", max_onehot=10).fit(X)
    cities = [n for n in linear.get_feature_names_out() if n.startswith("city_")]
    assert len(cities) == 10 and "city_infrequent_sklearn" in cities
    assert np.isfinite(linear.transform(X.assign(city="atlantis"))).all()


def test_set_output_pandas_names_the_columns(mixed: Table) -> None:
    X, y = mixed
    featurizer = TabularFeaturizer(flavor="linear").set_output(transform="pandas")
    frame = featurizer.fit(X, y).transform(X)
    assert isinstance(frame, pd.DataFrame)
    assert frame.columns.tolist() == featurizer.get_feature_names_out().tolist()


def test_integer_column_names_and_pinned_kinds() -> None:
    X = pd.DataFrame({0: np.arange(40.0) % 5, 1: np.arange(40) % 3})
    featurizer = TabularFeaturizer(flavor="linear", kinds={"1": "categorical"}).fit(X)
    assert featurizer.get_feature_names_out().tolist() == ["0", "1_0", "1_1", "1_2"]
    assert featurizer.transform(X.iloc[:2]).shape == (2, 4)


def test_no_usable_column_names_the_dropped_ones() -> None:
    X = pd.DataFrame({"id": np.arange(30), "same": 1.0, "void": np.nan})
    with pytest.raises(DataValidationError) as info:
        TabularFeaturizer().fit(X)
    message = str(info.value)
    assert "'id' (id-like: every value is unique)" in message
    assert "'same' (constant: one value)" in message and "'void' (all values missing)" in message


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"flavor": "forest"}, "flavor must be one of"),
        ({"target_type": "ordinal"}, "target_type must be one of"),
        ({"max_onehot": 0}, "max_onehot"),
        ({"max_text_features": 0}, "max_text_features"),
        ({"kinds": {"nope": "numeric"}}, "not in X: 'nope'"),
    ],
)
def test_bad_settings_raise_config_errors(params: dict, match: str) -> None:
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0]})
    with pytest.raises(ConfigError, match=match):
        TabularFeaturizer(**params).fit(X)


def test_bad_data_raises_data_validation_errors() -> None:
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0]})
    with pytest.raises(NotFittedError):
        TabularFeaturizer().transform(X)
    with pytest.raises(DataValidationError, match="one value per row"):
        TabularFeaturizer().fit(X, [0, 1])
    with pytest.raises(DataValidationError, match="1 missing values"):
        TabularFeaturizer().fit(X, [0.0, np.nan, 1.0])
    with pytest.raises(DataValidationError, match="no rows"):
        TabularFeaturizer().fit(X.iloc[:0])
    with pytest.raises(DataValidationError, match="DataFrame"):
        TabularFeaturizer().fit(X.to_numpy())
    with pytest.raises(DataValidationError, match="input_features"):
        TabularFeaturizer().fit(X).get_feature_names_out(["b"])
