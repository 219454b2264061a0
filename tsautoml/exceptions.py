"""Exception tree: every error tsautoml raises derives from :class:`TsAutoMLError`."""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DataValidationError",
    "NotFittedError",
    "TrialTimeout",
    "TsAutoMLError",
]


class TsAutoMLError(Exception):
    """Base class of every error raised by tsautoml."""


class ConfigError(TsAutoMLError, ValueError):
    """A setting given to tsautoml is invalid or settings contradict each other."""


class DataValidationError(TsAutoMLError, ValueError):
    """The data handed to tsautoml cannot be used as it is."""


class NotFittedError(TsAutoMLError, AttributeError):
    """An object was used before ``fit`` was called."""


class TrialTimeout(TsAutoMLError, TimeoutError):
    """A trial ran past its deadline; the search records it as timed out and goes on."""
