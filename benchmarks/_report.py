"""Reporting for ``forecast_accuracy.py``: markdown tables, the results CSV and the run logs."""

from __future__ import annotations

import math
import subprocess
import traceback
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import _data
import numpy as np
import pandas as pd
from _data import Dataset

ROOT = Path(__file__).resolve().parents[1]

PEERS = ("SeasonalNaive", "AutoETS", "AutoTheta", "AutoARIMA")
ENSEMBLE = "Median(ETS,Theta,ARIMA)"
TSAUTOML = "tsautoml"
#: Published Tourism method (tourism_reference_results.csv) matching each row here.
TOURISM_NAMES = {
    "SeasonalNaive": "Naive",
    "AutoETS": "ETS",
    "AutoTheta": "Theta",
    "AutoARIMA": "ARIMA",
}
CSV_COLUMNS = [
    "timestamp", "commit", "dataset", "n_series", "budget_s", "method", "smape", "mase", "owa",
    "mape", "wall_s", "cpu_s", "cached", "n_trials", "stop_reason", "trial_overhead",
    "failed_share", "search_overhead", "post_search_share", "note",
]  # fmt: skip


# -------------------------------------------------------------------------------- tables
def markdown(frame: pd.DataFrame, digits: dict[str, int]) -> str:
    """A markdown table; numbers rounded per ``digits``, missing values blank."""

    def cell(col: str, value: Any) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return ""
        if (
            col in digits
            and isinstance(value, int | float | np.floating)
            and not isinstance(value, bool)
        ):
            return f"{value:.{digits[col]}f}"
        return str(value)

    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    for record in frame.to_dict("records"):
        lines.append("| " + " | ".join(cell(c, record[c]) for c in frame.columns) + " |")
    return "\n".join(lines)


def print_dataset(data: Dataset, scores: pd.DataFrame, naive2_source: str) -> None:
    table = scores[["method", "smape", "mase", "owa", "wall_s", "cpu_s", "note"]].copy()
    table.loc[scores["cached"].fillna(False).astype(bool), "note"] = (
        "times from cache; " + table["note"].fillna("")
    ).str.rstrip("; ")
    table.columns = ["method", "sMAPE", "MASE", "OWA", "wall s", "CPU s", "note"]
    n = data.train["unique_id"].nunique()
    print(
        f"\n### {data.name}: {n} of {data.n_series_total} series, h={data.horizon}, m={data.season_length}"
    )
    print(f"OWA denominator: {naive2_source}.")
    print(markdown(table, {"sMAPE": 3, "MASE": 3, "OWA": 3, "wall s": 1, "CPU s": 1}))
    ts = scores[scores["method"] == TSAUTOML]
    if len(ts) and not pd.isna(ts["n_trials"].iloc[0]):
        print(_search_line(ts.iloc[0]))


def _search_line(row: pd.Series) -> str:
    return (
        f"tsautoml search: {int(row['n_trials'])} trials ({int(row['n_ok'])} ok), stop: "
        f"{row['stop_reason']}; fit {row['fit_wall_s']:.1f} s, search {row['search_wall_s']:.1f} s; "
        f"trial overhead {row['trial_overhead']:.1%}, failed-trial share {row['failed_share']:.1%}, "
        f"search overhead {row['search_overhead']:.1%}, post-search share "
        f"{row['post_search_share']:.1%}"
    )


def naive2_check(data: Dataset, scores: pd.DataFrame) -> None:
    """Compare the Naive2 row with the reference stored in the dataset's JSON (full data only)."""
    ref = data.meta.get("naive2_reference_on_this_file")
    row = scores[scores["method"] == "Naive2"]
    if ref and not data.subsampled and len(row):
        s, m = row["smape"].iloc[0], row["mase"].iloc[0]
        print(
            f"Naive2 check: sMAPE {s:.3f} (JSON {ref['sMAPE']}), MASE {m:.3f} (JSON {ref['MASE']})"
        )


def print_tourism(data: Dataset, scores: pd.DataFrame) -> None:
    """Our MAPE/MASE next to the published full-horizon values (Tcomp's reproduction)."""
    ref = _data.tourism_reference(data.name, data.data_dir)
    if ref is None:
        return
    rows = []
    for _, r in scores[scores["method"] != "Naive2"].iterrows():
        pub = TOURISM_NAMES.get(r["method"])
        known = pub is not None and pub in ref.index
        rows.append({
            "method": r["method"], "MAPE": r["mape"], "MASE": r["mase"],
            "published": pub if known else "",
            "pub. MAPE": ref.loc[pub, "MAPE"] if known else math.nan,
            "pub. MASE": ref.loc[pub, "MASE"] if known else math.nan,
        })  # fmt: skip
    print(f"\nTourism reference (Athanasopoulos et al. 2011 via Tcomp, horizons 1-{data.horizon}):")
    digits = {"MAPE": 2, "MASE": 3, "pub. MAPE": 2, "pub. MASE": 2}
    print(markdown(pd.DataFrame(rows), digits))


def budget_label(budget: float | None) -> str:
    """``"300 s"``, or ``"default"`` where tsautoml sizes its own budget."""
    return "default" if budget is None else f"{budget:g} s"


def summary_row(data: Dataset, scores: pd.DataFrame, budget: float | None) -> dict[str, Any]:
    by = scores.set_index("method")
    owa_of = by["owa"].to_dict() if "owa" in by else {}
    peers = {p: owa_of[p] for p in PEERS if pd.notna(owa_of.get(p, math.nan))}
    best = min(peers, key=peers.__getitem__) if peers else None
    ensembles = [m for m in owa_of if m.startswith("Median(")]  # full, or without a peer too slow to run
    ens_name = ENSEMBLE if ENSEMBLE in owa_of else (ensembles[0] if ensembles else ENSEMBLE)
    ours, ens = owa_of.get(TSAUTOML, math.nan), owa_of.get(ens_name, math.nan)
    wall = by["wall_s"].to_dict()
    ratio = wall.get(TSAUTOML, math.nan) / wall.get(ens_name, math.nan) if ens_name in wall else math.nan
    m4 = _data.m4_reference(data.name, data.data_dir)
    comb = m4.comb_owa if m4 else math.nan
    return {
        "dataset": data.name + (" (subset)" if data.subsampled else ""),
        "series": data.train["unique_id"].nunique(),
        "budget": budget_label(budget) if TSAUTOML in by.index else "",
        "tsautoml OWA": ours,
        "best statsforecast OWA": f"{peers[best]:.3f} ({best})" if best else "",
        "median-ens. OWA": f"{ens:.3f} ({ens_name})" if pd.notna(ens) else "",
        "M4 Comb OWA": comb,
        "best M4 OWA": f"{m4.best_owa:.3f} ({m4.best_name})" if m4 else "",
        "beats ens.": _beats(ours, ens),
        "wall / ens. wall": ratio,
        "beats Comb": _beats(ours, comb),
    }


def _beats(ours: float, other: float) -> str:
    if pd.isna(ours) or pd.isna(other):
        return ""
    return "yes" if ours < other else "no"


def append_csv(path: Path, data: Dataset, budget: float | None, scores: pd.DataFrame, stamp: str) -> None:
    out = scores.copy()
    out.insert(0, "timestamp", stamp)
    out.insert(1, "commit", commit())
    out.insert(2, "dataset", data.name)
    out.insert(3, "n_series", data.train["unique_id"].nunique())
    out.insert(4, "budget_s", np.where(out["method"] == TSAUTOML, np.nan if budget is None else budget, np.nan))
    path.parent.mkdir(parents=True, exist_ok=True)
    out[CSV_COLUMNS].to_csv(
        path, mode="a", header=not path.is_file(), index=False, float_format="%.6g"
    )


def _fmt(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def commit() -> str:
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return ""
    return out.stdout.strip()


# ---------------------------------------------------------------------------------- logs
def _header(data: Dataset, budget: float | None) -> list[str]:
    n = data.train["unique_id"].nunique()
    return [
        f"# tsautoml on {data.name}: {n} of {data.n_series_total} series, h={data.horizon}, "
        f"m={data.season_length}, time_budget={budget_label(budget)}, seed=0, n_jobs=-1",
        f"# {now()} commit {commit()}",
    ]


def write_log(
    path: Path, data: Dataset, budget: float | None, automl: Any, stats: dict[str, Any],
    log_lines: list[str], warning_lines: list[str],
) -> None:  # fmt: skip
    """Search statistics, model wins, the top 10 of the leaderboard, warnings and log records."""
    board = automl.leaderboard()
    cols = [c for c in board.columns if c != "error"]
    failed = board.loc[board["status"] != "ok", ["model", "status", "error"]]
    parts = [
        *_header(data, budget),
        "",
        "## search",
        *(f"{k}: {_fmt(v)}" for k, v in stats.items()),
        "",
        "## model_wins()",
        automl.model_wins().to_string(index=False),
        "",
        "## leaderboard, top 10",
        board[cols].head(10).to_string(index=False, max_colwidth=60),
        "",
        f"## failed or timed-out trials: {len(failed)}",
        failed.to_string(index=False, max_colwidth=200) if len(failed) else "(none)",
        "",
        f"## warnings: {len(warning_lines)}",
        *warning_lines,
        "",
        "## tsautoml log (INFO)",
        *log_lines,
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts) + "\n")


def write_failure_log(
    path: Path, data: Dataset, budget: float | None, exc: BaseException, lines: list[str]
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    path.write_text("\n".join([*_header(data, budget), "", "## FAILED", trace, *lines]) + "\n")


def print_summary(summary: list[dict[str, Any]], budget: float | None, out: Path) -> None:
    """The cross-dataset table: tsautoml vs the best peer, the ensemble and M4's references."""
    print(f"\n### Summary (tsautoml time_budget {budget_label(budget)} per dataset; OWA, lower is better)")
    digits = {"tsautoml OWA": 3, "median-ens. OWA": 3, "M4 Comb OWA": 3, "wall / ens. wall": 2}
    print(markdown(pd.DataFrame(summary), digits))
    print(
        "M4 Comb and best-submission OWA are the official values for the whole frequency: the "
        "same series for m4_hourly and m4_weekly, 21,000 of 23,000 for m4_yearly, other series "
        "for the Quarterly/Daily subsets and for --max-series runs."
    )
    print(f"Rows appended to {out / 'forecast_accuracy.csv'}; tsautoml logs in {out}.")
