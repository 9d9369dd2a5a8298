"""The office-data source: snapshot files (default) or the office-status HTTP API."""

import os

import dagster as dg

from batch_platform.defs.portfolio.logic.office_api import (
    DEFAULT_REQUESTS_PER_MINUTE,
    DEFAULT_RETRY,
    OfficeApiConfig,
    parse_rate_overrides,
)
from batch_platform.lib.http_retry import RetryPolicy

OFFICE_SOURCES = ("snapshot", "api")


class OfficeDataResource(dg.ConfigurableResource):
    """Where the month's office data comes from.

    Unset fields come from the environment at run time: $BATCH_PLATFORM_PORTFOLIO_OFFICE_SOURCE
    (``snapshot``: files in <landing>/portfolio/office/; ``api``: the office-status API),
    $BATCH_PLATFORM_OFFICE_API_URL, $BATCH_PLATFORM_OFFICE_API_RATE_PER_MINUTE (per jurisdiction,
    default 60), $BATCH_PLATFORM_OFFICE_API_RATE_OVERRIDES (``EM=120,US=30``),
    $BATCH_PLATFORM_OFFICE_API_CONCURRENCY (default 8) and
    $BATCH_PLATFORM_OFFICE_API_TIMEOUT_SECONDS (default 10). The API key is a secret and is read
    only from $BATCH_PLATFORM_OFFICE_API_KEY, never shown in the UI; the URL it is sent to comes
    from the environment only too, so run config cannot send the key to another host.
    """

    source: str | None = None
    requests_per_minute: float | None = None
    rate_overrides: str | None = None
    concurrency: int | None = None
    timeout_seconds: float | None = None
    retry_attempts: int | None = None
    retry_base_seconds: float | None = None

    @property
    def resolved_source(self) -> str:
        source = (
            self.source or os.environ.get("BATCH_PLATFORM_PORTFOLIO_OFFICE_SOURCE") or "snapshot"
        ).lower()
        if source not in OFFICE_SOURCES:
            expected = ", ".join(OFFICE_SOURCES)
            raise ValueError(f"unknown office data source {source!r}: expected one of {expected}")
        return source

    def api_config(self) -> OfficeApiConfig:
        env = os.environ
        base_url = env.get("BATCH_PLATFORM_OFFICE_API_URL")
        if not base_url:
            raise ValueError("the office API source needs $BATCH_PLATFORM_OFFICE_API_URL")
        rate = self.requests_per_minute or float(
            env.get("BATCH_PLATFORM_OFFICE_API_RATE_PER_MINUTE") or DEFAULT_REQUESTS_PER_MINUTE
        )
        retry = RetryPolicy(
            attempts=self.retry_attempts or DEFAULT_RETRY.attempts,
            base=DEFAULT_RETRY.base if self.retry_base_seconds is None else self.retry_base_seconds,
            cap=DEFAULT_RETRY.cap,
            max_retry_after=DEFAULT_RETRY.max_retry_after,
        )
        return OfficeApiConfig(
            base_url=base_url,
            api_key=env.get("BATCH_PLATFORM_OFFICE_API_KEY") or None,
            requests_per_minute=rate,
            rate_overrides=parse_rate_overrides(
                self.rate_overrides or env.get("BATCH_PLATFORM_OFFICE_API_RATE_OVERRIDES")
            ),
            concurrency=self.concurrency
            or int(env.get("BATCH_PLATFORM_OFFICE_API_CONCURRENCY") or 8),
            timeout_seconds=self.timeout_seconds
            or float(env.get("BATCH_PLATFORM_OFFICE_API_TIMEOUT_SECONDS") or 10),
            retry=retry,
        )


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(resources={"portfolio_office": OfficeDataResource()})
