"""Command line: ``tsautoml demo | check | fit | predict`` (also ``python -m tsautoml ...``)."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from tsautoml.automl import TASKS, AutoML, load
from tsautoml.checks import check
from tsautoml.data import ColumnSpec
from tsautoml.datasets import load_demand
from tsautoml.exceptions import ConfigError, DataValidationError, TsAutoMLError
from tsautoml.forecaster import Forecaster
from tsautoml.metrics import get_metric
from tsautoml.plotting import plot_forecast

__all__ = ["main"]

_DEMO_IDS = ("store", "item")


def _demo(args: argparse.Namespace) -> None:
    df = load_demand()
    columns = ColumnSpec(id_cols=_DEMO_IDS)
    cutoff = df["ds"].max() - pd.Timedelta(days=args.horizon)
    train, test = df[df["ds"] <= cutoff], df[df["ds"] > cutoff]
    print(f"Demo: daily unit sales of {df.groupby(list(_DEMO_IDS)).ngroups} store x item series "
          f"(price and promotions known ahead, US holidays). Training up to {cutoff:%Y-%m-%d}, "
          f"forecasting the next {args.horizon} days; search budget {args.budget:g} s.")
    model = AutoML(task="forecasting", horizon=args.horizon, time_budget=args.budget, columns=columns,
                   holidays="US", seed=args.seed, n_jobs=args.n_jobs, progress=True)
    tic = time.monotonic()
    model.fit(train)
    forecaster = model.model_
    assert isinstance(forecaster, Forecaster)  # task="forecasting" above
    report = forecaster.report
    print(f"\nFit in {time.monotonic() - tic:.1f} s ({report.stop_reason}); combined the models by {report.selection}.")
    board = model.leaderboard()
    shown = ["rank", "model", "mase", "fit_time", "status"]
    with pd.option_context("display.width", 120, "display.max_colwidth", 40):
        print("\nLeaderboard (MASE over 3 rolling-origin windows, lower is better):")
        print(board[shown].head(args.top).to_string(index=False, float_format="{:.3f}".format))
        print("\nSeries won per model:")
        print(model.model_wins().to_string(index=False))
    X_future = test.drop(columns="y")
    forecast = model.predict(X_future=X_future, level=[80, 95])
    _report_holdout(train, test, forecast, columns)
    fig = plot_forecast(train, forecast, columns=columns, actuals=test, max_series=4, last=90)
    fig.savefig(args.output, dpi=110)
    print(f"\nForecast plot with 80% and 95% intervals written to {args.output}")


def _report_holdout(train: pd.DataFrame, test: pd.DataFrame, forecast: pd.DataFrame, columns: ColumnSpec) -> None:
    keys = [*columns.id_cols, columns.time_col]
    merged = test.merge(forecast, on=keys).sort_values(keys)
    train = train.sort_values(keys)
    indptr = np.r_[0, np.cumsum(merged.groupby(list(columns.id_cols), sort=True).size().to_numpy())]
    train_indptr = np.r_[0, np.cumsum(train.groupby(list(columns.id_cols), sort=True).size().to_numpy())]
    naive = train.groupby(list(columns.id_cols), sort=True)["y"].apply(lambda s: s.to_numpy()[-7:])
    h = indptr[1] - indptr[0]
    seasonal_naive = np.concatenate([np.resize(v, h) for v in naive])
    mase = get_metric("mase", "forecast")
    kwargs = {"y_train": train["y"].to_numpy(), "train_indptr": train_indptr, "season_length": 7}
    ours = mase.score(merged["y"].to_numpy(), merged["forecast"].to_numpy(), indptr, **kwargs)
    base = mase.score(merged["y"].to_numpy(), seasonal_naive, indptr, **kwargs)
    inside = ((merged["y"] >= merged["forecast-lo-80"]) & (merged["y"] <= merged["forecast-hi-80"])).mean()
    print(f"\nHeld-out {h} days: MASE {ours:.3f} (seasonal naive {base:.3f}, {100 * (1 - ours / base):.0f}% better); "
          f"80% interval covers {100 * inside:.0f}% of actuals.")


def _read_csv(path: str, what: str) -> pd.DataFrame:
    """A CSV as a frame; a clear error for a missing, empty or unreadable file."""
    file = Path(path)
    if not file.is_file():
        raise DataValidationError(f"{what} file {path!r} does not exist{' (it is a folder)' if file.is_dir() else ''}.")
    try:
        df = pd.read_csv(file)
    except pd.errors.EmptyDataError as exc:
        raise DataValidationError(f"{what} file {path!r} is empty: it needs a header row and data rows.") from exc
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataValidationError(f"{what} file {path!r} is not a readable CSV: {str(exc).strip()}") from exc
    if df.empty:
        raise DataValidationError(f"{what} file {path!r} has a header but no data rows.")
    return df


def _forecast_model(args: argparse.Namespace) -> AutoML:
    columns = ColumnSpec(id_cols=tuple(args.id_cols), time_col=args.time_col, target_col=args.target_col)
    return AutoML(task="forecasting", horizon=args.horizon, time_budget=args.budget, columns=columns,
                  season_length=args.season_length, holidays=args.holidays, metric=args.metric,
                  n_jobs=args.n_jobs)


def _check(args: argparse.Namespace) -> int:
    df = _read_csv(args.data, "Data")
    if args.task == "forecasting":
        settings = _forecast_model(args).get_params(deep=False)
        problems = check(df, **{k: v for k, v in settings.items() if k != "scale"})
    else:
        if args.target is None or args.target not in df.columns:
            raise ConfigError(f"--task {args.task} needs --target, a column of the CSV; got {args.target!r}.")
        problems = check(df.drop(columns=args.target), df[args.target], task=args.task, metric=args.metric)
    if problems.empty:
        print("No problems found.")
        return 0
    with pd.option_context("display.width", 160, "display.max_colwidth", 120):
        print(problems.to_string(index=False))
    return 2 if (problems["severity"] == "error").any() else 0


def _fit(args: argparse.Namespace) -> None:
    df = _read_csv(args.data, "Data")
    if args.task != "forecasting":
        if args.target is None:
            raise ConfigError(f"--task {args.task} needs --target, the column to predict.")
        model = AutoML(task=args.task, time_budget=args.budget, metric=args.metric, n_jobs=args.n_jobs)
        model.fit(df, target=args.target)
        print(model.guardrails()[["guardrail", "status", "message"]].to_string(index=False))
        print(model.leaderboard().head(args.top).to_string(index=False))
        print(f"Saved to {model.save(args.model, overwrite=args.overwrite)}")
        return
    if args.horizon is None:
        raise ConfigError("Forecasting needs --horizon, the number of steps to forecast.")
    model = _forecast_model(args)
    model.fit(df)
    print(model.leaderboard().head(args.top).to_string(index=False))
    print(f"Saved to {model.save(args.model, overwrite=args.overwrite)}")


def _predict(args: argparse.Namespace) -> None:
    model = load(args.model)
    if model.task != "forecasting":
        if args.future is None:
            raise ConfigError("A classification or regression model needs --data, the CSV of rows to predict.")
        rows = _read_csv(args.future, "Rows")
        out = pd.DataFrame({"prediction": model.predict(rows)})
        if model.task == "classification":
            for label, column in zip(model.classes_, model.predict_proba(rows).T, strict=True):
                out[f"proba-{label}"] = column
        out.to_csv(args.output, index=False)
        print(f"{len(out):,} predictions written to {args.output}")
        return
    X_future = None if args.future is None else _read_csv(args.future, "Future")
    forecast = model.predict(X_future=X_future, level=args.level)
    assert isinstance(forecast, pd.DataFrame)  # forecasting returns a frame
    forecast.to_csv(args.output, index=False)
    print(f"{len(forecast):,} forecast rows written to {args.output}")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tsautoml", description="Forecasting-first AutoML.")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="search, forecast and plot the shipped store demand data")
    demo.add_argument("--horizon", type=int, default=28, help="forecast horizon in days (default 28)")
    demo.add_argument("--budget", type=float, default=45, help="time budget of the fit in seconds (default 45)")
    demo.add_argument("--output", default="tsautoml_demo_forecast.png", help="PNG file for the forecast plot")
    demo.set_defaults(run=_demo)
    fit = commands.add_parser("fit", help="fit on a CSV (long format for forecasting) and save the model")
    fit.add_argument("data", help="CSV: id column(s), time, target and exogenous columns; or a table")
    fit.add_argument("model", help="folder to save the model in")
    fit.add_argument("--overwrite", action="store_true", help="replace a model already saved in the folder")
    checker = commands.add_parser("check", help="check a CSV and the settings without searching; list every problem")
    checker.add_argument("data", help="CSV: id column(s), time, target and exogenous columns; or a table")
    checker.set_defaults(run=_check)
    for sub in (fit, checker):
        _data_options(sub)
    fit.set_defaults(run=_fit)
    predict = commands.add_parser("predict", help="forecast or predict with a saved model and write a CSV")
    predict.add_argument("model", help="folder written by fit")
    predict.add_argument("output", help="CSV file for the forecasts or predictions")
    predict.add_argument("--future", "--data", dest="future", default=None,
                         help="CSV of future exogenous values (forecasting) or of rows to predict (tables)")
    predict.add_argument("--level", type=float, nargs="*", default=[80, 95])
    predict.set_defaults(run=_predict)
    for sub in (demo, fit, checker):
        sub.add_argument("--n-jobs", type=int, default=-1, help="parallel trials (-1: every core)")
        sub.add_argument("--top", type=int, default=15, help="leaderboard rows to print")
    demo.add_argument("--seed", type=int, default=0)
    return parser


def _data_options(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--task", choices=TASKS, default="forecasting")
    sub.add_argument("--target", default=None, help="column to predict (classification, regression)")
    sub.add_argument("--metric", default=None, help="primary metric (default per task)")
    sub.add_argument("--horizon", type=int, default=None, help="steps to forecast (forecasting)")
    sub.add_argument("--budget", type=float, default=None, help="time budget in seconds (default per task)")
    sub.add_argument("--id-cols", nargs="+", default=["unique_id"], help="id column(s) (default unique_id)")
    sub.add_argument("--time-col", default="ds", help="time column (default ds)")
    sub.add_argument("--target-col", default="y", help="target column of a forecasting CSV (default y)")
    sub.add_argument("--season-length", type=int, default=None, help="season in steps (default from the frequency)")
    sub.add_argument("--holidays", default=None, help="country code for holiday features, e.g. US")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``tsautoml`` command."""
    args = _parser().parse_args(argv)
    try:
        status = args.run(args)
    except TsAutoMLError as exc:
        print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    return status or 0
