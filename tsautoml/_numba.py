"""The one numba decorator used by tsautoml: lazy, cached on disk, releases the GIL."""

from __future__ import annotations

from functools import partial

from numba import njit

__all__ = ["jit"]

# Lazy: nothing compiles at import; the first call compiles and caches to __pycache__.
# No fastmath (it breaks NaN checks) and no parallel=True (parallelism lives in backends/).
jit = partial(njit, cache=True, nogil=True)
