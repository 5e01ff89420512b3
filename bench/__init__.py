"""Benchmarks (not run by the tests): `make bench` or `.venv/bin/python bench/run.py`."""
