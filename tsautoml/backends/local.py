"""Local execution: in this process (``n_jobs=1``) or in joblib's reusable process pool."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from joblib import Parallel, delayed

from tsautoml.backends.base import Failure, call_captured
from tsautoml.exceptions import ConfigError

__all__ = ["LocalBackend", "resolve_n_jobs"]

T = TypeVar("T")


def resolve_n_jobs(n_jobs: int) -> int:
    """Workers for ``n_jobs`` (-1: every core, -2: all but one, ...).

    Examples
    --------
    >>> resolve_n_jobs(1)
    1
    """
    cores = os.cpu_count() or 1
    if n_jobs == 0:
        raise ConfigError("n_jobs must be a positive count or negative (-1: every core), not 0.")
    return max(1, min(n_jobs, cores) if n_jobs > 0 else cores + 1 + n_jobs)


class LocalBackend:
    """Runs calls here (one worker) or in joblib loky worker processes.

    Large numpy arrays are memory-mapped to workers by joblib instead of copied; the
    process pool is reused between calls.

    Examples
    --------
    >>> LocalBackend(1).map(abs, [-1, 2])
    [1, 2]
    >>> LocalBackend(1).map(int, ["x"])[0].error
    "ValueError: invalid literal for int() with base 10: 'x'"
    """

    def __init__(self, n_jobs: int = 1) -> None:
        self.n_workers = resolve_n_jobs(n_jobs)

    def map(self, fn: Callable[[Any], T], items: Sequence[Any]) -> list[T | Failure]:
        """``fn`` over ``items``, in order, errors captured."""
        if self.n_workers == 1 or len(items) <= 1:
            return [call_captured(fn, item) for item in items]
        try:
            parallel = Parallel(n_jobs=min(self.n_workers, len(items)), backend="loky")
            return list(parallel(delayed(call_captured)(fn, item) for item in items))
        except Exception as exc:  # a worker died: every item of this batch is lost, and said so
            return [Failure(f"worker lost: {type(exc).__name__}: {exc}") for _ in items]
