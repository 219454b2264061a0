"""The one forecasting engine: one search per group (a panel without ``group_by`` is one group) under one budget.

``search`` schedules the ladder of trials over chunks of groups, ``selection`` chooses how
each group's trials are combined, ``refit`` refits the choice, ``fitted`` holds the result;
``memory`` plans chunks that fit in memory and ``runlog`` makes a run resumable;
``default_budget`` sizes the budget of a fit given none.
"""
