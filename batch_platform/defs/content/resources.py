"""The content resource: fetch politeness, limits, chunking and the failure threshold."""

import dagster as dg

from batch_platform.defs.content.logic.content_settings import (
    ContentSettings,
    load_content_settings,
)


class ContentResource(dg.ConfigurableResource):
    """Content ingestion settings. Unset fields come from $BATCH_PLATFORM_CONTENT_* (README)."""

    user_agent: str | None = None
    concurrency: int | None = None
    per_host_concurrency: int | None = None
    connect_timeout: float | None = None
    read_timeout: float | None = None
    total_timeout: float | None = None
    max_bytes: int | None = None
    max_redirects: int | None = None
    attempts: int | None = None
    retry_base: float | None = None
    max_retry_after: float | None = None
    respect_robots: bool | None = None
    max_crawl_delay: float | None = None
    cache_max_age: float | None = None
    chunk_size: int | None = None
    chunk_overlap: int | None = None
    clean_batch_pages: int | None = None
    clean_batch_bytes: int | None = None
    near_duplicate_bits: int | None = None
    max_failure_rate: float | None = None

    def settings(self) -> ContentSettings:
        return load_content_settings(
            **{name: getattr(self, name) for name in ContentResource.model_fields}
        )


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(resources={"content": ContentResource()})
