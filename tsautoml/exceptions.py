"""Exception tree: every error tsautoml raises derives from :class:`TsAutoMLError`, every warning from :class:`TsAutoMLWarning`."""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DataValidationError",
    "StorageError",
    "NotFittedError",
    "TrialTimeout",
    "TsAutoMLError",
    "TsAutoMLWarning",
]


class TsAutoMLError(Exception):
    """Base class of every error raised by tsautoml."""


class ConfigError(TsAutoMLError, ValueError):
    """A setting given to tsautoml is invalid or settings contradict each other."""


class DataValidationError(TsAutoMLError, ValueError):
    """The data handed to tsautoml cannot be used as it is."""


class StorageError(TsAutoMLError, OSError):
    """A file tsautoml keeps (a saved model, a run directory) cannot be written, or cannot be read as it was written."""


class NotFittedError(TsAutoMLError, AttributeError):
    """An object was used before ``fit`` was called."""


class TrialTimeout(TsAutoMLError, TimeoutError):
    """A trial ran past its deadline; the search records it as timed out and goes on."""


class TsAutoMLWarning(UserWarning):
    """Something was accepted but changed or left out (filled gaps, unvalidated series, ...).

    Filter tsautoml's own warnings with ``warnings.filterwarnings("ignore", category=TsAutoMLWarning)``.
    """
