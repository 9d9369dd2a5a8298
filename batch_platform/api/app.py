"""The job API's application: routes, problem details, OpenAPI at /docs."""

from __future__ import annotations

from fastapi import FastAPI

from batch_platform.api.dagster_client import DagsterClient
from batch_platform.api.problems import install_problem_handlers
from batch_platform.api.routes import batches, search, signals, sweeps
from batch_platform.api.settings import ApiSettings, load_api_settings

DESCRIPTION = """
Batch work as a service: submit a URL batch and follow it to its results, start a portfolio
sweep, upload a signal file.

Every `/v1` request needs `Authorization: Bearer <API key>` (`batch-platform api-keys create
NAME`). Each key has a rate limit (429 with `Retry-After`); request bodies have a size limit
(413); a POST with `Idempotency-Key` is answered once and the same answer is given again to a
retry. Errors are problem details (`application/problem+json`). See docs/api.md.
"""


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    settings = settings or load_api_settings()
    app = FastAPI(
        title="batch_platform job API",
        version="1",
        description=DESCRIPTION,
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.settings = settings
    app.state.dagster = DagsterClient(settings.dagster_url)
    install_problem_handlers(app)
    for module in (batches, sweeps, signals, search):
        app.include_router(module.router)
    return app
