"""Test helpers for tsautoml and for learners written against it."""

from tsautoml.testing.check_learner import check_learner
from tsautoml.testing.panels import make_panel

__all__ = ["check_learner", "make_panel"]
