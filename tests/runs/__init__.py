"""Tests of powertail.runs (a package so that Dask worker processes can import _units)."""
