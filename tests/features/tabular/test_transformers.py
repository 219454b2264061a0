from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from tsautoml.exceptions import DataValidationError, NotFittedError
from tsautoml.features.tabular import (
    BooleanEncoder,
    CategoricalCaster,
    DatetimeExpander,
    NumericCoercer,
    TextVectorizer,
)

ALL = [NumericCoercer, BooleanEncoder, CategoricalCaster, DatetimeExpander, TextVectorizer]


def test_numeric_coercer_reads_every_numeric_dtype() -> None:
    X = pd.DataFrame(
        {
            "strings": ["1.5", None, "-2e1"],
            "floats": [1.0, np.inf, -np.inf],
            "ints": pd.array([1, None, 3], dtype="Int64"),
            "bools": [True, False, True],
            "seconds": pd.to_timedelta([1, 2, None], unit="s"),
            "dates": pd.to_datetime(["1970-01-01", "1970-01-02", None]),
        }
    )
    out = NumericCoercer().fit_transform(X)
    expected = [
        [1.5, 1.0, 1.0, 1.0, 1.0, 0.0],
        [np.nan, np.nan, np.nan, 0.0, 2.0, 86_400.0],
        [-20.0, np.nan, 3.0, 1.0, np.nan, np.nan],
    ]
    np.testing.assert_array_equal(out, expected)
    assert out.dtype == np.float64
    assert np.isinf(X["floats"].iloc[1])  # the caller's data is untouched


def test_numeric_coercer_names_the_column_and_values_that_are_not_numbers() -> None:
    coercer = NumericCoercer().fit(pd.DataFrame({"age": [30, 40]}))
    bad = pd.DataFrame({"age": ["31", "unknown", "n/a", "unknown", None]})
    with pytest.raises(DataValidationError) as info:
        coercer.transform(bad)
    message = str(info.value)
    assert "Column 'age'" in message and "3 values" in message
    assert "['unknown', 'n/a']" in message and "kinds={'age': 'categorical'}" in message


def test_boolean_encoder_maps_true_false_words_and_unseen_values_to_nan() -> None:
    X = pd.DataFrame({"member": ["Yes", " no ", "T", "f", "maybe", None, "1", "FALSE"]})
    out = BooleanEncoder().fit_transform(X).ravel()
    np.testing.assert_array_equal(out, [1.0, 0.0, 1.0, 0.0, np.nan, np.nan, 1.0, 0.0])
    encoder = BooleanEncoder().fit(np.array([[True], [False]]))
    assert encoder.get_feature_names_out().tolist() == ["x0"]
    np.testing.assert_array_equal(
        encoder.transform(np.array([["y"], ["oui"]])).ravel(), [1.0, np.nan]
    )


def test_categorical_caster_unifies_integral_floats_and_keeps_missing() -> None:
    X = pd.DataFrame({"code": [1, 2.0, "b", None, np.nan, 2.5], "flag": [True] * 6})
    out = CategoricalCaster().fit_transform(X)
    assert out[:, 0].tolist()[:3] == ["1", "2", "b"]
    assert out[5, 0] == "2.5" and out[0, 1] == "True"
    assert pd.isna(out[3, 0]) and pd.isna(out[4, 0])
    token = CategoricalCaster(missing="__missing__").fit_transform(X)
    assert token[3, 0] == token[4, 0] == "__missing__"


def test_datetime_expander_matches_pandas_date_parts() -> None:
    stamps = pd.Series(pd.date_range("2023-12-30 06:00", periods=50, freq="17h"))
    X = pd.DataFrame({"when": stamps.dt.strftime("%Y-%m-%d %H:%M").where(stamps.index != 3)})
    expander = DatetimeExpander().fit(X)
    names = expander.get_feature_names_out().tolist()
    assert names == [
        f"when__{p}" for p in ("year", "month", "day", "dayofweek", "dayofyear", "hour", "trend")
    ]
    out = pd.DataFrame(expander.transform(X), columns=names)
    for part in ("year", "month", "day", "dayofweek", "dayofyear", "hour"):
        expected = getattr(stamps.dt, part).astype(float).where(stamps.index != 3)
        np.testing.assert_array_equal(out[f"when__{part}"], expected)
    years = (stamps - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=365.2425)
    np.testing.assert_allclose(out["when__trend"].drop(index=3), years.drop(index=3))
    assert np.isnan(out.iloc[3]).all()


def test_datetime_expander_hour_only_with_times_and_wall_time_for_aware_columns() -> None:
    X = pd.DataFrame(
        {
            "day": pd.date_range("2024-01-01", periods=4, freq="D"),
            "aware": pd.date_range("2024-06-01 23:00", periods=4, freq="D", tz="Asia/Tokyo"),
            "junk": ["2024-01-01", "not a date", None, "2024-13-45"],
        }
    )
    expander = DatetimeExpander().fit(X)
    names = expander.get_feature_names_out().tolist()
    assert "day__hour" not in names and "aware__hour" in names and "junk__hour" not in names
    out = pd.DataFrame(expander.transform(X), columns=names)
    assert (out["aware__hour"] == 23).all() and (out["aware__day"] == [1, 2, 3, 4]).all()
    assert out["junk__year"].tolist()[0] == 2024 and out["junk__year"].isna().sum() == 3


def test_text_vectorizer_is_dense_capped_and_split_across_columns() -> None:
    rng = np.random.default_rng(0)
    words = np.array([f"word{i}" for i in range(60)])
    X = pd.DataFrame(
        {
            "title": [" ".join(rng.choice(words, 4)) for _ in range(50)],
            "body": [" ".join(rng.choice(words, 12)) for _ in range(50)],
        }
    )
    X.loc[0, "body"] = None
    vectorizer = TextVectorizer(max_features=41).fit(X)
    out = vectorizer.transform(X)
    names = vectorizer.get_feature_names_out()
    assert isinstance(out, np.ndarray) and out.dtype == np.float64
    assert out.shape == (50, 40) == (50, len(names))
    assert sum(n.startswith("title__tfidf__") for n in names) == 20
    body = [i for i, n in enumerate(names) if n.startswith("body__tfidf__")]
    assert len(body) == 20 and (out[0, body] == 0).all()
    assert vectorizer.empty_columns_ == []


def test_text_vectorizer_skips_a_column_without_words() -> None:
    X = pd.DataFrame({"text": ["good day", "bad day", "good bad"], "symbols": ["!", "?", None]})
    vectorizer = TextVectorizer().fit(X)
    assert vectorizer.empty_columns_ == ["symbols"]
    names = vectorizer.get_feature_names_out().tolist()
    assert all(n.startswith("text__tfidf__") for n in names)
    assert vectorizer.transform(X).shape == (3, len(names))


@pytest.mark.parametrize("cls", ALL)
def test_transformers_check_fitting_and_width(cls: type) -> None:
    X = pd.DataFrame({"a": ["2024-01-01 yes 1 word", "2024-01-02 no 2 word"]})
    with pytest.raises(NotFittedError):
        cls().transform(X)
    fitted = cls().fit(X) if cls is not NumericCoercer else cls().fit(pd.DataFrame({"a": [1, 2]}))
    with pytest.raises(DataValidationError, match="fitted on 1"):
        fitted.transform(pd.DataFrame({"a": [1], "b": [2]}))
    assert clone(fitted).get_params() == fitted.get_params()


@pytest.mark.parametrize("cls", ALL)
def test_transformers_pickle_and_set_output(cls: type) -> None:
    X = pd.DataFrame({"a": ["1", "0", None, "1"], "b": ["1 word", "0 words", "1 more", None]})
    if cls is NumericCoercer:
        X = X[["a"]]
    fitted = cls().fit(X)
    restored = pickle.loads(pickle.dumps(fitted))
    out = fitted.transform(X)
    np.testing.assert_array_equal(restored.transform(X).astype(str), out.astype(str))
    framed = clone(fitted).set_output(transform="pandas").fit(X).transform(X)
    assert framed.columns.tolist() == fitted.get_feature_names_out().tolist()
