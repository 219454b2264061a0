"""Groups of series (one search each) from the ``group_by`` id columns, or one group of every series."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tsautoml.data.grouped import Panel, offsets
from tsautoml.exceptions import ConfigError

__all__ = ["GroupLayout"]


@dataclass(frozen=True, eq=False)
class GroupLayout:
    """Which series belong to which group.

    ``codes[i]`` is the group of series ``i``; group ``g``'s series are
    ``order[indptr[g]:indptr[g + 1]]`` (panel order within the group).

    Examples
    --------
    >>> ids = pd.DataFrame({"store": ["b", "a", "b"], "unique_id": ["x", "y", "z"]})
    >>> layout = GroupLayout.from_ids(ids, ["store"])
    >>> layout.codes.tolist(), layout.series(0).tolist(), layout.label(0)
    ([0, 1, 0], [0, 2], 'store=b')
    """

    codes: np.ndarray
    labels: pd.DataFrame
    order: np.ndarray
    indptr: np.ndarray

    @classmethod
    def from_ids(cls, ids: pd.DataFrame, group_by: list[str]) -> GroupLayout:
        """Groups of the id rows ``ids`` (one per series) by the columns ``group_by``."""
        missing = [c for c in group_by if c not in ids.columns]
        if missing:
            raise ConfigError(
                f"group_by columns {missing} are not id columns; the id columns are "
                f"{list(ids.columns)}. Pass them as columns=ColumnSpec(id_cols=...)."
            )
        codes, uniques = pd.MultiIndex.from_frame(ids[group_by]).factorize()
        codes = codes.astype(np.int64)
        labels = uniques.to_frame(index=False)
        labels.columns = list(group_by)
        order = np.argsort(codes, kind="stable")
        return cls(codes, labels, order, offsets(np.bincount(codes, minlength=len(labels))))

    @classmethod
    def from_panel(cls, panel: Panel, group_by: list[str] | None) -> GroupLayout:
        """Groups of the series of ``panel``; without ``group_by``, one group of every series."""
        if not group_by:
            n = panel.n_series
            return cls(np.zeros(n, dtype=np.int64), pd.DataFrame(index=range(1)), np.arange(n), np.array([0, n]))
        return cls.from_ids(panel.ids, group_by)

    @property
    def n_groups(self) -> int:
        """Number of groups."""
        return len(self.labels)

    @property
    def sizes(self) -> np.ndarray:
        """Series per group."""
        return np.diff(self.indptr)

    def series(self, group: int) -> np.ndarray:
        """Panel positions of the series of ``group``."""
        return self.order[self.indptr[group] : self.indptr[group + 1]]

    def series_of(self, groups: np.ndarray) -> np.ndarray:
        """Panel positions of the series of ``groups``, group after group."""
        if len(groups) == 0:
            return np.empty(0, dtype=np.int64)
        return np.concatenate([self.series(int(g)) for g in groups])

    def label(self, group: int) -> str:
        """``"col=value, ..."`` naming ``group``."""
        row = self.labels.iloc[group]
        return ", ".join(f"{c}={row[c]}" for c in self.labels.columns) or "all series"

    def frame(self, groups: np.ndarray) -> pd.DataFrame:
        """The ``group_by`` values of ``groups``, one row each."""
        return self.labels.iloc[np.asarray(groups, dtype=np.int64)].reset_index(drop=True)
