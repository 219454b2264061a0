"""Functions the backend tests run in worker processes (importable by the workers)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np


def square_or_raise(x: int) -> int:
    """``x * x``; raises for 3."""
    if x == 3:
        raise ValueError("three is not allowed")
    return x * x


def scaled_sum(item: tuple[int, np.ndarray]) -> float:
    """``index * array.sum()``: the array may arrive through a backend's ``put``."""
    index, array = item
    return float(index * array.sum())


def exit_once(item: tuple[int, str]) -> int:
    """Kills its worker the first time it runs with a marker path, returns ``index ** 2`` after."""
    index, marker = item
    if marker and not Path(marker).exists():
        Path(marker).touch()
        os._exit(1)
    return index * index


def exit_always(item: tuple[int, bool]) -> Any:
    """Kills its worker when told to, returns ``index ** 2`` otherwise."""
    index, kill = item
    if kill:
        os._exit(1)
    return index * index


def nap(seconds: float) -> float:
    """Sleep ``seconds`` in C (``time.sleep``), beyond the reach of Python-level deadline checks."""
    import time

    time.sleep(seconds)
    return seconds
