"""Panel data core: column spec, validation, frequency and the grouped layout."""

from tsautoml.data.columns import ColumnSpec
from tsautoml.data.frequency import Frequency, infer_frequency, resolve_frequency
from tsautoml.data.grouped import FILL_POLICIES, FillPolicy, GroupedArray, Panel

__all__ = [
    "FILL_POLICIES",
    "ColumnSpec",
    "FillPolicy",
    "Frequency",
    "GroupedArray",
    "Panel",
    "infer_frequency",
    "resolve_frequency",
]
