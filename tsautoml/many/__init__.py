"""Many models: one forecasting search per group, scheduled under one budget, in bounded memory, resumable."""
