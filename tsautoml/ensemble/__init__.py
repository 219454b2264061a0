"""Combining trials: greedy ensembles, per-unit selection and conformal intervals."""
