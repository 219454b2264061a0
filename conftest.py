"""pytest configuration shared by the tests and the doctests."""

collect_ignore = ["tsautoml/__main__.py", "benchmarks"]
