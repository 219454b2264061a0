"""Series that are valid but unusual, and what the forecast does about each.

A constant or all-zero series is forecast as its value; an intermittent one is where the
intermittent-demand models apply; values of extreme magnitude are fine because every error
and interval is scaled per series; a short series is validated on fewer windows, or, too
short for one, takes the choice of its group. :func:`note_series` names them, one row per series and note, for
``AutoML.series_notes()`` and for ``tsautoml.check``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tsautoml.data.grouped import Panel

__all__ = ["INTERMITTENT_SERIES", "INTERMITTENT_ZEROS", "WHAT_IS_DONE", "note_series", "zero_shares"]

#: Share of zero values from which a series counts as intermittent, and share of such series
#: from which the intermittent-demand models are searched.
INTERMITTENT_ZEROS, INTERMITTENT_SERIES = 0.3, 0.1
_HUGE, _TINY = 1e12, 1e-6  # largest |y| above or below which a series is noted for its magnitude
#: What the forecast does about each note, for a user deciding whether to act.
WHAT_IS_DONE = {
    "all zero": "Their forecast is 0; nothing to do.",
    "constant": "Their forecast is their value; nothing to do.",
    "intermittent": f"The intermittent-demand models are tried when at least {INTERMITTENT_SERIES:.0%} of the series are; "
                    "nothing to do.",
    "extreme magnitude": "Errors and intervals are scaled per series; nothing to do.",
    "too short to validate": "They take the choice of their group; pass longer series to validate them.",
    "fewer validation windows": "Their scores rest on fewer windows; pass longer series or ask for fewer windows.",
}


def zero_shares(panel: Panel) -> np.ndarray:
    """Each series' share of observed values that are zero."""
    y = panel.target.values
    zeros = np.add.reduceat(np.where(np.isfinite(y), y == 0, False), panel.indptr[:-1])
    return zeros / np.maximum(np.add.reduceat(np.isfinite(y), panel.indptr[:-1]), 1)


def note_series(
    panel: Panel, windows: np.ndarray | None = None, n_windows: int = 0, *, served_by: str = "the panel"
) -> pd.DataFrame:
    """One row per unusual series and note: ``series`` (position), ``note``, ``detail``.

    With ``windows``, each series' validation windows of the ``n_windows`` asked, the series
    with fewer are noted too, and those with none (they take the choice of ``served_by``,
    e.g. ``"its group"``).

    Examples
    --------
    >>> df = pd.DataFrame({"unique_id": ["a"] * 4 + ["b"] * 4, "ds": list(range(4)) * 2,
    ...                    "y": [3.0, 3.0, 3.0, 3.0, 0.0, 1.0, 0.0, 2.0]})
    >>> note_series(Panel.from_frame(df))[["series", "note"]].values.tolist()
    [[0, 'constant'], [1, 'intermittent']]
    """
    y, starts = panel.target.values, panel.indptr[:-1]
    low, high = np.fmin.reduceat(y, starts), np.fmax.reduceat(y, starts)  # fmin/fmax skip NaN
    largest = np.fmax(np.abs(low), np.abs(high))
    constant = low == high
    shares = zero_shares(panel)
    rows: list[tuple[int, str, str]] = []
    for i in np.flatnonzero(constant & (low == 0)):
        rows.append((int(i), "all zero", "every value is 0: the forecast is 0"))
    for i in np.flatnonzero(constant & (low != 0)):
        rows.append((int(i), "constant", f"every value is {low[i]:.6g}: the forecast is that value"))
    for i in np.flatnonzero(~constant & (shares >= INTERMITTENT_ZEROS)):
        rows.append((int(i), "intermittent", f"{shares[i]:.0%} of its values are zero"))
    for i in np.flatnonzero(~constant & ((largest > _HUGE) | (largest < _TINY))):
        rows.append((int(i), "extreme magnitude",
                     f"values up to {largest[i]:.3g} in size: errors and intervals are scaled per series"))
    if windows is not None:
        lengths = np.diff(panel.indptr)
        for i in np.flatnonzero(windows == 0):
            rows.append((int(i), "too short to validate",
                         f"{lengths[i]} points, too few for one validation window: it takes the choice of {served_by}"))
        for i in np.flatnonzero((windows > 0) & (windows < n_windows)):
            rows.append((int(i), "fewer validation windows",
                         f"{lengths[i]} points: validated on {windows[i]} of the {n_windows} windows"))
    frame = pd.DataFrame(rows, columns=["series", "note", "detail"])
    return frame.sort_values(["series", "note"], kind="stable", ignore_index=True)
