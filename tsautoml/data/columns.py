"""Column spec: which columns hold the series ids, the time and the target."""

from __future__ import annotations

from dataclasses import dataclass

from tsautoml.exceptions import ConfigError

__all__ = ["ColumnSpec"]


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """Names of the id, time and target columns of a long-format frame.

    Parameters
    ----------
    id_cols
        One or several columns that together identify a series (e.g. ``("store", "item")``).
        A single string is accepted.
    time_col
        Column with timestamps or integer time steps.
    target_col
        Column with the values to forecast.

    Examples
    --------
    >>> ColumnSpec(id_cols=("store", "item")).id_cols
    ('store', 'item')
    >>> ColumnSpec(id_cols="sku").id_cols
    ('sku',)
    """

    id_cols: tuple[str, ...] | str = ("unique_id",)
    time_col: str = "ds"
    target_col: str = "y"

    def __post_init__(self) -> None:
        ids = (self.id_cols,) if isinstance(self.id_cols, str) else tuple(self.id_cols)
        object.__setattr__(self, "id_cols", ids)
        if not ids:
            raise ConfigError("id_cols is empty. Name at least one column that identifies a series.")
        names = [*ids, self.time_col, self.target_col]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ConfigError(
                f"Column names {repeated} are used for more than one role "
                f"(ids {list(ids)}, time {self.time_col!r}, target {self.target_col!r}). "
                "Give each role its own column."
            )

    @property
    def key_cols(self) -> list[str]:
        """Id columns followed by the time column: the key of one row."""
        return [*self.id_cols, self.time_col]

    @property
    def reserved(self) -> set[str]:
        """Columns that are not exogenous features."""
        return {*self.id_cols, self.time_col, self.target_col}
