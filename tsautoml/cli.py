"""Command line: ``tsautoml demo`` (also ``python -m tsautoml demo``)."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

import numpy as np

from tsautoml.data import ColumnSpec, Panel
from tsautoml.datasets import load_demand
from tsautoml.exceptions import TsAutoMLError
from tsautoml.features.pipeline import FeaturePipeline
from tsautoml.search.splitters import RollingOriginSplitter

__all__ = ["main"]


def _demo(args: argparse.Namespace) -> None:
    df = load_demand()
    print(f"Demo data: {len(df):,} rows, columns {list(df.columns)}")
    started = time.perf_counter()
    panel = Panel.from_frame(df, ColumnSpec(id_cols=("store", "item")))
    print(
        f"Panel: {panel.n_series} series (ids: store + item), frequency {panel.freq.alias!r}, "
        f"season length {panel.freq.season_length}, {len(panel.target):,} rows"
    )
    pipe = FeaturePipeline(horizon=args.horizon, holidays="US", dtype="float32")
    X = pipe.fit_transform(panel)
    elapsed = time.perf_counter() - started
    print(f"Features: {X.shape[1]} columns x {X.shape[0]:,} rows, float32, {X.nbytes / 2**20:.1f} MiB, "
          f"built in {elapsed:.2f} s, validation included")
    width = max(len(n) for n in pipe.feature_names_)
    last = panel.indptr[1] - 1  # the last row of the first series
    print(f"\nLast row of series {tuple(panel.ids.iloc[0])} ({np.datetime_as_string(panel.times[last], 'D')}):")
    for name, value in zip(pipe.feature_names_, X[last], strict=False):
        print(f"  {name:<{width}}  {value:10.3f}")
    splitter = RollingOriginSplitter(n_windows=3, horizon=args.horizon)
    print(f"\nRolling-origin validation, 3 windows of {args.horizon} days:")
    for fold in splitter.split(panel.indptr):
        cutoff = np.datetime_as_string(panel.times[fold.cutoff_index[0]], "D")
        print(f"  window {fold.window}: {fold.series.size} series, train up to {cutoff}, "
              f"{fold.train_index.size:,} train rows, {fold.test_index.size:,} validation rows")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``tsautoml`` command."""
    parser = argparse.ArgumentParser(prog="tsautoml", description="Forecasting-first AutoML.")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="run the demo on the shipped store demand data")
    demo.add_argument("--horizon", type=int, default=28, help="forecast horizon in days")
    demo.set_defaults(run=_demo)
    args = parser.parse_args(argv)
    try:
        args.run(args)
    except TsAutoMLError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
