"""note_series names the valid but unusual series of a panel, and nothing else."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tsautoml.data.grouped import Panel
from tsautoml.data.series_notes import WHAT_IS_DONE, note_series, zero_shares


def _panel() -> Panel:
    rng = np.random.default_rng(0)
    values = {
        "normal": 10 + rng.normal(0, 1, 40),
        "flat": np.full(40, 2.5),
        "zeros": np.zeros(40),
        "sparse": np.where(np.arange(40) % 4 == 0, 3.0, 0.0),
        "huge": 1e15 * (1 + 0.1 * rng.normal(size=40)),
        "tiny": 1e-9 * (1 + 0.1 * rng.normal(size=40)),
    }
    frames = [pd.DataFrame({"unique_id": k, "ds": pd.date_range("2024-01-01", periods=len(v)), "y": v})
              for k, v in values.items()]
    return Panel.from_frame(pd.concat(frames, ignore_index=True))


def test_each_unusual_series_gets_its_note_and_the_normal_one_none() -> None:
    panel = _panel()
    notes = note_series(panel)
    got = {(str(panel.ids.iloc[row.series, 0]), row.note) for row in notes.itertuples()}
    assert got == {("flat", "constant"), ("zeros", "all zero"), ("sparse", "intermittent"),
                   ("huge", "extreme magnitude"), ("tiny", "extreme magnitude")}
    assert set(notes["note"]) <= set(WHAT_IS_DONE)
    assert "2.5" in notes.loc[notes["note"] == "constant", "detail"].item()


def test_zero_shares_match_a_plain_count() -> None:
    panel = _panel()
    y, ptr = panel.target.values, panel.indptr
    expected = [np.mean(y[a:b] == 0) for a, b in zip(ptr[:-1], ptr[1:], strict=True)]
    np.testing.assert_allclose(zero_shares(panel), expected)


def test_windows_give_the_short_series_notes() -> None:
    panel = _panel()
    windows = np.array([3, 3, 3, 1, 0, 3])
    notes = note_series(panel, windows, 3, served_by="its group").set_index("series")
    assert notes.loc[3].query("note == 'fewer validation windows'")["detail"].item().endswith("1 of the 3 windows")
    short = notes.loc[[4]].query("note == 'too short to validate'")["detail"].item()
    assert short.endswith("the choice of its group")
