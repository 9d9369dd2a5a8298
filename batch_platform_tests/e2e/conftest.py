"""A real `dg dev` (webserver + daemon) on a free 127.0.0.1 port, torn down by process group."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from batch_platform_tests.support.postgres import free_port
from batch_platform_tests.support.priority import OTHER_SERVERS_NICENESS, at_niceness

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class DevServer:
    url: str
    landing: Path
    warehouse: Path
    log: Path

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        request = urllib.request.Request(
            f"{self.url}/graphql", data=body, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                payload = json.load(response)
        except urllib.error.HTTPError as error:
            raise AssertionError(f"GraphQL {error.code}: {error.read().decode()[:2000]}") from None
        if "errors" in payload:
            raise AssertionError(payload["errors"])
        return payload["data"]


@contextmanager
def running_dev_server(
    root: Path,
    dagster_yaml: Path,
    extra_env: dict[str, str] | None = None,
    niceness: int = OTHER_SERVERS_NICENESS,
) -> Iterator[DevServer]:
    """`dg dev` with its own DAGSTER_HOME, landing directory and warehouse under ``root``, at
    ``niceness`` (support/priority.py)."""
    home = root / "dagster_home"
    home.mkdir()
    shutil.copy(dagster_yaml, home / "dagster.yaml")
    landing = root / "landing"
    (landing / "signals").mkdir(parents=True)
    (landing / "firmographics").mkdir()
    port = free_port()
    venv = Path(sys.executable).parents[1]
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "BATCH_PLATFORM_LANDING_DIR": str(landing),
        "BATCH_PLATFORM_WAREHOUSE": str(root / "warehouse"),
        "BATCH_PLATFORM_REPORTS_DIR": str(root / "reports"),
        "VIRTUAL_ENV": str(venv),
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        **(extra_env or {}),
    }
    log = root / "dev.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(venv / "bin" / "dg"), "dev", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=at_niceness(niceness),
        )
    server = DevServer(f"http://127.0.0.1:{port}", landing, root / "warehouse", log)
    try:
        deadline = time.monotonic() + 180
        while True:
            if process.poll() is not None:
                raise AssertionError(f"dg dev exited:\n{log.read_text()[-4000:]}")
            try:
                with urllib.request.urlopen(f"{server.url}/server_info", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    tail = log.read_text()[-4000:]
                    raise AssertionError(f"dg dev not healthy:\n{tail}") from None
                time.sleep(1)
        yield server
    finally:
        stop_process_group(process)


def stop_process_group(process: subprocess.Popen) -> None:
    """SIGTERM the whole group (webserver, daemon, code servers, runs), then SIGKILL what is
    left of it after a short grace: a test's server holds nothing that must be flushed (its
    instance and warehouse are thrown away), and a graceful shutdown takes 7 s."""
    for sig, wait in ((signal.SIGTERM, 3), (signal.SIGKILL, 30)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture(scope="module")
def dev_server(tmp_path_factory) -> Iterator[DevServer]:
    """Local mode: DuckDB file, SQLite instance storage, the repository's dagster.yaml."""
    with running_dev_server(tmp_path_factory.mktemp("dev"), ROOT / "dagster.yaml") as server:
        yield server


@pytest.fixture(scope="module")
def production_server(tmp_path_factory, postgres_cluster) -> Iterator[DevServer]:
    """Production mode: deploy/dagster.yaml (Postgres instance storage), DuckLake warehouse."""
    suffix = os.urandom(4).hex()
    dagster_db, lake_db = f"dagster_{suffix}", f"lake_{suffix}"
    postgres_cluster.create_database(dagster_db)
    postgres_cluster.create_database(lake_db)
    env = {
        "DAGSTER_POSTGRES_URL": postgres_cluster.url(dagster_db),
        # A run per file, so that eight runs write the lake at once.
        "BATCH_PLATFORM_MAX_FILES_PER_RUN": "1",
        "BATCH_PLATFORM_DUCKLAKE_CATALOG": postgres_cluster.conninfo(lake_db),
    }
    root = tmp_path_factory.mktemp("prod")
    with running_dev_server(root, ROOT / "deploy" / "dagster.yaml", env) as server:
        server.postgres = postgres_cluster
        server.dagster_db = dagster_db
        server.lake_catalog = env["BATCH_PLATFORM_DUCKLAKE_CATALOG"]
        yield server
