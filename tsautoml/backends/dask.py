"""Distributed execution with Dask: on a local cluster started here, or on an existing scheduler.

``dask`` and ``distributed`` are optional (``pip install "tsautoml[dask]"``) and imported
only when a :class:`DaskBackend` is made.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import time
from collections.abc import Callable, Hashable, Iterator, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from tsautoml.backends._dask_state import Setbacks, Shipments
from tsautoml.backends.base import ABANDONED, BackendBase, Failure, call_captured, describe
from tsautoml.backends.local import resolve_n_jobs
from tsautoml.exceptions import ConfigError

if TYPE_CHECKING:
    from distributed import Client, LocalCluster

__all__ = ["DaskBackend"]

T = TypeVar("T")

# A task whose worker dies fails at once (KilledWorker) instead of being rerun up to three
# times by the scheduler: the backend retries it itself, once. Workers take one task at a
# time (no queue on the worker), so a dying worker takes down only the task it was running.
_LOCAL_SCHEDULER_CONFIG = {
    "distributed.scheduler.allowed-failures": 0,
    "distributed.scheduler.worker-saturation": 1.0,
}


class DaskBackend(BackendBase):
    """Runs calls on a Dask cluster, one call per single-threaded worker process.

    Parameters
    ----------
    address
        Scheduler of a running cluster (``"tcp://host:8786"``). ``None`` starts a local
        cluster of worker processes (each gets an equal share of memory) and prints the link
        to its dashboard, or its scheduler address if bokeh is not installed.
    n_workers
        Workers of the local cluster (default: one per core). With ``address``: calls run
        at once by the search (default: the cluster's worker threads).
    progress_print
        Print where to watch the local cluster when it starts.

    Attributes
    ----------
    n_workers
        Calls run at once.
    scheduler_address
        Where other clients (or ``DaskBackend(address)``) reach the scheduler.
    dashboard_link
        The scheduler's dashboard, or ``None`` if it has none (bokeh not installed).

    Notes
    -----
    ``fn`` is scattered once per ``map`` / ``imap_unordered`` call (like ``put``), so the
    large data a ``functools.partial`` holds is not copied into each task. Large objects used
    by several calls go through ``put``; handles may sit inside tuples, lists and dicts of
    an item. A call whose worker dies is retried once; a second loss gives
    ``Failure("worker lost twice: ...")``. A call cancelled before it ran, because the
    objects it needs were lost with their workers, is sent again with new copies. On a
    local cluster a task is marked lost the first time its worker dies; an existing
    scheduler keeps its own ``distributed.scheduler.allowed-failures`` (3 by default)
    before the backend's retry. Workers must be able to import tsautoml and ``fn``.

    Examples
    --------
    Skipped when testing: each worker process imports tsautoml, seconds per cluster.

    >>> with DaskBackend(n_workers=2) as backend:  # doctest: +SKIP
    ...     backend.map(abs, [-1, 2])
    Dask dashboard: http://127.0.0.1:8787/status
    [1, 2]
    """

    def __init__(
        self,
        address: str | None = None,
        n_workers: int | None = None,
        *,
        progress_print: bool = True,
    ) -> None:
        if n_workers is not None and n_workers < 1:
            raise ConfigError(
                f"n_workers must be at least 1 (or None: every core), not {n_workers}."
            )
        distributed = _import_distributed()
        self._cluster: LocalCluster | None = None
        if address is None:
            self.n_workers = resolve_n_jobs(-1) if n_workers is None else n_workers
            self._cluster = _start_local_cluster(distributed, self.n_workers)
            self._client: Client = distributed.Client(self._cluster)
        else:
            self._client = distributed.Client(address)
            threads = sum(w["nthreads"] for w in self._client.scheduler_info()["workers"].values())
            self.n_workers = max(1, threads) if n_workers is None else n_workers
        self._shipments = Shipments(self._client)
        self.scheduler_address: str = self._client.scheduler.address
        self.dashboard_link: str | None = _dashboard_link(self._client)
        if progress_print and self._cluster is not None:
            if self.dashboard_link:
                print(f"Dask dashboard: {self.dashboard_link}")
            else:
                print(f"Dask scheduler: {self.scheduler_address} (install bokeh for a dashboard)")

    def put(self, obj: Any) -> Any:
        """A Dask future of ``obj``, sent to one worker now; others copy it when they need it.

        The backend keeps ``obj`` while the handle lives, to send it again should every
        copy be lost with its workers.
        """
        return self._shipments.ship(obj)

    def imap_unordered(
        self, fn: Callable[[Any], T], items: Sequence[Any], deadline: float | None = None
    ) -> Iterator[tuple[int, T | Failure]]:
        """``(index, fn(items[index]) or Failure)`` for each item, as it finishes.

        Past ``deadline`` the unfinished futures are cancelled and reported timed out; a
        task already running on a worker thread cannot be stopped and finishes unseen.
        """
        if len(items) == 0:
            return
        from distributed import TimeoutError, as_completed

        fn_handle = self.put(fn)
        pending, unsent = self._send(fn_handle, items)
        timeout = None if deadline is None else max(deadline - time.time(), 0.0)
        running = as_completed([future for _, future in pending.values()], with_results=False, timeout=timeout)
        setbacks = Setbacks()
        try:
            yield from unsent.items()
            while True:
                try:
                    future = next(running)
                except StopIteration:
                    break
                except TimeoutError:
                    for index, _ in sorted(pending.values(), key=lambda entry: entry[0]):
                        yield index, ABANDONED
                    break
                index, _ = pending.pop(future.key)
                try:
                    result = future.result()
                except Exception as exc:  # fn's own errors are captured: the call was lost
                    result = setbacks.verdict(index, exc)
                    if result is None:
                        self._shipments.reship()
                        retry = self._submit(fn_handle, items[index])
                        pending[retry.key] = (index, retry)
                        running.add(retry)
                        continue
                yield index, result
        finally:  # done, or the consumer stopped early: nothing is left running
            self._client.cancel([*(future for _, future in pending.values()), fn_handle])
            self._shipments.forget(fn_handle.key)

    def _submit(self, fn_handle: Any, item: Any) -> Any:
        """A future of ``call_captured(fn, item)``, with the latest copies of shipped objects."""
        swap = self._shipments.swap
        return self._client.submit(call_captured, swap(fn_handle), swap(item), pure=False)

    def _send(
        self, fn_handle: Any, items: Sequence[Any]
    ) -> tuple[dict[Hashable, Any], dict[int, Failure]]:
        """Submit every item: ``{key: (index, future)}``, and the items that could not be sent."""
        swap = self._shipments.swap
        try:
            futures = self._client.map(
                call_captured, [swap(fn_handle)] * len(items), [swap(x) for x in items], pure=False
            )
            return {future.key: (index, future) for index, future in enumerate(futures)}, {}
        except Exception:  # some item cannot be pickled: send them one by one to find it
            pending: dict[Hashable, Any] = {}
            unsent: dict[int, Failure] = {}
            for index, item in enumerate(items):
                try:
                    future = self._submit(fn_handle, item)
                except Exception as exc:
                    unsent[index] = Failure(f"could not send the item: {describe(exc)}")
                else:
                    pending[future.key] = (index, future)
            return pending, unsent

    def close(self) -> None:
        """Close the client and the local cluster it started; calling it again does nothing."""
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def __reduce__(self) -> NoReturn:
        raise TypeError(
            "A DaskBackend holds a live connection to its cluster and cannot be pickled. "
            "Drop it from the object before saving, and make a new one after loading."
        )


def _import_distributed() -> ModuleType:
    """``distributed``, or a :class:`ConfigError` saying how to install it."""
    try:
        return importlib.import_module("distributed")
    except ImportError as exc:
        raise ConfigError(
            'backend="dask" needs the optional Dask extra: pip install "tsautoml[dask]"'
        ) from exc


def _start_local_cluster(distributed: ModuleType, n_workers: int) -> LocalCluster:
    """Single-threaded worker processes, memory split evenly, losses reported at once."""
    import dask

    with dask.config.set(_LOCAL_SCHEDULER_CONFIG):
        cluster: LocalCluster = distributed.LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=logging.ERROR,
        )
    return cluster


def _dashboard_link(client: Client) -> str | None:
    """The scheduler's dashboard link, or ``None`` if it has none.

    Without bokeh a scheduler serves only a page saying to install it: ``None`` too (a
    local scheduler runs in this process, so bokeh is looked for here).
    """
    if client.cluster is not None and importlib.util.find_spec("bokeh") is None:
        return None
    try:
        return client.dashboard_link or None
    except KeyError:  # the scheduler runs no web server
        return None
