"""Benchmarks: `make bench` (see bench/README.md). Not part of the shipped packages."""
