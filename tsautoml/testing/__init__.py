"""Test helpers for tsautoml and for learners written against it."""

from tsautoml.testing.panels import make_panel

__all__ = ["make_panel"]
