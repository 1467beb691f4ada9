"""Experiments on the model: sweep files, their runner and store, sensitivity, explain, report."""
