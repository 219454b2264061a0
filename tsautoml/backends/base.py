"""The backend seam: run a function over items and return every result or the error it raised."""

from __future__ import annotations

import abc
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal, Protocol, TypeVar

__all__ = ["ABANDONED", "Backend", "BackendBase", "Failure", "call_before", "call_captured", "describe", "until_deadline"]

T = TypeVar("T")
B = TypeVar("B", bound="Backend")
C = TypeVar("C", bound="BackendBase")


@dataclass(frozen=True, slots=True)
class Failure:
    """An error raised while running one item, kept as text (it crossed a process boundary).

    ``timed_out`` marks an item given up because it was still running at the call's deadline.
    """

    error: str
    timed_out: bool = False

    @property
    def status(self) -> Literal["failed", "timeout"]:
        """The trial status this failure records."""
        return "timeout" if self.timed_out else "failed"


ABANDONED = Failure(
    "TrialTimeout: not finished at the deadline (stuck, e.g. in native code, or not started); abandoned",
    timed_out=True,
)


def call_captured(fn: Callable[[Any], Any], item: Any) -> Any:
    """``fn(item)``, or a :class:`Failure` naming the exception it raised."""
    try:
        return fn(item)
    except Exception as exc:  # reported to the caller, which records it
        return Failure(f"{type(exc).__name__}: {exc}")


def call_before(fn: Callable[[], T], end: float | None) -> T | Failure:
    """``fn()`` (its errors raised here), or :data:`ABANDONED` if it has not returned by ``end`` (``time.time()``).

    An abandoned call is left running in a daemon thread: the caller must not read what it
    writes to. Without ``end``, ``fn`` runs in this thread.

    Examples
    --------
    >>> call_before(lambda: 2 + 2, time.time() + 5)
    4
    >>> call_before(lambda: time.sleep(2), time.time() + 0.1).timed_out
    True
    """
    if end is None:
        return fn()
    outcome: list[tuple[bool, Any]] = []

    def run() -> None:
        try:
            outcome.append((True, fn()))
        except BaseException as exc:  # re-raised in the caller's thread
            outcome.append((False, exc))

    thread = threading.Thread(target=run, name="tsautoml-call-before", daemon=True)
    thread.start()
    thread.join(max(end - time.time(), 0.0))
    if not outcome:
        return ABANDONED
    returned, value = outcome[0]
    if not returned:
        raise value
    return value


def describe(exc: BaseException) -> str:
    """``"<type>: <first line of the message>"``.

    Examples
    --------
    >>> describe(ValueError("bad value\\nmore detail"))
    'ValueError: bad value'
    """
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"


class Backend(Protocol):
    """Runs independent calls, possibly in parallel.

    ``map`` returns one entry per item, in item order, and ``imap_unordered`` yields
    ``(index, entry)`` pairs as items finish. An entry is the function's result, or a
    :class:`Failure` if it raised or its worker died twice (an item whose worker dies
    is retried once). Neither raises for an item. Items may hold handles from ``put``
    (directly, or inside tuples, lists and dicts); the function sees the object.

    With a ``deadline`` (``time.time()`` seconds), the items still unfinished then are
    abandoned: their entry is a timed-out :class:`Failure` and the call returns without
    waiting for them, so that a call stuck in native code cannot hold the fit back.
    """

    n_workers: int

    def map(
        self, fn: Callable[[Any], T], items: Sequence[Any], deadline: float | None = None
    ) -> list[T | Failure]:
        """``fn`` over ``items``, in order, errors captured."""
        ...

    def imap_unordered(
        self, fn: Callable[[Any], T], items: Sequence[Any], deadline: float | None = None
    ) -> Iterator[tuple[int, T | Failure]]:
        """``(index, fn(items[index]) or Failure)`` for each item, as it finishes."""
        ...

    def put(self, obj: Any) -> Any:
        """A handle to ``obj``, shipped to the workers once, to place inside items."""
        ...

    def close(self) -> None:
        """Release the workers and anything the backend started."""
        ...

    def __enter__(self: B) -> B: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...


class BackendBase(abc.ABC):
    """What every backend shares: ``map`` from ``imap_unordered``, and ``with`` support."""

    n_workers: int

    @abc.abstractmethod
    def imap_unordered(
        self, fn: Callable[[Any], T], items: Sequence[Any], deadline: float | None = None
    ) -> Iterator[tuple[int, T | Failure]]:
        """``(index, fn(items[index]) or Failure)`` for each item, as it finishes."""

    @abc.abstractmethod
    def put(self, obj: Any) -> Any:
        """A handle to ``obj``, shipped to the workers once, to place inside items."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release the workers and anything the backend started."""

    def map(
        self, fn: Callable[[Any], T], items: Sequence[Any], deadline: float | None = None
    ) -> list[T | Failure]:
        """``fn`` over ``items``, in order, errors captured."""
        out: list[Any] = [None] * len(items)
        for index, result in self.imap_unordered(fn, items, deadline):
            out[index] = result
        return out

    def __enter__(self: C) -> C:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


_END = object()


def until_deadline(pairs: Iterator[tuple[int, Any]], n_items: int, deadline: float) -> Iterator[tuple[int, Any]]:
    """``pairs`` as they come, drawn in a helper thread; at ``deadline`` the missing items are abandoned.

    Each of the ``n_items`` indices not yielded by ``deadline`` gets :data:`ABANDONED`. The
    helper thread draws no further pair after that; one stuck inside an item stays behind
    as a daemon.
    """
    arrived: queue.Queue[Any] = queue.Queue()
    stop = threading.Event()

    def draw() -> None:
        try:
            for pair in pairs:
                arrived.put(pair)
                if stop.is_set():
                    break
        except BaseException as exc:  # re-raised in the caller's thread
            arrived.put(exc)
        finally:
            arrived.put(_END)

    drawer = threading.Thread(target=draw, name="tsautoml-until-deadline", daemon=True)
    drawer.start()
    missing = set(range(n_items))
    try:
        while missing:
            try:
                got = arrived.get(timeout=max(deadline - time.time(), 0.0))
            except queue.Empty:
                stop.set()
                for index in sorted(missing):
                    yield index, ABANDONED
                return
            if got is _END:
                return
            if isinstance(got, BaseException):
                raise got
            missing.discard(got[0])
            yield got
        drawer.join()  # every item is in: the helper thread is done too
    finally:  # also when the caller stops early: draw nothing more
        stop.set()
