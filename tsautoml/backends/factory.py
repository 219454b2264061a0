"""Pick a backend by name: ``"joblib"`` (alias ``"local"``) or ``"dask"``."""

from __future__ import annotations

from typing import Literal, get_args

from tsautoml.backends.base import Backend
from tsautoml.backends.dask import DaskBackend
from tsautoml.backends.local import LocalBackend, resolve_n_jobs
from tsautoml.exceptions import ConfigError

__all__ = ["BACKENDS", "BackendName", "make_backend"]

BackendName = Literal["joblib", "local", "dask"]
BACKENDS: tuple[str, ...] = get_args(BackendName)


def make_backend(backend: str, n_jobs: int, dask_address: str | None = None) -> Backend:
    """The backend called ``backend``, running ``n_jobs`` calls at once.

    Parameters
    ----------
    backend
        ``"joblib"`` or ``"local"``: joblib worker processes on this machine. ``"dask"``: a
        Dask cluster, started here unless ``dask_address`` names a running scheduler.
    n_jobs
        Calls at once (-1: every core; for Dask, -1 also means every worker of the cluster).
    dask_address
        Scheduler address for ``"dask"``, e.g. ``"tcp://10.0.0.5:8786"``.

    Examples
    --------
    >>> make_backend("joblib", 1).n_workers
    1
    >>> make_backend("spark", 1)
    Traceback (most recent call last):
    ...
    tsautoml.exceptions.ConfigError: Unknown backend 'spark'. Choose one of 'joblib', 'local', 'dask'.
    """
    if backend in ("joblib", "local"):
        return LocalBackend(n_jobs)
    if backend == "dask":
        return DaskBackend(dask_address, None if n_jobs == -1 else resolve_n_jobs(n_jobs))
    choices = ", ".join(repr(name) for name in BACKENDS)
    raise ConfigError(f"Unknown backend {backend!r}. Choose one of {choices}.")
