"""The job API served by uvicorn on a free 127.0.0.1 port, in a thread, over a throwaway state
file and landing directory; no Dagster behind it (its URL answers nothing)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest
import uvicorn

from batch_platform.api.api_keys import create_key
from batch_platform.api.app import create_app
from batch_platform.api.settings import ApiSettings, load_api_settings
from batch_platform.api.state_store import open_state
from batch_platform_tests.support.postgres import free_port


@dataclass
class RunningApi:
    url: str
    settings: ApiSettings

    @property
    def landing(self) -> Path:
        return self.settings.platform.landing_dir

    def new_key(self, name: str, **limits) -> str:
        with open_state(self.settings.state_db) as con:
            return create_key(con, name, **limits)[1]

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30, trust_env=False)


@contextmanager
def serving(settings: ApiSettings) -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise AssertionError("the API did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def api_settings(root: Path, **overrides) -> ApiSettings:
    env = {
        "BATCH_PLATFORM_LANDING_DIR": str(root / "landing"),
        "BATCH_PLATFORM_WAREHOUSE": str(root / "warehouse"),
        "BATCH_PLATFORM_API_STATE_DB": str(root / "api" / "state.sqlite"),
        # Nothing listens there: what needs Dagster answers 503.
        "BATCH_PLATFORM_API_DAGSTER_URL": f"http://127.0.0.1:{free_port()}",
    }
    return replace(load_api_settings(env), **overrides)


@pytest.fixture
def api(tmp_path) -> Iterator[RunningApi]:
    settings = api_settings(tmp_path, max_request_bytes=4096, max_upload_bytes=64 * 1024)
    with serving(settings) as url:
        yield RunningApi(url, settings)
