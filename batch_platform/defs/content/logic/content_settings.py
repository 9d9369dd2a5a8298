"""Settings of content ingestion, from BATCH_PLATFORM_CONTENT_* environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace

from batch_platform.defs.content.logic.cleaning import CleanSettings
from batch_platform.defs.content.logic.main_text import EXTRACTORS
from batch_platform.defs.content.logic.url_fetcher import FetchSettings
from batch_platform.defs.content.logic.worker_pool import available_cores
from batch_platform.lib.http_retry import RetryPolicy

PREFIX = "BATCH_PLATFORM_CONTENT_"


# The fetcher's and the cleaner's own defaults, so that they are written in one place.
_FETCH = FetchSettings()
_CLEAN = CleanSettings()


@dataclass(frozen=True)
class ContentSettings:
    user_agent: str = _FETCH.user_agent
    concurrency: int = _FETCH.max_concurrency
    per_host_concurrency: int = _FETCH.per_host_concurrency
    connect_timeout: float = _FETCH.connect_timeout
    read_timeout: float = _FETCH.read_timeout
    total_timeout: float = _FETCH.total_timeout
    max_bytes: int = _FETCH.max_bytes
    max_redirects: int = _FETCH.max_redirects
    attempts: int = _FETCH.retry.attempts
    retry_base: float = _FETCH.retry.base
    max_retry_after: float = 60.0
    respect_robots: bool = _FETCH.respect_robots
    max_crawl_delay: float = _FETCH.max_crawl_delay
    allowed_networks: str = _FETCH.allowed_networks
    cache_max_age: float = 86_400.0
    chunk_size: int = 1000
    chunk_overlap: int = 200
    clean_batch_pages: int = _CLEAN.batch_pages
    clean_batch_bytes: int = _CLEAN.batch_bytes
    extractor: str = _CLEAN.extractor
    extract_workers: int = field(default_factory=available_cores)  # 0: in the run's process
    extract_timeout: float = _CLEAN.page_timeout
    near_duplicate_bits: int = 6
    max_failure_rate: float = 0.1

    def fetch_settings(self) -> FetchSettings:
        # The fetcher's settings that have the same name here are taken as they are.
        same_name = {
            f.name: getattr(self, f.name) for f in fields(FetchSettings) if hasattr(self, f.name)
        }
        retry = RetryPolicy(
            attempts=self.attempts,
            base=self.retry_base,
            cap=_FETCH.retry.cap,
            max_retry_after=self.max_retry_after,
        )
        return FetchSettings(**same_name, max_concurrency=self.concurrency, retry=retry)

    def clean_settings(self) -> CleanSettings:
        return CleanSettings(
            chunk_size=self.chunk_size,
            chunk_overlap=self.chunk_overlap,
            near_duplicate_bits=self.near_duplicate_bits,
            batch_pages=self.clean_batch_pages,
            batch_bytes=self.clean_batch_bytes,
            extractor=self.extractor,
            workers=self.extract_workers,
            page_timeout=self.extract_timeout,
        )


# Field types as written (``from __future__ import annotations`` keeps them as strings).
_KINDS = {"bool": bool, "int": int, "float": float, "str": str}


def _parse(kind: type, name: str, value: str):
    try:
        if kind is bool:
            lowered = value.strip().lower()
            if lowered not in ("1", "true", "yes", "0", "false", "no"):
                raise ValueError(value)
            return lowered in ("1", "true", "yes")
        return kind(value)
    except ValueError:
        message = f"{PREFIX}{name.upper()}: cannot read {value!r} as {kind.__name__}"
        raise ValueError(message) from None


def load_content_settings(env: dict[str, str] | None = None, **overrides) -> ContentSettings:
    """Defaults, then environment variables, then explicit ``overrides`` (None ignored)."""
    env = dict(os.environ) if env is None else env
    values = {}
    for f in fields(ContentSettings):
        raw = env.get(PREFIX + f.name.upper())
        kind = _KINDS[f.type]
        if raw not in (None, ""):
            values[f.name] = _parse(kind, f.name, raw)
    values |= {k: v for k, v in overrides.items() if v is not None}
    settings = replace(ContentSettings(), **values)
    if not 0 <= settings.max_failure_rate <= 1:
        raise ValueError(f"{PREFIX}MAX_FAILURE_RATE must be between 0 and 1")
    if settings.extractor not in EXTRACTORS:
        raise ValueError(f"{PREFIX}EXTRACTOR must be one of {', '.join(EXTRACTORS)}")
    if settings.extract_workers < 0 or settings.extract_timeout <= 0:
        raise ValueError(f"{PREFIX}EXTRACT_WORKERS must be 0 or more, EXTRACT_TIMEOUT positive")
    return settings
