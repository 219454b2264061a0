"""Search: validation splits (the search loop and trials come with the forecasting issue)."""
