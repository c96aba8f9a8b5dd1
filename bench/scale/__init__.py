"""Helpers of bench/scale_bench.py: the synthetic population, the resumable bulk load, the
face-engine stand-in and the measurements at size (issue 15)."""
