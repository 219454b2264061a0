"""Local execution: in this process (``n_jobs=1``) or in joblib's reusable process pool."""

from __future__ import annotations

import logging
import os
import threading
import time
import warnings
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from joblib import Parallel, delayed
from joblib.externals.loky import reusable_executor

from tsautoml.backends.base import (
    ABANDONED,
    BackendBase,
    Failure,
    call_captured,
    describe,
    until_deadline,
)
from tsautoml.exceptions import ConfigError

__all__ = ["LocalBackend", "resolve_n_jobs"]

T = TypeVar("T")
logger = logging.getLogger(__name__)


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


class LocalBackend(BackendBase):
    """Runs calls here (one worker) or in joblib loky worker processes.

    Large numpy arrays are memory-mapped to workers by joblib instead of copied; the
    process pool is reused between calls. If a worker dies, the items it may have been
    running are retried one at a time, so that a second loss is pinned on the one item
    that caused it (and a memory-hungry item gets the machine to itself); the other
    items go on in parallel. Items are never re-run once they finished. Past a call's
    deadline, the worker processes still running items are killed (the pool restarts on
    the next call); in this process, the item is left running in a daemon thread.

    Examples
    --------
    >>> LocalBackend(1).map(abs, [-1, 2])
    [1, 2]
    >>> LocalBackend(1).map(int, ["x"])[0].error
    "ValueError: invalid literal for int() with base 10: 'x'"
    >>> with LocalBackend(1) as backend:
    ...     sorted(backend.imap_unordered(abs, [-3, 4]))
    [(0, 3), (1, 4)]
    """

    def __init__(self, n_jobs: int = 1) -> None:
        self.n_workers = resolve_n_jobs(n_jobs)

    def put(self, obj: Any) -> Any:
        """``obj`` itself: joblib ships (and memory-maps) it with each call."""
        return obj

    def close(self) -> None:
        """Nothing to release: joblib keeps its reusable pool for the next backend."""

    def imap_unordered(
        self, fn: Callable[[Any], T], items: Sequence[Any], deadline: float | None = None
    ) -> Iterator[tuple[int, T | Failure]]:
        """``(index, fn(items[index]) or Failure)`` for each item, as it finishes."""
        if self.n_workers == 1 or len(items) <= 1:
            pairs = _in_process(fn, items)
            yield from pairs if deadline is None else until_deadline(pairs, len(items), deadline)
            return
        abandoned = threading.Event()
        timer = None
        if deadline is not None:  # joblib's stream stays in this thread; a timer kills the workers at the deadline
            timer = threading.Timer(max(deadline - time.time(), 0.0), _abandon, args=(abandoned,))
            timer.daemon = True
            timer.start()
        missing = set(range(len(items)))
        try:
            for pair in _in_pool(fn, items, min(self.n_workers, len(items)), abandoned):
                missing.discard(pair[0])
                yield pair
        finally:
            if timer is not None:
                timer.cancel()
        for index in sorted(missing):  # only when abandoned
            yield index, ABANDONED


def _in_process(fn: Callable[[Any], Any], items: Sequence[Any]) -> Iterator[tuple[int, Any]]:
    for index, item in enumerate(items):
        yield index, call_captured(fn, item)


def _in_pool(
    fn: Callable[[Any], Any], items: Sequence[Any], n_jobs: int, abandoned: threading.Event
) -> Generator[tuple[int, Any], None, None]:
    waiting = list(range(len(items)))
    while waiting:
        suspects, waiting = yield from _parallel_round(fn, items, waiting, n_jobs, abandoned)
        if abandoned.is_set():  # the pool broke because its workers were killed at the deadline
            return
        for index in suspects:
            yield index, _run_alone(fn, items[index], n_jobs)


def _abandon(abandoned: threading.Event) -> None:
    """Stop handing out items, then kill loky's reusable worker processes (joblib starts new ones next call).

    loky's management thread then warns that "a worker stopped"; we stopped it, so the warning
    would only alarm the user and is ignored.
    """
    warnings.filterwarnings("ignore", message="A worker stopped while some jobs were given", category=UserWarning)
    abandoned.set()
    executor = reusable_executor._executor
    if executor is not None:
        executor.shutdown(wait=False, kill_workers=True)


def _parallel_round(
    fn: Callable[[Any], Any], items: Sequence[Any], indices: list[int], n_jobs: int, abandoned: threading.Event
) -> Generator[tuple[int, Any], None, tuple[list[int], list[int]]]:
    """Yield ``indices``' pairs as they finish; if a worker dies, stop.

    Returns the items that may have been running when it died, and those not started.
    """
    started: list[int] = []
    done: set[int] = set()
    parallel = Parallel(
        n_jobs=n_jobs,
        backend="loky",
        return_as="generator_unordered",
        pre_dispatch="n_jobs",  # few items in flight: few suspects if a worker dies
        batch_size=1,
    )
    stream = parallel(_tasks(fn, items, indices, started, abandoned))
    try:
        while True:
            try:
                pair = next(stream)
            except StopIteration:
                return [], []
            except Exception as exc:  # a worker died (or the pool broke): recorded, retried
                error = exc
                break
            done.add(pair[0])
            yield pair
    finally:
        stream.close()
    taken = set(started)
    suspects = [index for index in started if index not in done]
    if not abandoned.is_set():
        logger.warning(
            "The worker pool broke (%s); %d items that may have been running are retried alone.",
            describe(error),
            len(suspects),
        )
    return suspects, [index for index in indices if index not in taken]


def _indexed(fn: Callable[[Any], Any], index: int, item: Any) -> tuple[int, Any]:
    """``(index, call_captured(fn, item))``: runs in the worker."""
    return index, call_captured(fn, item)


def _tasks(
    fn: Callable[[Any], Any], items: Sequence[Any], indices: list[int], started: list[int], abandoned: threading.Event
) -> Iterator[Any]:
    """joblib tasks for ``indices``, noting each index in ``started`` as joblib takes it; none once abandoned."""
    for index in indices:
        if abandoned.is_set():  # joblib must not hand more to workers that are being killed
            return
        started.append(index)
        yield delayed(_indexed)(fn, index, items[index])


def _run_alone(fn: Callable[[Any], Any], item: Any, n_jobs: int) -> Any:
    """``fn(item)`` in a worker with no other item running, or the :class:`Failure` it caused."""
    try:
        [(_, result)] = Parallel(n_jobs=n_jobs, backend="loky")([delayed(_indexed)(fn, 0, item)])
    except BrokenProcessPool as exc:
        return Failure(f"worker lost twice: {describe(exc)}")
    except Exception as exc:  # the pool could not run it (e.g. not picklable): said so
        return Failure(describe(exc))
    return result
