"""The search's reports: the one leaderboard schema, each group's choice, every (group, trial)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from tsautoml.engine.chunk import ChunkData, TrialScores
from tsautoml.engine.groups import GroupLayout
from tsautoml.engine.ladder import Rung
from tsautoml.engine.refit import GroupChoice

__all__ = ["HURRIED_NOTE", "choices_frame", "group_trials", "learner_notes", "leaderboard"]

_GROUP_COUNTS = ("groups", "ok", "failed", "timeout", "skipped", "groups_served")


def leaderboard(
    scores: list[list[TrialScores]], rungs: list[Rung], choices: list[GroupChoice], strategies: dict[str, float],
    metric: str, sign: float, layout: GroupLayout, note: str = "", chosen: str = "",
    model_notes: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Every trial, then every way of combining them, best first.

    Columns: ``rank``, ``trial``, ``model``, ``rung``, ``params``, the metric per validation
    window and its mean (over the groups where the trial succeeded), ``status``, ``error``,
    ``seconds`` (of the jobs that ran it), ``fit_time`` (inside learner fit and predict), ``weight``
    (the trial's mean weight in the final forecast over all series) and ``note`` (``note`` on
    every row, ``model_notes`` on the trials of each model named). With several groups, also how
    many groups it ran on and with what outcome (``groups``, ``ok``, ``failed``, ``timeout``,
    ``skipped``) and how many it serves.
    """
    rows: dict[int, dict[str, Any]] = {}
    windows: dict[int, list[np.ndarray]] = {}
    rung_of = {t.number: rung.name for rung in rungs for t in rung.trials}
    for chunk_scores in scores:
        for s in chunk_scores:
            row = rows.setdefault(s.trial.number, _empty_row(s, rung_of.get(s.trial.number, ""), model_notes or {}))
            for st, err in zip(s.status, s.error, strict=True):
                row["groups"] += 1
                row[st if st in ("ok", "failed", "timeout", "skipped") else "failed"] += 1
                row["error"] = row["error"] or err
            ok = np.array([st == "ok" for st in s.status])
            windows.setdefault(s.trial.number, []).append(s.window_scores[ok])
            row["seconds"] += s.duration
            row["fit_time"] += s.fit_time
            row["hurried"] |= s.hurried
    weight, served = _served(choices, layout)
    frame_rows = []
    for number, row in rows.items():
        w = np.vstack(windows[number])
        with np.errstate(all="ignore"):
            per_window = np.nanmean(w, axis=0) if len(w) else np.full(w.shape[1], np.nan)
        row.update({f"{metric}_window{k}": v for k, v in enumerate(per_window)})
        finite = w[np.isfinite(w).any(axis=1)]
        row[metric] = float(np.nanmean(np.nanmean(finite, axis=1))) if len(finite) else np.nan
        row["status"] = "ok" if row["ok"] else max(("failed", "timeout", "skipped"), key=lambda k: row[k])
        row["weight"], row["groups_served"] = weight.get(number, 0.0), served.get(number, 0)
        if row.pop("hurried"):
            row["note"] = "; ".join(n for n in (row["note"], HURRIED_NOTE) if n)
        frame_rows.append(row)
    for name, score in strategies.items():
        frame_rows.append({"trial": np.nan, "model": name, "rung": "selection", "params": "{}", metric: score, "status": "ok",
                           "error": "", "seconds": 0.0, "fit_time": 0.0, "weight": 1.0 if name == chosen else 0.0,
                           "note": "chosen" if name == chosen else ""})
    return _frame(frame_rows, metric, sign, layout.n_groups > 1, note)


#: The leaderboard note of a trial that the time left made carry its first window's models forward.
HURRIED_NOTE = "the time left paid for one fit: carried its first window's models over the others"


def _empty_row(s: TrialScores, rung: str, model_notes: Mapping[str, str]) -> dict[str, Any]:
    return {"trial": s.trial.number, "model": s.trial.learner, "rung": rung,
            "params": json.dumps(s.trial.params, sort_keys=True, default=str), "groups": 0, "ok": 0, "failed": 0,
            "timeout": 0, "skipped": 0, "error": "", "seconds": 0.0, "fit_time": 0.0, "hurried": False,
            "note": model_notes.get(s.trial.learner, "")}


def learner_notes(
    learners: Mapping[str, type], season_length: int, lengths: np.ndarray, carried_windows: int
) -> dict[str, str]:
    """Per learner, how its spec changes its fits here: the history limit, the windows carried forward.

    ``carried_windows``: the validation windows after the first (0 when nothing is carried).
    """
    notes = {}
    for name, cls in learners.items():
        spec = getattr(cls, "spec", None)
        if spec is None:
            continue
        parts = []
        limit = spec.history_limit(season_length)
        longer = int((lengths > limit).sum()) if limit is not None else 0
        if longer:
            parts.append(f"fitted on the last {limit} points of the {longer} of {lengths.size} series that are longer")
        if spec.forward and carried_windows:
            parts.append(f"fitted on the first validation window; its models carried over the other {carried_windows}")
        if parts:
            notes[name] = "; ".join(parts)
    return notes


def _served(choices: list[GroupChoice], layout: GroupLayout) -> tuple[dict[int, float], dict[int, int]]:
    """Per trial number: its mean weight over all series, and the groups it serves."""
    total = max(int(layout.sizes.sum()), 1)
    weight: dict[int, float] = {}
    served: dict[int, int] = {}
    for c in choices:
        size = int(layout.sizes[c.group])
        for t, w in zip(c.members, c.weights, strict=True):
            weight[t.number] = weight.get(t.number, 0.0) + w * size / total
            served[t.number] = served.get(t.number, 0) + 1
    return weight, served


def _frame(rows: list[dict[str, Any]], metric: str, sign: float, several_groups: bool, note: str) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    window_cols = sorted((c for c in frame.columns if c.startswith(f"{metric}_window")), key=lambda c: int(c.rsplit("window", 1)[1]))
    own = frame["note"].fillna("") if "note" in frame else pd.Series([""] * len(frame), index=frame.index)
    frame["note"] = ["; ".join(part for part in (n, note) if part) for n in own]
    loss = sign * frame[metric].to_numpy(dtype=float)
    frame = frame.iloc[np.lexsort((frame["trial"].fillna(np.inf).to_numpy(), np.where(np.isfinite(loss), loss, np.inf)))]
    frame.insert(0, "rank", np.arange(1, len(frame) + 1))
    frame["trial"] = frame["trial"].astype("Int64")
    columns = ["rank", "trial", "model", "rung", "params", *window_cols, metric, "status", "error", "seconds", "fit_time",
               "weight"]
    if several_groups:
        columns += list(_GROUP_COUNTS)
        frame[list(_GROUP_COUNTS)] = frame[list(_GROUP_COUNTS)].fillna(0).astype(int)
    return frame[[*columns, "note"]].reset_index(drop=True)


def choices_frame(layout: GroupLayout, choices: list[GroupChoice], metric: str) -> pd.DataFrame:
    """One row per group: members, mean weights, validation score, note."""
    frame = layout.frame(np.array([c.group for c in choices], dtype=np.int64))
    frame["models"] = [" + ".join(t.learner for t in c.members) for c in choices]
    frame["members"] = [[t.key for t in c.members] for c in choices]
    frame["weights"] = [list(c.weights) for c in choices]
    frame[metric] = [c.score for c in choices]
    frame["note"] = [c.note for c in choices]
    return frame


def group_trials(layout: GroupLayout, chunks: list[ChunkData], scores: list[list[TrialScores]], metric: str) -> pd.DataFrame:
    """One row per (group, trial): status, score and error."""
    parts = []
    for chunk, chunk_scores in zip(chunks, scores, strict=True):
        for s in chunk_scores:
            part = layout.frame(chunk.groups[s.groups])
            part["trial"], part["model"] = s.trial.key, s.trial.learner
            part["status"], part[metric], part["error"] = s.status, s.score, s.error
            parts.append(part)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
