"""Features: numba kernels over the target, calendar and holiday features, and the pipeline."""
