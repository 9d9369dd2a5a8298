"""The content resource: fetch politeness, limits, chunking and the failure threshold."""

import dagster as dg

from batch_platform.defs.content.logic.content_settings import (
    ContentSettings,
    load_content_settings,
)
from batch_platform.defs.content.logic.embedders import (
    Embedder,
    EmbeddingSettings,
    load_embedding_settings,
    make_embedder,
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
    extractor: str | None = None
    extract_workers: int | None = None
    extract_timeout: float | None = None
    near_duplicate_bits: int | None = None
    max_failure_rate: float | None = None

    def settings(self) -> ContentSettings:
        return load_content_settings(
            **{name: getattr(self, name) for name in ContentResource.model_fields}
        )


class EmbeddingsResource(dg.ConfigurableResource):
    """Where chunk vectors come from: the bundled static model, or an OpenAI-compatible endpoint.

    Read from $BATCH_PLATFORM_EMBEDDINGS_* at run time (README); the endpoint's URL and API key
    come from the environment only, so run config cannot send the key to another host.
    """

    batch_size: int | None = None

    def settings(self) -> EmbeddingSettings:
        return load_embedding_settings(batch_size=self.batch_size)

    def embedder(self) -> Embedder:
        return make_embedder(self.settings())


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(
        resources={"content": ContentResource(), "embeddings": EmbeddingsResource()}
    )
