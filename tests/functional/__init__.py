"""The bad-input corpus: raw bytes to a real stackapi-server (issue 7).

A package so that its conftest and helpers do not clash with tests/conftest.py.
"""
