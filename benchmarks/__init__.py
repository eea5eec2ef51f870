"""Benchmarks: ``python -m benchmarks`` (or ``make bench``) prints side-by-side ratios."""
