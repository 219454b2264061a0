"""Type and range checks of single setting values; each returns what is wrong, or None.

The settings dataclasses (``config.py``) and the validation at ``fit`` entry (``checks.py``)
share these, so that one mistake reads the same wherever it is caught.

Examples
--------
>>> whole_number("horizon", 7.0, low=1) is None
True
>>> whole_number("max_trials", 2.5, low=1)
'max_trials=2.5 is not a whole number'
>>> positive_seconds("time_budget", "10")
"time_budget='10' is not a number of seconds (a str)"
>>> names("Naive")
['Naive']
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any, Literal, get_args

__all__ = ["TASKS", "TaskName", "is_real", "names", "names_problem", "positive_seconds", "whole_number"]

TaskName = Literal["forecasting", "classification", "regression"]
#: The tasks ``AutoML`` runs.
TASKS: tuple[str, ...] = get_args(TaskName)


def is_real(value: Any) -> bool:
    """A real number (an int, float or numpy scalar), not a bool or a string."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def whole_number(name: str, value: Any, low: int | None = None) -> str | None:
    """``value`` is an integer (``7`` or ``7.0``) of at least ``low``."""
    if not is_real(value):
        return f"{name}={value!r} is not a whole number (a {type(value).__name__})"
    if not math.isfinite(value) or value != int(value):
        return f"{name}={value!r} is not a whole number"
    if low is not None and value < low:
        return f"{name}={value!r} is below {low}"
    return None


def positive_seconds(name: str, value: Any) -> str | None:
    """``value`` is a positive, finite number of seconds."""
    if not is_real(value):
        return f"{name}={value!r} is not a number of seconds (a {type(value).__name__})"
    if not (math.isfinite(value) and value > 0):
        return f"{name}={value!r} is not a positive, finite number of seconds"
    return None


def names(value: str | Sequence[str] | None) -> list[str] | None:
    """A list of names from a list, a tuple or one bare name (never split into characters)."""
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    return list(value)


def names_problem(name: str, value: Any) -> str | None:
    """``value`` is None, a name, or a list/tuple of names (strings)."""
    if value is None or isinstance(value, str):
        return None
    if not isinstance(value, Sequence) and not hasattr(value, "__iter__"):
        return f"{name}={value!r} is not a list of names (a {type(value).__name__})"
    bad = [v for v in value if not isinstance(v, str)]
    if bad:
        return f"{name} holds values that are not names (strings): {bad[:5]!r}"
    if not list(value):
        return f"{name}=[] names nothing"
    return None
