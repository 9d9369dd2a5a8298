"""Settings of the job API, from BATCH_PLATFORM_API_* environment variables (and the platform's
own: the landing directory and the warehouse are the ones its runs use)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from batch_platform.lib.settings import Settings, load_settings, ui_url

PREFIX = "BATCH_PLATFORM_API_"
DEFAULT_STATE_DB = "data/api/api.sqlite"


@dataclass(frozen=True)
class ApiSettings:
    platform: Settings
    # The SQLite file holding API keys (hashed), idempotency records, rate-limit buckets and
    # what the API launched.
    state_db: Path
    # The Dagster webserver the API talks GraphQL to.
    dagster_url: str
    rate_per_minute: float = 120.0
    rate_burst: int = 20
    max_request_bytes: int = 10 * 1024 * 1024
    max_upload_bytes: int = 1024 * 1024 * 1024
    idempotency_hours: float = 24.0


def load_api_settings(env: Mapping[str, str] | None = None) -> ApiSettings:
    env = dict(os.environ) if env is None else dict(env)
    defaults = ApiSettings(platform=load_settings(env), state_db=Path(), dagster_url="")
    return ApiSettings(
        platform=defaults.platform,
        state_db=Path(env.get(f"{PREFIX}STATE_DB") or DEFAULT_STATE_DB),
        dagster_url=(env.get(f"{PREFIX}DAGSTER_URL") or ui_url(env)).rstrip("/"),
        rate_per_minute=_positive(env, "RATE_PER_MINUTE", float, defaults.rate_per_minute),
        rate_burst=_positive(env, "RATE_BURST", int, defaults.rate_burst),
        max_request_bytes=_positive(env, "MAX_REQUEST_BYTES", int, defaults.max_request_bytes),
        max_upload_bytes=_positive(env, "MAX_UPLOAD_BYTES", int, defaults.max_upload_bytes),
        idempotency_hours=_positive(env, "IDEMPOTENCY_HOURS", float, defaults.idempotency_hours),
    )


def _positive(env: Mapping[str, str], field: str, kind: type, default):
    name = f"{PREFIX}{field}"
    value = env.get(name)
    if not value:
        return default
    try:
        number = kind(value)
    except ValueError:
        raise ValueError(f"{name} must be a positive number, not {value!r}") from None
    if not number > 0:
        raise ValueError(f"{name} must be a positive number, not {value!r}")
    return number
