"""Benchmarks (`make bench`): figures for docs/benchmarks.md, measured side by side, never as test bars."""
