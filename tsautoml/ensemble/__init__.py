"""Combining trials: best-k and greedy weights per unit, blending, conformal intervals, the tables' ensembles."""
