"""Reporting for ``many_models.py``: what a run's model says, the tables, the CSV and the logs."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from _data import Dataset
from _report import commit, markdown, now

from tsautoml.metrics import owa

if TYPE_CHECKING:
    from many_models import Outcome

__all__ = ["commit", "now"]

CSV_NAME = "many_models.csv"
PEER_MEDIAN = "Median(AutoETS,AutoTheta)"
TARGET_BUDGET = 300.0
MAX_DASK_OVERHEAD = 0.15
SAME_FORECASTS = 1e-6  # largest |diff| between two runs' forecasts still called equal
MB = 1e6
CSV_COLUMNS = [
    "timestamp", "commit", "part", "dataset", "n_series", "method", "config", "workload",
    "budget_s", "wall_s", "search_s", "cpu_s", "series_per_s", "peak_mb", "driver_peak_mb",
    "workers_peak_mb", "processes", "estimate_mb", "within_estimate", "max_abs_diff", "smape",
    "mase", "owa", "stop_reason", "unstarted", "group_trials", "failed_trials",
    "skipped_trials", "fallback_groups", "served_by", "cached", "note",
]  # fmt: skip
INT_COLUMNS = [
    "n_series", "processes", "unstarted", "group_trials", "failed_trials", "skipped_trials",
    "fallback_groups",
]  # fmt: skip
#: Printed columns (CSV name -> header) of each part's table.
THROUGHPUT_TABLE = {
    "config": "config", "wall_s": "wall s", "search_s": "rungs s", "series_per_s": "series/s",
    "cpu_s": "CPU s", "peak_mb": "peak MB", "driver_peak_mb": "driver MB",
    "workers_peak_mb": "workers MB", "estimate_mb": "plan MB", "within_estimate": "peak <= plan",
    "max_abs_diff": "max |diff| vs joblib:2", "failed_trials": "failed trials", "note": "note",
}  # fmt: skip
ACCURACY_TABLE = {
    "method": "method", "budget_s": "budget s", "smape": "sMAPE", "mase": "MASE", "owa": "OWA",
    "wall_s": "wall s", "peak_mb": "peak MB", "estimate_mb": "plan MB",
    "stop_reason": "stop reason", "unstarted": "unstarted", "served_by": "served by",
    "note": "note",
}  # fmt: skip
DIGITS = {
    "wall s": 1, "rungs s": 1, "series/s": 1, "CPU s": 1, "peak MB": 0, "driver MB": 0,
    "workers MB": 0, "plan MB": 0, "budget s": 0, "sMAPE": 3, "MASE": 3, "OWA": 3,
    "unstarted": 0, "failed trials": 0,
}  # fmt: skip


# ------------------------------------------------------------------- from the model
def search_summary(model: Any) -> dict[str, Any]:
    """The plan's estimate, why the search stopped, trial counts and the models serving most groups."""
    plan, board = model.memory_plan(), model.leaderboard()
    choices, trials = model.group_choices(), model.group_leaderboard()
    failed = trials.loc[trials["status"].isin(["failed", "timeout"]), "error"].astype(str)
    common = failed.value_counts()
    return {
        "estimate": int(plan.estimate),
        "chunks": len(plan.chunks),
        "stop_reason": str(model.model_.report.stop_reason),
        "unstarted": len(model.unstarted_groups()),
        "group_trials": int(board["groups"].sum()),
        "failed_trials": int(board["failed"].sum() + board["timeout"].sum()),
        "skipped_trials": int(board["skipped"].sum()),
        "fallback_groups": int(choices["note"].astype(str).str.startswith("fallback").sum()),
        "served_by": served_by(board, len(choices)),
        "top_error": f"{common.index[0]} (x{common.iloc[0]})" if len(common) else "",
    }


def served_by(board: pd.DataFrame, n_groups: int, top: int = 3) -> str:
    """The trials serving the most groups, with their share: ``"AutoTheta 55%, AutoETS 40%"``."""
    served = board[board["groups_served"] > 0].nlargest(top, "groups_served", keep="first")
    return ", ".join(
        f"{r.model} {r.groups_served / max(n_groups, 1):.0%}" for r in served.itertuples()
    )


def tsautoml_log(model: Any) -> list[str]:
    """The log's view of a fitted run: plan, leaderboard, choices, unstarted groups, failures."""
    trials = model.group_leaderboard()
    failed = trials[trials["status"].isin(["failed", "timeout"])]
    choices = model.group_choices()
    return [
        "## memory plan", model.memory_plan().describe(), "",
        f"## stop reason: {model.model_.report.stop_reason}", "",
        "## leaderboard()", model.leaderboard().to_string(index=False, max_colwidth=60), "",
        "## group_choices(): models", choices["models"].value_counts().head(15).to_string(), "",
        "## group_choices(): notes", choices["note"].astype(str).value_counts().head(10).to_string(), "",
        f"## unstarted_groups(): {len(model.unstarted_groups())}",
        model.unstarted_groups().head(10).to_string(index=False), "",
        f"## failed or timed-out (group, trial) pairs: {len(failed)}",
        failed["error"].astype(str).value_counts().head(10).to_string() if len(failed) else "(none)",
        "",
    ]  # fmt: skip


def tsautoml_log_lines(lines: list[str], warning_lines: list[str]) -> list[str]:
    distinct = pd.Series(warning_lines, dtype=object).value_counts()
    shown = [f"{count} x {text}" for text, count in distinct.head(20).items()]
    return [f"## warnings: {len(warning_lines)}", *shown, "", "## tsautoml log (INFO)", *lines, ""]


# -------------------------------------------------------------------------- rows
def run_row(
    part: str, dataset: str, config: str, outcome: Outcome, *, workload: str = "",
    budget: float = math.nan,
) -> dict[str, Any]:  # fmt: skip
    """A CSV row of one child run (tsautoml or statsforecast): its measurements and search summary."""
    r = outcome.result
    n, wall = r.get("n_series", math.nan), r.get("wall_s", math.nan)
    estimate = r.get("estimate", math.nan) / MB
    peak = r.get("peak", math.nan) / MB
    notes = [outcome.error, r.get("top_error", "")]
    return {
        "part": part, "dataset": dataset, "n_series": n,
        "method": "statsforecast" if config.startswith("statsforecast") else "tsautoml",
        "config": config, "workload": workload, "budget_s": budget, "wall_s": wall,
        "search_s": r.get("search_s", math.nan), "cpu_s": r.get("cpu_s", math.nan),
        "series_per_s": n / wall if wall and wall == wall else math.nan,
        "peak_mb": peak, "driver_peak_mb": r.get("driver_peak", math.nan) / MB,
        "workers_peak_mb": r.get("workers_peak", math.nan) / MB,
        "processes": r.get("processes", math.nan), "estimate_mb": estimate,
        "within_estimate": _yes_no(peak <= estimate) if peak == peak and estimate == estimate else "",
        **{k: r.get(k, math.nan) for k in ("stop_reason", "unstarted", "group_trials", "failed_trials",
                                            "skipped_trials", "fallback_groups", "served_by")},
        "cached": bool(outcome.extra.get("cached", False)),
        "note": "; ".join(n for n in notes if n),
    }  # fmt: skip


def scored(scores: dict[str, float], ref: dict[str, float]) -> dict[str, float]:
    """sMAPE, MASE and their OWA against the Naive2 scores ``ref``."""
    value = owa(scores["smape"], scores["mase"], ref["smape"], ref["mase"])
    return {"smape": scores["smape"], "mase": scores["mase"], "owa": value}


def _short(note: Any, limit: int = 100) -> Any:
    """A note cut for the printed table (the CSV and the log keep it whole)."""
    return note[: limit - 3] + "..." if isinstance(note, str) and len(note) > limit else note


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


# ------------------------------------------------------------------------ throughput
def finish_throughput(name: str, rows: list[dict[str, Any]], out: Path, stamp: str) -> None:
    """Print the throughput table and the overhead/scaling/identity lines; append the CSV."""
    frame = pd.DataFrame(rows)
    n = frame["n_series"].dropna()
    print(f"\n### {name}: throughput, {int(n.iloc[0]) if len(n) else '?'} series, fixed workload")
    print(f"Workload: {frame['workload'].iloc[0]}; no time budget.")
    table = frame.reindex(columns=list(THROUGHPUT_TABLE)).rename(columns=THROUGHPUT_TABLE)
    diff = THROUGHPUT_TABLE["max_abs_diff"]
    table[diff] = [f"{v:.3g}" if v == v else "" for v in table[diff]]
    table["note"] = [_short(n) for n in table["note"]]
    print(markdown(table, DIGITS))
    for line in throughput_lines(frame):
        print(line)
    append_csv(out / CSV_NAME, frame, stamp)


def throughput_lines(frame: pd.DataFrame) -> list[str]:
    """Dask overhead against joblib (target), scaling 1 -> 2 workers, forecasts, memory."""
    by = frame.set_index("config")
    wall, failed = by["wall_s"], by["failed_trials"].fillna(0)
    lines = []
    if {"joblib:2", "dask:2"} <= set(by.index):
        over = wall["dask:2"] / wall["joblib:2"] - 1
        verdict = _yes_no(over <= MAX_DASK_OVERHEAD) if failed["dask:2"] == 0 else "not comparable"
        lines.append(
            f"Dask overhead (dask:2 / joblib:2 wall - 1): {over:+.1%} (target <= "
            f"{MAX_DASK_OVERHEAD:.0%}: {verdict})."
        )
    for backend in ("joblib", "dask"):
        if {f"{backend}:1", f"{backend}:2"} <= set(by.index):
            ratio = wall[f"{backend}:1"] / wall[f"{backend}:2"]
            lines.append(f"Scaling {backend} 1 -> 2 workers: {ratio:.2f}x (wall 1 / wall 2).")
    diffs = by["max_abs_diff"].drop("joblib:2", errors="ignore").dropna()
    if len(diffs):
        same = "yes" if diffs.max() <= SAME_FORECASTS else "no"
        lines.append(
            f"Forecasts equal to joblib:2's (|diff| <= {SAME_FORECASTS:g}): {same}; largest "
            f"|diff| {diffs.max():.3g} ({diffs.idxmax()})."
        )
    over_plan = by[by["within_estimate"] == "no"]
    if len(over_plan):
        excess = over_plan["peak_mb"] - over_plan["estimate_mb"]
        listed = ", ".join(f"{c} +{e:.0f} MB" for c, e in excess.items())
        lines.append(
            f"Peak over the plan's estimate: {listed}. The plan counts the driver as it was when "
            "planning, the panel and the chunks' fits, not the worker processes' interpreters "
            "and libraries (see workers MB) nor what the driver gathers after planning."
        )
    if (failed > 0).any():
        lines.append(
            f"Runs with failed trials: {', '.join(failed[failed > 0].index)} (see note and log)."
        )
    return lines


# -------------------------------------------------------------------------- accuracy
def finish_accuracy(
    data: Dataset, rows: list[dict[str, Any]], naive2_source: str, out: Path, stamp: str
) -> None:
    """Print the accuracy table and the target line; append the CSV."""
    frame = pd.DataFrame(rows)
    frame["dataset"], frame["part"] = data.name, "accuracy"
    frame["n_series"] = data.train["unique_id"].nunique()
    frame["method"] = frame["method"].fillna("tsautoml")
    n = int(frame["n_series"].iloc[0])
    print(f"\n### {data.name}: accuracy, {n} of {data.n_series_total} series, h={data.horizon}, "
          f"m={data.season_length}")  # fmt: skip
    print(f"OWA denominator: {naive2_source}. tsautoml: group_by=['unique_id'], joblib, 2 workers.")
    table = frame.reindex(columns=list(ACCURACY_TABLE)).rename(columns=ACCURACY_TABLE)
    table.loc[frame["cached"].eq(True), "note"] = "times from cache"
    table["note"] = [_short(n) for n in table["note"]]
    print(markdown(table, DIGITS))
    print(target_line(frame))
    append_csv(out / CSV_NAME, frame, stamp)


def target_line(frame: pd.DataFrame) -> str:
    """tsautoml's OWA at 300 s (or the nearest budget run) against the statsforecast median."""
    ours = frame[(frame["method"] == "tsautoml") & frame["owa"].notna()]
    peer = frame.loc[frame["method"] == PEER_MEDIAN, "owa"].dropna()
    if ours.empty or peer.empty:
        return "Target: not measured (a run failed; see the notes)."
    row = ours.loc[(ours["budget_s"] - TARGET_BUDGET).abs().idxmin()]
    caveat = "" if row["budget_s"] == TARGET_BUDGET else f" (no {TARGET_BUDGET:g} s run: nearest)"
    return (
        f"Target: tsautoml OWA at {row['budget_s']:g} s{caveat} <= statsforecast {PEER_MEDIAN} "
        f"OWA (no budget): {row['owa']:.3f} vs {peer.iloc[0]:.3f}: "
        f"{_yes_no(row['owa'] <= peer.iloc[0])}."
    )


# ------------------------------------------------------------------------ files
def append_csv(path: Path, frame: pd.DataFrame, stamp: str) -> None:
    out = frame.reindex(columns=CSV_COLUMNS)
    for column in INT_COLUMNS:  # counts, NaN where they do not apply
        out[column] = pd.to_numeric(out[column], errors="coerce").round().astype("Int64")
    out["timestamp"], out["commit"] = stamp, commit()
    path.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(path, mode="a", header=not path.is_file(), index=False, float_format="%.6g")


def write_log(path: Path, name: str, stamp: str, logs: Sequence[tuple[str, str]]) -> None:
    """Overwrite ``path`` with every run's log, in run order."""
    parts = [f"# many_models on {name}, {stamp}, commit {commit()}"]
    for label, text in logs:
        parts += ["", f"# ===== {label}", text]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts) + "\n")
