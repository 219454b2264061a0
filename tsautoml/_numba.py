"""The one numba decorator used by tsautoml: lazy, cached on disk, releases the GIL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from numba import njit

__all__ = ["jit"]

F = TypeVar("F", bound=Callable[..., Any])


def jit(function: F) -> F:
    """Compile ``function`` with numba on first call and cache it in ``__pycache__``.

    Nothing compiles at import. No ``fastmath`` (it breaks NaN checks) and no
    ``parallel=True`` (parallelism belongs to the backends).
    """
    return njit(cache=True, nogil=True)(function)  # type: ignore[return-value]
