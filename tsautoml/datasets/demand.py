"""A multi-store daily demand panel with weekly and annual seasonality, holidays, price and promotions."""

from __future__ import annotations

import holidays as holiday_calendars
import numpy as np
import pandas as pd

__all__ = ["load_demand"]

_STORES = ("north", "south", "downtown")
_ITEMS = ("bread", "milk", "coffee", "ice_cream")


def load_demand(n_days: int = 730, *, seed: int = 0) -> pd.DataFrame:
    """Daily unit sales of 4 items in 3 stores, ending 2024-06-30 (12 series).

    Columns: ``store``, ``item`` (the two id columns), ``ds``, ``y`` (units sold),
    ``price`` and ``promo`` (known in advance, so usable as future regressors). Demand
    has a weekly profile per store, an annual cycle per item (ice cream peaks in summer,
    coffee in winter), a trend, a drop on US public holidays and a lift before them,
    price elasticity and promotion lifts. Generated deterministically from ``seed``.

    Examples
    --------
    >>> df = load_demand()
    >>> df.shape, df.groupby(["store", "item"]).ngroups
    ((8760, 6), 12)
    """
    rng = np.random.default_rng(seed)
    ds = pd.date_range(end="2024-06-30", periods=n_days, freq="D")
    t = np.arange(n_days)
    us = holiday_calendars.country_holidays("US", years=range(ds.year.min(), ds.year.max() + 1))
    holiday = ds.normalize().isin(pd.to_datetime(list(us.keys())))
    before = np.r_[holiday[1:], False]
    annual = {"bread": 0.0, "milk": 0.05, "coffee": -0.25, "ice_cream": 0.6}
    frames = []
    for s, store in enumerate(_STORES):
        weekly = 1 + rng.uniform(0.05, 0.3) * np.cos(2 * np.pi * (ds.dayofweek.to_numpy() - 5 + s) / 7)
        for item in _ITEMS:
            base = rng.uniform(20, 120)
            season = 1 + annual[item] * np.cos(2 * np.pi * (ds.dayofyear.to_numpy() - 200) / 365.25)
            list_price = rng.uniform(2, 8)
            price = (list_price * (1 + 0.05 * rng.integers(-1, 2, n_days))).round(2)
            promo = (rng.random(n_days) < 0.06).astype(np.int8)
            level = base * (1 + 0.0004 * t) * weekly * season
            level *= (price / list_price) ** -1.5 * (1 + 0.5 * promo)
            level *= np.where(holiday, 0.55, 1.0) * np.where(before, 1.25, 1.0)
            frames.append(pd.DataFrame({
                "store": store, "item": item, "ds": ds,
                "y": rng.poisson(level).astype(np.float64), "price": price, "promo": promo,
            }))
    return pd.concat(frames, ignore_index=True)
