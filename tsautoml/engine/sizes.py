"""Memory sizes: parsing ``"4GB"``, printing bytes, and how much memory this machine has."""

from __future__ import annotations

import math
import os
import re

import numpy as np

from tsautoml.exceptions import ConfigError

__all__ = ["default_max_memory", "format_bytes", "machine_memory", "parse_memory"]

_UNITS = {
    "": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
    "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40,
}  # fmt: skip
_SIZE = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)(?:e([+-]?\d+))?\s*([a-z]*)\s*", re.IGNORECASE)
_CGROUP_LIMITS = ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes")


def parse_memory(value: int | float | str | None, name: str = "max_memory") -> int | None:
    """Bytes of a memory size given as a number of bytes or a string such as ``"4GB"``.

    Units are decimal (``kB``, ``MB``, ``GB``, ``TB``: powers of 1000) or binary (``KiB``,
    ``MiB``, ``GiB``, ``TiB``: powers of 1024), in any case; ``None`` stays ``None``.

    Examples
    --------
    >>> parse_memory("512MB"), parse_memory("1.5GiB"), parse_memory(2e9), parse_memory(None)
    (512000000, 1610612736, 2000000000, None)
    >>> parse_memory("4 gigs")
    Traceback (most recent call last):
    ...
    tsautoml.exceptions.ConfigError: max_memory='4 gigs' is not a memory size. Give a number of bytes or a string such as '512MB', '4GB' or '1.5GiB' (units B, kB, MB, GB, TB, KiB, MiB, GiB, TiB).
    """
    if value is None:
        return None
    if isinstance(value, str):
        match = _SIZE.fullmatch(value)
        if match is None or match.group(3).lower() not in _UNITS:
            raise ConfigError(
                f"{name}={value!r} is not a memory size. Give a number of bytes or a string such as "
                "'512MB', '4GB' or '1.5GiB' (units B, kB, MB, GB, TB, KiB, MiB, GiB, TiB)."
            )
        number = float(match.group(1)) * 10.0 ** int(match.group(2) or 0)
        size = number * _UNITS[match.group(3).lower()]
    elif isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        size = float(value)
    else:
        raise ConfigError(f"{name}={value!r} must be a number of bytes or a string such as '4GB'.")
    if not math.isfinite(size) or size < 1:
        raise ConfigError(f"{name}={value!r} must be a positive memory size, such as '4GB'.")
    return int(size)


def format_bytes(n: float) -> str:
    """``n`` bytes in decimal units with one decimal.

    Examples
    --------
    >>> format_bytes(512), format_bytes(9_100_000_000), format_bytes(1536)
    ('512 B', '9.1 GB', '1.5 kB')
    """
    for unit, size in (("TB", 10**12), ("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if abs(n) >= size:
            return f"{n / size:.1f} {unit}"
    return f"{int(n)} B"


def machine_memory() -> int:
    """Total RAM of the machine, or the container's memory limit (cgroup) when lower."""
    try:
        import psutil

        total = int(psutil.virtual_memory().total)
    except ImportError:
        try:
            total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (AttributeError, ValueError, OSError) as exc:
            raise ConfigError("Cannot tell this machine's memory: pass max_memory, e.g. '8GB'.") from exc
    return min([total, *_cgroup_limits()])


def default_max_memory() -> int:
    """Half of :func:`machine_memory`: room for the rest of the machine and for estimate error."""
    return machine_memory() // 2


def _cgroup_limits() -> list[int]:
    limits = []
    for path in _CGROUP_LIMITS:
        try:
            with open(path) as file:
                text = file.read().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) > 0:
            limits.append(int(text))  # "max" (cgroup v2) or a huge number (v1) mean no limit
    return limits
