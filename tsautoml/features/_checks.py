"""Argument checks shared by the feature modules."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from tsautoml.data.frequency import Frequency
from tsautoml.exceptions import ConfigError, DataValidationError


def check_dtype(dtype: npt.DTypeLike) -> np.dtype:
    """The output dtype: float32 or float64."""
    out = np.dtype(dtype)
    if out not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ConfigError(
            f"dtype must be float32 or float64, got {out}. Pass dtype=np.float32 or np.float64."
        )
    return out


def check_times(times: np.ndarray, freq: Frequency) -> np.ndarray:
    """Times as int64 steps or datetime64[ns], matching the kind of ``freq``."""
    times = np.asarray(times)
    if freq.is_integer:
        if not np.issubdtype(times.dtype, np.integer):
            raise DataValidationError(
                f"Integer frequency (step {freq.step}) needs integer times, got dtype {times.dtype}. "
                "Pass integer steps or a calendar frequency such as 'D'."
            )
        return times.astype(np.int64, copy=False)
    if not np.issubdtype(times.dtype, np.datetime64):
        raise DataValidationError(
            f"freq={freq.alias!r} needs datetime64 times, got dtype {times.dtype}. "
            "Convert the time column to dates, or use an integer frequency."
        )
    return times.astype("datetime64[ns]", copy=False)
