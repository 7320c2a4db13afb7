"""Benchmarks and the seeded review-shaped dataset generator (see bench/generate.py)."""
