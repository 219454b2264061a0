"""Seeded, realistic panels for tests and examples."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tsautoml.exceptions import ConfigError

__all__ = ["make_panel"]

_IDS = ("10", "A", "2", "b7", "1", "Z", "003", "x-1")


def make_panel(
    n_series: int = 8,
    *,
    min_length: int = 30,
    max_length: int = 90,
    freq: str | None = "D",
    season_length: int = 7,
    nan_fraction: float = 0.03,
    exogenous: bool = False,
    seed: int = 0,
) -> pd.DataFrame:
    """A long panel ``unique_id, ds, y`` of seasonal series with unequal lengths.

    Ids mix digits and letters (``"10"``, ``"A"``, ``"2"``, ...), so that string order
    differs from numeric order. Series end on the same date and start at different ones;
    ``nan_fraction`` of the target values (never a series' first) are NaN. With
    ``freq=None`` the time column holds integer steps starting at 1.
    ``exogenous=True`` adds a known-future ``price`` column that moves the target.

    Examples
    --------
    >>> df = make_panel(3, seed=1)
    >>> df["unique_id"].unique().tolist()
    ['10', 'A', '2']
    >>> df.groupby("unique_id")["ds"].max().nunique()
    1
    """
    if n_series < 1 or min_length < 1 or max_length < min_length:
        raise ConfigError("make_panel needs n_series >= 1 and 1 <= min_length <= max_length.")
    rng = np.random.default_rng(seed)
    lengths = rng.integers(min_length, max_length + 1, size=n_series)
    frames = []
    for i, n in enumerate(lengths):
        uid = _IDS[i] if i < len(_IDS) else f"s{i}"
        t = np.arange(n)
        level = rng.uniform(5, 50)
        season = rng.uniform(0.5, 3) * np.sin(2 * np.pi * t / max(season_length, 1) + rng.uniform(0, 6))
        y = level + np.cumsum(rng.normal(0, 0.3, n)) + season + rng.normal(0, 0.5, n)
        frame = {"unique_id": uid, "ds": _times(freq, n, int(lengths.max())), "y": y}
        if exogenous:
            price = rng.uniform(1, 3, n).round(2)
            frame["price"] = price
            frame["y"] = y - 2.0 * price
        frames.append(pd.DataFrame(frame))
    df = pd.concat(frames, ignore_index=True)
    nan_rows = rng.random(len(df)) < nan_fraction
    nan_rows[np.r_[0, np.cumsum(lengths)[:-1]]] = False
    df.loc[nan_rows, "y"] = np.nan
    return df


def _times(freq: str | None, n: int, longest: int) -> np.ndarray:
    if freq is None:
        return np.arange(longest - n + 1, longest + 1)
    end = pd.Timestamp("2024-06-30")
    return pd.date_range(end=end, periods=n, freq=freq).to_numpy()
