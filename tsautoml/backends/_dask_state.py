"""What the Dask backend remembers: the objects it sent to workers, and why calls failed."""

from __future__ import annotations

import logging
import weakref
from collections import Counter
from collections.abc import Hashable
from concurrent.futures import CancelledError
from typing import TYPE_CHECKING, Any

from tsautoml.backends.base import Failure, describe

if TYPE_CHECKING:
    from distributed import Client, Future

__all__ = ["Setbacks", "Shipments"]

logger = logging.getLogger(__name__)


class Shipments:
    """Objects scattered to the workers, kept to send them again if every copy is lost.

    A lost object is scattered again under a new key; :meth:`swap` puts the new copy in
    place of the old handle in what is sent afterwards. (Scattering again under the old
    key is not something Dask supports.)
    """

    def __init__(self, client: Client) -> None:
        self._client = client
        self._objects: dict[Hashable, Any] = {}  # key of the first copy -> object
        self._fresh: dict[Hashable, Future] = {}  # key of the first copy -> its latest copy

    def ship(self, obj: Any) -> Future:
        """Scatter ``obj``; it is remembered while the handle lives."""
        handle = self._scatter(obj)
        self._objects[handle.key] = obj
        weakref.finalize(handle, self.forget, handle.key)
        return handle

    def forget(self, key: Hashable) -> None:
        """Stop keeping the object first shipped as ``key`` (and its copies)."""
        self._objects.pop(key, None)
        self._fresh.pop(key, None)

    def swap(self, obj: Any) -> Any:
        """``obj`` with every handle of a lost object replaced by its latest copy."""
        return _swap(obj, self._fresh) if self._fresh else obj

    def reship(self) -> None:
        """Scatter again the objects no worker holds any more; failing that, say so."""
        try:
            held = self._client.who_has()
            for key, obj in list(self._objects.items()):
                latest = self._fresh.get(key)
                if not held.get(key if latest is None else latest.key):
                    logger.warning("Every copy of %s was lost with its workers; resending it.", key)
                    self._fresh[key] = self._scatter(obj)
        except Exception as exc:  # e.g. no worker is up yet: the calls needing it will fail
            logger.warning("Could not resend objects lost with their workers (%s).", describe(exc))

    def _scatter(self, obj: Any) -> Future:
        # One copy, not broadcast: an object meant for some calls (a chunk of the data) must
        # not fill every worker. Workers copy it from each other when their calls need it.
        future: Future = self._client.scatter([obj], hash=False)[0]
        return future


def _swap(obj: Any, fresh: dict[Hashable, Any]) -> Any:
    """``obj`` with futures in ``fresh`` replaced, inside tuples, lists and dicts too."""
    from distributed import Future

    if isinstance(obj, Future):
        return fresh.get(obj.key, obj)
    if type(obj) in (tuple, list):
        return type(obj)(_swap(value, fresh) for value in obj)
    if type(obj) is dict:
        return {key: _swap(value, fresh) for key, value in obj.items()}
    return obj


class Setbacks:
    """Why each item's calls failed, and when to stop retrying it.

    A call killed with its worker (``KilledWorker``, or any other error: the function's
    own errors are captured) is retried once. A call cancelled before it ran, because
    objects it needs were lost with their workers, is sent again up to ``max_cancelled``
    times.
    """

    def __init__(self, max_cancelled: int = 3) -> None:
        self.max_cancelled = max_cancelled
        self.lost: Counter[int] = Counter()
        self.cancelled: Counter[int] = Counter()

    def verdict(self, index: int, exc: Exception) -> Failure | None:
        """The item's :class:`Failure` if it is given up, ``None`` to retry it."""
        if isinstance(exc, CancelledError):
            self.cancelled[index] += 1
            if self.cancelled[index] > self.max_cancelled:
                return Failure(f"cancelled {self.cancelled[index]} times: {describe(exc)}")
            logger.info("Item %d was cancelled (%s); it is sent again.", index, describe(exc))
            return None
        self.lost[index] += 1
        if self.lost[index] > 1:
            return Failure(f"worker lost twice: {describe(exc)}")
        logger.warning("A Dask worker was lost (%s); item %d is retried.", describe(exc), index)
        return None
