"""The job API: URL batches, portfolio sweeps and signal uploads over HTTP (FastAPI on uvicorn).

``app.create_app`` builds the application; ``batch-platform api`` serves it. Keys, rate limits
and idempotency records are in the API's own SQLite file (``state_store``); what a batch or a
sweep is, is Dagster's and the lake's. See docs/api.md.
"""
