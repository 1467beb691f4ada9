"""Batch experiments: sweep files, the runner and its store, workers, sensitivity analysis, reports."""

DEFAULT_MAX_RUNS = 1_000_000  # the most runs a sweep or sensitivity study may have unless --max-runs raises it
