"""Where trials run: in this process, in joblib workers, or on a Dask cluster."""

from tsautoml.backends.base import Backend, BackendBase, Failure
from tsautoml.backends.dask import DaskBackend
from tsautoml.backends.factory import BACKENDS, BackendName, make_backend
from tsautoml.backends.local import LocalBackend

__all__ = [
    "BACKENDS",
    "Backend",
    "BackendBase",
    "BackendName",
    "DaskBackend",
    "Failure",
    "LocalBackend",
    "make_backend",
]
