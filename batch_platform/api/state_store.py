"""The job API's own state: one small SQLite file ($BATCH_PLATFORM_API_STATE_DB).

What lives here is written on almost every request (a rate-limit bucket, an idempotency record,
a key's last use) and read back at once: SQLite in WAL mode answers that in well under a
millisecond, from any number of API processes on the machine, and ``BEGIN IMMEDIATE`` makes each
read-then-write one step. The lake would make every request a DuckLake snapshot and compete with
the runs' commits. Nothing here is needed to run the platform: what a batch or a sweep is lives
in Dagster and the lake; this file only adds who asked, with which options.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    key_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    secret_sha256 TEXT NOT NULL,
    rate_per_minute REAL,
    rate_burst INTEGER,
    created_at REAL NOT NULL,
    revoked_at REAL,
    last_used_at REAL
);
CREATE UNIQUE INDEX IF NOT EXISTS api_keys_active_name ON api_keys (name)
    WHERE revoked_at IS NULL;
CREATE TABLE IF NOT EXISTS rate_buckets (
    key_id TEXT PRIMARY KEY,
    tokens REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS idempotency_records (
    key_id TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status_code INTEGER,
    response_body BLOB,
    response_headers TEXT,
    created_at REAL NOT NULL,
    PRIMARY KEY (key_id, idempotency_key)
);
CREATE INDEX IF NOT EXISTS idempotency_records_created ON idempotency_records (created_at);
CREATE TABLE IF NOT EXISTS batches (
    batch_id TEXT PRIMARY KEY,
    key_name TEXT NOT NULL,
    total_urls INTEGER NOT NULL,
    priority INTEGER NOT NULL,
    has_webhook INTEGER NOT NULL,
    submitted_at REAL NOT NULL,
    canceled_at REAL
);
CREATE TABLE IF NOT EXISTS sweeps (
    sweep_id TEXT PRIMARY KEY,
    key_name TEXT NOT NULL,
    month TEXT NOT NULL,
    registrations TEXT,
    priority INTEGER NOT NULL,
    run_id TEXT NOT NULL,
    created_at REAL NOT NULL
);
"""
BUSY_TIMEOUT_SECONDS = 10.0

_prepared: set[Path] = set()
_prepared_lock = threading.Lock()


@contextmanager
def open_state(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection to the state file (created with its schema on first use), in autocommit
    mode: group statements with :func:`immediate`."""
    path = Path(path)
    with _prepared_lock:
        if path not in _prepared:
            path.parent.mkdir(parents=True, exist_ok=True)
            with closing(sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS)) as con:
                con.execute("PRAGMA journal_mode = WAL")
                con.executescript(SCHEMA)
            _prepared.add(path)
    con = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
    con.row_factory = sqlite3.Row
    try:
        con.execute("PRAGMA synchronous = NORMAL")
        yield con
    finally:
        con.close()


@contextmanager
def immediate(con: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction, taken before its first read (so a read-then-write is atomic)."""
    con.execute("BEGIN IMMEDIATE")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
