"""The backend seam: run a function over items and return every result or the error it raised."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

__all__ = ["Backend", "Failure", "call_captured"]

T = TypeVar("T")


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


class Backend(Protocol):
    """Runs independent calls, possibly in parallel.

    ``map`` returns one entry per item, in item order: the function's result, or a
    :class:`Failure` if it raised or its worker died. It never raises for an item.
    """

    n_workers: int

    def map(self, fn: Callable[[Any], T], items: Sequence[Any]) -> list[T | Failure]:
        """``fn`` over ``items``, in order, errors captured."""
        ...
