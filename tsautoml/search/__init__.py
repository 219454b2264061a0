"""Search: validation splits, tasks that score one trial, the trial records, and the tables' search loop."""
