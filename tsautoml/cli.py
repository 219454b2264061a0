"""Command line: ``tsautoml demo | check | fit | predict`` (also ``python -m tsautoml ...``).

Built on click. Only the command that runs imports the search stack, so ``tsautoml --help``
answers at once. Every user mistake (a missing or empty file, a wrong column, unparsable dates,
an unknown holiday country, a bad setting) is one ``error:`` line on stderr and exit status 2.
"""

from __future__ import annotations

import logging
import sys
import time
import warnings
from argparse import Namespace
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from tsautoml import __version__
from tsautoml.setting_types import TASKS

if TYPE_CHECKING:
    import pandas as pd

    from tsautoml.automl import AutoML
    from tsautoml.data import ColumnSpec

__all__ = ["main"]

_DEMO_IDS = ("store", "item")


def _demo(args: Namespace) -> None:
    import pandas as pd

    from tsautoml.automl import AutoML
    from tsautoml.data import ColumnSpec
    from tsautoml.datasets import load_demand
    from tsautoml.forecaster import Forecaster
    from tsautoml.plotting import plot_forecast

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
    import numpy as np

    from tsautoml.metrics import get_metric

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
    import pandas as pd

    from tsautoml.exceptions import DataValidationError

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


def _model(args: Namespace) -> AutoML:
    """The AutoML the options describe (checked when it fits)."""
    from tsautoml.automl import AutoML
    from tsautoml.data import ColumnSpec

    search = {"time_budget": args.budget, "metric": args.metric, "max_trials": args.max_trials, "seed": args.seed,
              "allowed_models": args.allowed_models or None, "blocked_models": args.blocked_models or None,
              "n_jobs": args.n_jobs, "progress": not args.quiet}
    if args.task != "forecasting":
        return AutoML(task=args.task, **search)
    columns = ColumnSpec(id_cols=tuple(args.id_cols), time_col=args.time_col, target_col=args.target_col)
    freq = int(args.freq) if args.freq is not None and args.freq.isdigit() else args.freq
    return AutoML(task="forecasting", horizon=args.horizon, columns=columns, season_length=args.season_length,
                  freq=freq, holidays=args.holidays, group_by=args.group_by or None, **search)


def _check(args: Namespace) -> int:
    import pandas as pd

    from tsautoml.checks import check
    from tsautoml.exceptions import ConfigError

    df = _read_csv(args.data, "Data")
    if args.task == "forecasting":
        settings = _model(args).get_params(deep=False)
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


def _fit(args: Namespace) -> None:
    from tsautoml.exceptions import ConfigError

    df = _read_csv(args.data, "Data")
    model = _model(args)
    if args.task != "forecasting":
        if args.target is None:
            raise ConfigError(f"--task {args.task} needs --target, the column to predict.")
        model.fit(df, target=args.target)
        print(model.guardrails()[["guardrail", "status", "message"]].to_string(index=False))
    else:
        if args.horizon is None:
            raise ConfigError("Forecasting needs --horizon, the number of steps to forecast.")
        model.fit(df)
    print(model.leaderboard().head(args.top).to_string(index=False))
    print(f"Saved to {model.save(args.model, overwrite=args.overwrite)}")


def _predict(args: Namespace) -> None:
    import pandas as pd

    from tsautoml.automl import load
    from tsautoml.exceptions import ConfigError

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
    quantiles = list(args.quantiles) or None
    forecast = model.predict(X_future=X_future, level=None if quantiles else list(args.level), quantiles=quantiles)
    assert isinstance(forecast, pd.DataFrame)  # forecasting returns a frame
    forecast.to_csv(args.output, index=False)
    print(f"{len(forecast):,} forecast rows written to {args.output}")


def _names(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> list[str]:
    """Names given as ``--opt a,b`` or ``--opt a --opt b``."""
    return [name.strip() for item in value for name in item.split(",") if name.strip()]


def _jobs_options(command: Callable[..., Any]) -> Callable[..., Any]:
    command = click.option("--top", type=int, default=15, show_default=True, help="Leaderboard rows to print.")(command)
    return click.option("--n-jobs", type=int, default=-1, show_default=True,
                        help="Trials run in parallel (-1: every core).")(command)


def _data_options(command: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--task", type=click.Choice(TASKS), default="forecasting", show_default=True, help="What to learn."),
        click.option("--target", default=None, help="Column to predict (classification, regression)."),
        click.option("--metric", default=None, help="Primary metric  [default: mase; accuracy; r2_score]."),
        click.option("--horizon", type=int, default=None, help="Steps to forecast (forecasting; required)."),
        click.option("--budget", type=float, default=None,
                     help="Time budget of the fit in seconds  [default: sized from the data for forecasting; 60]."),
        click.option("--max-trials", type=int, default=None, help="Trials to evaluate at most."),
        click.option("--seed", type=int, default=0, show_default=True, help="Seed of every random choice."),
        click.option("--allowed-models", multiple=True, callback=_names, metavar="NAMES",
                     help="Only these models (comma-separated or repeated)."),
        click.option("--blocked-models", multiple=True, callback=_names, metavar="NAMES",
                     help="Leave these models out (comma-separated or repeated)."),
        click.option("--id-cols", multiple=True, callback=_names, default=("unique_id",), show_default=True,
                     metavar="NAMES", help="Id column(s) of a forecasting CSV (comma-separated or repeated)."),
        click.option("--time-col", default="ds", show_default=True, help="Time column of a forecasting CSV."),
        click.option("--target-col", default="y", show_default=True, help="Target column of a forecasting CSV."),
        click.option("--group-by", multiple=True, callback=_names, metavar="NAMES",
                     help="Id column(s) whose groups each get their own search (comma-separated or repeated)."),
        click.option("--freq", default=None, help="pandas frequency alias or integer step  [default: inferred]."),
        click.option("--season-length", type=int, default=None,
                     help="Season in steps  [default: from the frequency]."),
        click.option("--holidays", default=None, help="Country code for holiday features, e.g. US."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _run(command: Callable[[Namespace], int | None], options: dict[str, Any]) -> int:
    """Run ``command`` on the options as one namespace (with the group's ``quiet``); its exit status."""
    quiet = click.get_current_context().find_root().params.get("quiet", False)
    return command(Namespace(**options, quiet=quiet)) or 0


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", "-V", prog_name="tsautoml", message="%(prog)s %(version)s")
@click.option("--verbose", "-v", is_flag=True, help="Log what the search does (INFO).")
@click.option("--quiet", "-q", is_flag=True, help="Print results and errors only: no progress bar, warnings or log.")
def cli(verbose: bool, quiet: bool) -> None:
    """Forecasting-first AutoML: search models under a time budget, keep the best, forecast."""
    if verbose and quiet:
        raise click.UsageError("Pass --verbose or --quiet, not both.")
    level = logging.INFO if verbose else logging.ERROR if quiet else logging.WARNING
    logger = logging.getLogger("tsautoml")
    logger.setLevel(level)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.set_name("tsautoml-cli")
    logger.handlers = [h for h in logger.handlers if h.get_name() != "tsautoml-cli"] + [handler]
    if quiet:
        warnings.simplefilter("ignore")


@cli.command("demo")
@click.option("--horizon", type=int, default=28, show_default=True, help="Days to forecast.")
@click.option("--budget", type=float, default=45, show_default=True, help="Time budget of the fit in seconds.")
@click.option("--output", default="tsautoml_demo_forecast.png", show_default=True, help="PNG file for the forecast plot.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of every random choice.")
@_jobs_options
def demo(**options: Any) -> int:
    """Search, forecast and plot the shipped store demand data."""
    return _run(_demo, options)


@cli.command("check")
@click.argument("data")
@_data_options
@click.option("--n-jobs", type=int, default=-1, show_default=True, hidden=True)
def check_command(**options: Any) -> int:
    """Check a CSV and the settings without searching; list every problem (exit 2 on an error)."""
    return _run(_check, options)


@cli.command("fit")
@click.argument("data")
@click.argument("model")
@_data_options
@click.option("--overwrite", is_flag=True, help="Replace a model already saved in the folder MODEL.")
@_jobs_options
def fit(**options: Any) -> int:
    """Fit on the CSV DATA (long format for forecasting, or a table) and save the model in the folder MODEL."""
    return _run(_fit, options)


@cli.command("predict")
@click.argument("model")
@click.argument("output")
@click.option("--future", "--data", "future", default=None,
              help="CSV of future exogenous values (forecasting) or of rows to predict (tables).")
@click.option("--level", type=float, multiple=True, default=(80.0, 95.0), show_default=True,
              help="Interval level in percent (repeat for several).")
@click.option("--quantiles", type=float, multiple=True,
              help="Quantile forecasts instead of intervals, e.g. --quantiles 0.1 --quantiles 0.9.")
def predict(**options: Any) -> int:
    """Forecast or predict with the model saved in the folder MODEL and write the CSV OUTPUT."""
    return _run(_predict, options)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``tsautoml`` command: its exit status."""
    from tsautoml.exceptions import TsAutoMLError

    logger = logging.getLogger("tsautoml")
    level, handlers = logger.level, list(logger.handlers)
    try:
        with warnings.catch_warnings():
            status = cli.main(args=list(argv) if argv is not None else None, prog_name="tsautoml", standalone_mode=False)
    except click.ClickException as exc:  # a usage mistake: click's message, exit 2
        exc.show()
        return exc.exit_code
    except click.Abort:
        print("Aborted.", file=sys.stderr)
        return 1
    except (TsAutoMLError, OSError) as exc:
        print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    finally:
        logger.setLevel(level)
        logger.handlers = handlers
    return int(status or 0)
