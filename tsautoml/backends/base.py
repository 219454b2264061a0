"""The backend seam: run a function over items and return every result or the error it raised."""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol, TypeVar

__all__ = ["Backend", "BackendBase", "Failure", "call_captured", "describe"]

T = TypeVar("T")
B = TypeVar("B", bound="Backend")
C = TypeVar("C", bound="BackendBase")


@dataclass(frozen=True, slots=True)
class Failure:
    """An error raised while running one item, kept as text (it crossed a process boundary)."""

    error: str


def call_captured(fn: Callable[[Any], Any], item: Any) -> Any:
    """``fn(item)``, or a :class:`Failure` naming the exception it raised."""
    try:
        return fn(item)
    except Exception as exc:  # reported to the caller, which records it
        return Failure(f"{type(exc).__name__}: {exc}")


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
    """

    n_workers: int

    def map(self, fn: Callable[[Any], T], items: Sequence[Any]) -> list[T | Failure]:
        """``fn`` over ``items``, in order, errors captured."""
        ...

    def imap_unordered(
        self, fn: Callable[[Any], T], items: Sequence[Any]
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
        self, fn: Callable[[Any], T], items: Sequence[Any]
    ) -> Iterator[tuple[int, T | Failure]]:
        """``(index, fn(items[index]) or Failure)`` for each item, as it finishes."""

    @abc.abstractmethod
    def put(self, obj: Any) -> Any:
        """A handle to ``obj``, shipped to the workers once, to place inside items."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release the workers and anything the backend started."""

    def map(self, fn: Callable[[Any], T], items: Sequence[Any]) -> list[T | Failure]:
        """``fn`` over ``items``, in order, errors captured."""
        out: list[Any] = [None] * len(items)
        for index, result in self.imap_unordered(fn, items):
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
