"""Small datasets shipped with tsautoml (generated deterministically, nothing downloaded)."""

from tsautoml.datasets.demand import load_demand

__all__ = ["load_demand"]
