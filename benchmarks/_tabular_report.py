"""Reporting for ``tabular_accuracy.py``: the per-dataset table, ranks, the paired comparison
of tsautoml with LightGBM's defaults, and fit times against the budget.

``results`` is one row per (dataset, outer fold, system) with the columns ``dataset``,
``fold``, ``system``, ``score``, ``fit_s``, ``predict_s``, ``status`` and ``cached``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from _report import markdown

DIGITS = 3
REL_TOLERANCE = 0.005  # "clearly worse" also needs a relative gap above 0.5%


@dataclass(frozen=True)
class DatasetInfo:
    """What the tables need to know about a dataset besides its results."""

    name: str
    task: str
    metric: str
    greater_is_better: bool
    rows: int
    folds: int


@dataclass(frozen=True)
class Summary:
    """A system's mean and std over the folds of one dataset; complete = no fold failed."""

    mean: float
    std: float
    n_ok: int
    n: int

    @property
    def complete(self) -> bool:
        return self.n > 0 and self.n_ok == self.n


def summarise(results: pd.DataFrame, dataset: str, system: str) -> Summary:
    rows = results[(results["dataset"] == dataset) & (results["system"] == system)]
    ok = rows.loc[rows["status"] == "ok", "score"].astype(float)
    std = float(ok.std(ddof=1)) if len(ok) > 1 else math.nan
    return Summary(float(ok.mean()) if len(ok) else math.nan, std, len(ok), len(rows))


def _cell(s: Summary) -> str:
    if s.n_ok == 0:
        return "failed" if s.n else ""
    text = f"{s.mean:.{DIGITS}f}" + ("" if math.isnan(s.std) else f"±{s.std:.{DIGITS}f}")
    return text if s.complete else f"{text} ({s.n_ok}/{s.n} folds)"


def ranks(summaries: dict[str, Summary], greater_is_better: bool) -> dict[str, float]:
    """Rank 1 = best mean; a system with a failed fold ranks below all others (ties averaged)."""
    sign = 1.0 if greater_is_better else -1.0
    oriented = pd.Series(
        {k: sign * s.mean if s.complete else -math.inf for k, s in summaries.items()}
    )
    return oriented.rank(ascending=False, method="average").to_dict()


def dataset_table(
    results: pd.DataFrame, infos: list[DatasetInfo], systems: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The markdown-ready table (best mean in bold) and the per-dataset ranks."""
    rows, rank_rows = [], []
    for info in infos:
        summaries = {s: summarise(results, info.name, s) for s in systems}
        arrow = "↑" if info.greater_is_better else "↓"
        row: dict[str, Any] = {
            "dataset": info.name, "task": info.task, "metric": f"{info.metric} {arrow}",
            "rows": f"{info.rows:,}", "folds": info.folds,
        }  # fmt: skip
        complete = [s.mean for s in summaries.values() if s.complete]
        best = (max if info.greater_is_better else min)(complete) if complete else math.nan
        for system, s in summaries.items():
            bold = s.complete and round(s.mean, DIGITS) == round(best, DIGITS)
            row[system] = f"**{_cell(s)}**" if bold else _cell(s)
        rows.append(row)
        rank_rows.append({"dataset": info.name, **ranks(summaries, info.greater_is_better)})
    return pd.DataFrame(rows), pd.DataFrame(rank_rows).set_index("dataset")


def paired_verdict(
    results: pd.DataFrame, info: DatasetInfo, system: str, reference: str
) -> str | None:
    """Verdict of ``system`` vs ``reference``: "worse", "better", "similar", or None if a fold failed.

    d_k is the per-fold difference (system - reference), signed so that d > 0 is better.
    Clearly worse: mean(d) < -SE and |mean(d)| > 0.5% of |reference mean|, where
    SE = std(d, ddof=1) / sqrt(K). With a single fold there is no SE and only the relative
    gap counts. Clearly better is the mirror image.
    """
    pair = []
    for name in (system, reference):
        r = results[(results["dataset"] == info.name) & (results["system"] == name)]
        if len(r) == 0 or (r["status"] != "ok").any():
            return None
        pair.append(r.set_index("fold")["score"].astype(float))
    ours, ref = pair[0].align(pair[1], join="inner")
    d = (ours - ref).to_numpy() * (1.0 if info.greater_is_better else -1.0)
    se = float(np.std(d, ddof=1) / math.sqrt(len(d))) if len(d) > 1 else 0.0
    gap = float(d.mean())
    if abs(gap) <= REL_TOLERANCE * abs(float(ref.mean())) or abs(gap) <= se:
        return "similar"
    return "better" if gap > 0 else "worse"


def comparison_line(
    results: pd.DataFrame, infos: list[DatasetInfo], system: str, reference: str
) -> str:
    verdicts = {i.name: paired_verdict(results, i, system, reference) for i in infos}
    worse = [k for k, v in verdicts.items() if v == "worse"]
    better = [k for k, v in verdicts.items() if v == "better"]
    compared = sum(v is not None for v in verdicts.values())
    skipped = [k for k, v in verdicts.items() if v is None]
    line = (
        f"{system} vs {reference} (paired over folds; > 1 SE and > 0.5% relative): clearly worse "
        f"on {len(worse)} of {compared} datasets{_names(worse)}, clearly better on "
        f"{len(better)}{_names(better)}."
    )
    if skipped:
        line += f" Not compared (a fold failed): {', '.join(skipped)}."
    return line


def _names(names: list[str]) -> str:
    return f" ({', '.join(names)})" if names else ""


def system_table(
    results: pd.DataFrame, rank_table: pd.DataFrame, systems: list[str], budget: float
) -> pd.DataFrame:
    """Average rank, successes and fit/predict times per system."""
    rows = []
    for system in systems:
        r = results[results["system"] == system]
        ok = r[r["status"] == "ok"]
        fit = ok["fit_s"].astype(float)
        complete = sum(summarise(results, d, system).complete for d in rank_table.index)
        rows.append({
            "system": system,
            "avg rank": float(rank_table[system].mean()) if len(rank_table) else math.nan,
            "datasets ok": f"{complete}/{len(rank_table)}",
            "fits ok": f"{len(ok)}/{len(r)}",
            "total fit s": fit.sum() if len(ok) else math.nan,
            "mean fit s": fit.mean() if len(ok) else math.nan,
            "max fit s": fit.max() if len(ok) else math.nan,
            "mean fit / budget": fit.mean() / budget if len(ok) else math.nan,
            "mean predict s": ok["predict_s"].astype(float).mean() if len(ok) else math.nan,
            "from cache": int(r["cached"].astype(bool).sum()),
        })  # fmt: skip
    return pd.DataFrame(rows)


def render(
    results: pd.DataFrame, infos: list[DatasetInfo], systems: list[str], budget: float,
    n_jobs: int, reference: str = "lightgbm_default", focus: str = "tsautoml",
) -> str:  # fmt: skip
    """The whole markdown report."""
    table, rank_table = dataset_table(results, infos, systems)
    parts = [
        f"### Tabular accuracy (time_budget {budget:g} s, n_jobs {n_jobs}; mean±std over "
        "outer folds; best in bold)",
        "",
        markdown(table, {}),
        "",
        f"### Systems (rank within each dataset by mean, ties averaged; a system with a "
        f"failed fold ranks last; budget {budget:g} s per fit)",
        "",
        markdown(
            system_table(results, rank_table, systems, budget),
            {
                "avg rank": 2,
                "total fit s": 1,
                "mean fit s": 1,
                "max fit s": 1,
                "mean fit / budget": 2,
                "mean predict s": 2,
            },
        ),
    ]
    if focus in systems and reference in systems:
        parts += ["", comparison_line(results, infos, focus, reference)]
    return "\n".join(parts)
