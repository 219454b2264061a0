"""One copy of a global learner per group of series (e.g. one LightGBM per store)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
from sklearn.base import clone

from tsautoml.data.grouped import Panel
from tsautoml.exceptions import ConfigError
from tsautoml.models.base import BaseLearner, Capabilities, Forecast, Future

__all__ = ["PerGroup"]


class PerGroup(BaseLearner):
    """Fits a clone of ``learner`` on the series of each group given by the id columns ``group_by``.

    Examples
    --------
    >>> from tsautoml.data import ColumnSpec
    >>> from tsautoml.models.linear import Ridge
    >>> from tsautoml.testing import make_panel
    >>> df = make_panel(4, min_length=40, max_length=40, nan_fraction=0.0)
    >>> df["store"] = df["unique_id"].isin(["10", "A"]).map({True: "north", False: "south"})
    >>> panel = Panel.from_frame(df, ColumnSpec(id_cols=("store", "unique_id")))
    >>> model = PerGroup(Ridge(lags="short", calendar=False, horizon=3), group_by=("store",)).fit(panel)
    >>> len(model.groups_), model.predict(3).mean.shape
    (2, (4, 3))
    """

    capabilities: ClassVar[Capabilities] = Capabilities(exogenous=True, intervals=False, scope="global")

    def __init__(self, learner: BaseLearner, group_by: tuple[str, ...] = ()) -> None:
        self.learner = learner
        self.group_by = group_by

    def _fit(self, panel: Panel, deadline: float | None) -> None:
        missing = [c for c in self.group_by if c not in panel.ids.columns]
        if not self.group_by or missing:
            raise ConfigError(
                f"PerGroup needs group_by id columns; {missing or 'none'} given, id columns are "
                f"{list(panel.ids.columns)}."
            )
        codes, _ = pd.MultiIndex.from_frame(panel.ids[list(self.group_by)]).factorize()
        self.groups_: list[tuple[np.ndarray, BaseLearner]] = []
        for code in range(int(codes.max()) + 1):
            series = np.flatnonzero(codes == code)
            self.groups_.append((series, clone(self.learner).fit(panel.select(series), deadline=deadline)))
        self.exogenous_ = sorted({c for _, model in self.groups_ for c in model.exogenous_})

    def _predict(self, horizon: int, future: Future | None, level: list[float]) -> Forecast:
        mean = np.empty((self.n_series_, horizon))
        for series, model in self.groups_:
            mean[series] = model.predict(horizon, None if future is None else future.take(series)).mean
        return Forecast(mean)
