"""Batch experiments: sweeps and sampling, runner, store, executors, sensitivity, reports, calibrate, discover."""

DEFAULT_MAX_RUNS = 1_000_000  # the most runs a sweep or sensitivity study may have unless --max-runs raises it
