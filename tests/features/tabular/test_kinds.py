from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tsautoml.exceptions import ConfigError, DataValidationError
from tsautoml.features.tabular import COLUMN_KINDS, ColumnProfile, profile_columns


def _kinds(X: pd.DataFrame, **kwargs: object) -> dict[str, str]:
    return {name: p.kind for name, p in profile_columns(X, **kwargs).items()}  # type: ignore[arg-type]


def test_every_kind_is_inferred_on_the_mixed_table(mixed: tuple[pd.DataFrame, np.ndarray]) -> None:
    X, _ = mixed
    before = X.copy()
    profiles = profile_columns(X)
    assert {name: p.kind for name, p in profiles.items()} == {
        "age": "numeric",
        "income": "numeric",
        "customer_id": "drop",
        "constant": "drop",
        "empty": "drop",
        "active": "boolean",
        "member": "boolean",
        "plan": "categorical",
        "city": "categorical",
        "signup": "datetime",
        "review": "text",
    }
    assert profiles["customer_id"].reason == "id-like: every value is unique"
    assert profiles["constant"].reason == "constant: one value"
    assert profiles["empty"].reason == "all values missing"
    assert profiles["city"].high_cardinality and profiles["city"].n_unique == 40
    assert not profiles["plan"].high_cardinality and profiles["plan"].n_unique == 3
    assert profiles["age"].n_missing == int(X["age"].isna().sum()) > 0
    assert profiles["empty"].n_missing == len(X) and profiles["empty"].n_unique == 0
    pd.testing.assert_frame_equal(X, before)


def test_dtypes_map_to_kinds() -> None:
    n = 30
    rng = np.random.default_rng(1)
    X = pd.DataFrame(
        {
            "flag": rng.random(n) < 0.5,
            "nullable_flag": pd.array([True, False, None] * 10, dtype="boolean"),
            "words": rng.choice(["T", "f", "Y", "n", "TRUE", "No"], n),
            "py_bools": pd.Series([True, False, None] * 10, dtype=object),
            "aware": pd.date_range("2024-01-01", periods=n, freq="D", tz="Europe/Paris"),
            "naive": pd.date_range("2024-01-01", periods=n, freq="h"),
            "count": pd.array(rng.integers(0, 5, n), dtype="Int64"),
            "duration": pd.to_timedelta(rng.integers(0, 5, n), unit="s"),
            "number_strings": rng.choice(np.array(["1.5", "2", "-3e2", None], dtype=object), n),
            "category": pd.Categorical(rng.choice([1, 2, 3], n)),
            "string": pd.array(
                rng.choice(np.array(["a", "b", None], dtype=object), n), dtype="string"
            ),
        }
    )
    assert _kinds(X) == {
        "flag": "boolean",
        "nullable_flag": "boolean",
        "words": "boolean",
        "py_bools": "boolean",
        "aware": "datetime",
        "naive": "datetime",
        "count": "numeric",
        "duration": "numeric",
        "number_strings": "numeric",
        "category": "categorical",
        "string": "categorical",
    }


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (list(range(100, 130)), "drop"),  # integer id
        ([f"C-{i:05d}" for i in range(30)], "drop"),  # string id
        ([str(i) for i in range(1000, 1030)], "drop"),  # integer id stored as strings
        (list(np.linspace(0.5, 10.0, 30)), "numeric"),  # floats are never id-like
        (list(range(19)), "numeric"),  # too few rows to call it an id
        ([f"C-{i:05d}" for i in range(19)], "categorical"),
        ([1, 2, None] * 10, "numeric"),  # integers with missing values (floats)
    ],
)
def test_id_like_columns_are_dropped(values: list[object], kind: str) -> None:
    profile = profile_columns(pd.DataFrame({"c": values}))["c"]
    assert profile.kind == kind
    assert (profile.reason == "id-like: every value is unique") == (kind == "drop")


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (["2024-01-05", "2024-02-29", None, "2023-12-31"] * 5, "datetime"),
        (["05/01/2020 10:30", "17/02/2021 08:00", "01/12/2019 23:59"] * 5, "datetime"),
        (["Jan 5, 2024", "March 3 2023", "2022-07-01T10:00:00+02:00"] * 5, "datetime"),
        (["20240105", "20240229"] * 5, "numeric"),  # plain numbers stay numbers
        (["10:30", "11:45", "08:00"] * 5, "categorical"),  # bare times are not dates
        (["Jan", "Feb", "Mar"] * 5, "categorical"),
        (["2024-01-05"] * 19 + ["soon"], "datetime"),  # 95% parse
        (["2024-01-05"] * 8 + ["soon", "later"], "categorical"),  # 80% parse
    ],
)
def test_date_strings(values: list[object], kind: str) -> None:
    assert profile_columns(pd.DataFrame({"c": values}))["c"].kind == kind


def test_free_text_versus_multi_word_categories() -> None:
    rng = np.random.default_rng(2)
    words = np.array("the parcel came late but the support team was kind and quick".split())
    reviews = [" ".join(rng.choice(words, 6)) for _ in range(60)]
    cities = rng.choice(["New York City", "Salt Lake City", "Rio de Janeiro"], 60)
    short = rng.choice(["red", "green"], 60)
    X = pd.DataFrame({"review": reviews, "city": cities, "colour": short})
    assert _kinds(X) == {"review": "text", "city": "categorical", "colour": "categorical"}


def test_pinned_kinds_override_inference(mixed: tuple[pd.DataFrame, np.ndarray]) -> None:
    X, _ = mixed
    profiles = profile_columns(
        X, {"customer_id": "categorical", "age": "drop", "review": "categorical"}, max_onehot=50
    )
    assert profiles["customer_id"].kind == "categorical"
    assert profiles["customer_id"].high_cardinality  # 400 levels > 50
    assert profiles["customer_id"].reason == "pinned by the user"
    assert profiles["age"].kind == "drop" and profiles["age"].reason == "pinned by the user"
    assert not profiles["city"].high_cardinality  # 40 levels <= 50
    assert profiles["income"].reason == ""


def test_non_string_column_names_become_strings() -> None:
    X = pd.DataFrame(np.arange(60, dtype=float).reshape(30, 2) % 7, columns=[0, 1])
    profiles = profile_columns(X, {1: "categorical"})  # type: ignore[dict-item]
    assert list(profiles) == ["0", "1"]
    assert profiles["1"].kind == "categorical"


def test_unknown_pinned_column_names_it_and_lists_the_columns() -> None:
    X = pd.DataFrame({"age": [1.0, 2.0], "city": ["a", "b"]})
    with pytest.raises(ConfigError, match=r"not in X: 'agee'.*'age', 'city'"):
        profile_columns(X, {"agee": "numeric"})


def test_unknown_kind_lists_the_kinds() -> None:
    X = pd.DataFrame({"age": [1.0, 2.0]})
    with pytest.raises(ConfigError, match=r"'age': 'number'.*'numeric', 'boolean'"):
        profile_columns(X, {"age": "number"})  # type: ignore[dict-item]
    with pytest.raises(ConfigError, match="mapping"):
        profile_columns(X, ["age"])  # type: ignore[arg-type]


def test_duplicated_columns_are_named() -> None:
    X = pd.DataFrame([[1, 2, 3]], columns=["a", "b", "a"])
    with pytest.raises(DataValidationError, match=r"duplicated column names.*\['a'\]"):
        profile_columns(X)
    with pytest.raises(DataValidationError, match="after str"):
        profile_columns(pd.DataFrame([[1, 2]], columns=[1, "1"]))


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "15"])
def test_max_onehot_must_be_a_positive_integer(bad: object) -> None:
    with pytest.raises(ConfigError, match="max_onehot"):
        profile_columns(pd.DataFrame({"a": [1.0]}), max_onehot=bad)  # type: ignore[arg-type]


def test_input_must_be_a_dataframe() -> None:
    with pytest.raises(DataValidationError, match="pd.DataFrame"):
        profile_columns(np.zeros((3, 2)))


def test_profile_checks_its_kind() -> None:
    assert set(COLUMN_KINDS) == {"numeric", "boolean", "categorical", "datetime", "text", "drop"}
    with pytest.raises(ConfigError, match="Unknown column kind 'number'"):
        ColumnProfile("a", "number", 0, 1)  # type: ignore[arg-type]
