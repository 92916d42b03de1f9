"""Benchmarks against the anchors; `make bench` runs them and writes benchmarks/results/*.json."""
