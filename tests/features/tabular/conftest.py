"""A seeded mixed table shared by the tabular feature tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

_WORDS = "the a product arrived box item it was and with for my order very this".split()


def make_mixed_table(n: int = 400, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Every column kind, missing values, and a binary target that depends on several columns."""
    rng = np.random.default_rng(seed)
    age = rng.normal(45, 12, n)
    plan = rng.choice(["basic", "pro", "enterprise"], n)
    city = np.array([f"city_{i:02d}" for i in rng.integers(0, 40, n)], dtype=object)
    city_effect = {f"city_{i:02d}": e for i, e in enumerate(rng.normal(0, 1.5, 40))}
    signal = rng.integers(0, 2, n)
    score = (
        (age - 45) / 12
        + np.where(plan == "pro", 1.0, np.where(plan == "enterprise", 2.0, -1.0))
        + np.array([city_effect[c] for c in city])
        + np.where(signal == 1, 1.5, -1.5)
        + rng.normal(0, 0.5, n)
    )
    y = np.where(score > np.median(score), "churn", "stay")
    reviews = [
        " ".join([*rng.choice(_WORDS, 5), "great" if s else "awful", *rng.choice(_WORDS, 3)])
        for s in signal
    ]
    X = pd.DataFrame(
        {
            "age": np.where(rng.random(n) < 0.1, np.nan, age.round(1)),
            "income": rng.lognormal(10, 0.5, n),
            "customer_id": rng.permutation(n) + 10_000,
            "constant": "same",
            "empty": np.full(n, np.nan),
            "active": rng.random(n) < 0.5,
            "member": rng.choice(["yes", "no", "Yes", "NO"], n),
            "plan": pd.Series(plan).mask(rng.random(n) < 0.05),
            "city": pd.Series(city).mask(rng.random(n) < 0.05),
            "signup": pd.date_range("2020-01-01", periods=n, freq="37h").strftime("%Y-%m-%d %H:%M"),
            "review": pd.Series(reviews).mask(rng.random(n) < 0.05),
        }
    )
    return X, y


@pytest.fixture
def mixed() -> tuple[pd.DataFrame, np.ndarray]:
    return make_mixed_table()
