"""The searches' progress bar: drawn in a terminal or a notebook, never written into a log."""

from __future__ import annotations

import importlib.util
import sys

from tqdm.std import tqdm

__all__ = ["progress_bar"]


def progress_bar(enabled: bool, *, total: int | None, desc: str, unit: str) -> tqdm:
    """A bar that is off unless ``enabled`` and the output is a terminal or a notebook.

    Redirected to a file or a pipe (a CI log, ``nohup``), tqdm would write one carriage-return
    update per trial into it. A notebook gets tqdm's widget where ipywidgets is installed, else
    the text bar (``tqdm.auto`` would warn about the missing widget instead).
    """
    bar: type[tqdm] = tqdm
    if "ipykernel" in sys.modules and importlib.util.find_spec("ipywidgets") is not None:
        from tqdm.notebook import tqdm_notebook

        bar = tqdm_notebook
    return bar(total=total, disable=not (enabled and _interactive()), desc=desc, unit=unit, leave=False)


def _interactive() -> bool:
    if "ipykernel" in sys.modules:  # a notebook: tqdm draws there
        return True
    isatty = getattr(sys.stderr, "isatty", None)
    return bool(isatty is not None and isatty())
