"""Alerts: the conditions the platform watches, incidents opened and resolved, their messages.

Plain Python (no Dagster): every condition is a function of facts and "now", so a late night or
a stale feed can be tested without waiting for a clock. The sensor gathers the facts from the
Dagster instance and the warehouse (:mod:`batch_platform.defs.alerts.facts`).
"""
