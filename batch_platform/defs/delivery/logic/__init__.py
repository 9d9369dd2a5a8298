"""Delivery of lead scores to downstream systems: configuration, change detection, sending.

Plain Python over a DuckDB connection (no Dagster): the delivery assets, the CLI and the
benchmark all call these modules.
"""
