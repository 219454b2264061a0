"""Where trials run: in this process or in joblib workers; a distributed backend plugs in here."""

from tsautoml.backends.base import Backend, Failure
from tsautoml.backends.local import LocalBackend

__all__ = ["Backend", "Failure", "LocalBackend"]
