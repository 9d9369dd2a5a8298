"""The outbox destination: what delivery does when no destination is configured.

It is an ``httpx`` transport, so records reach it through exactly the code path a real
destination gets (pages, signatures, retries, audit). Like a well-behaved receiver it checks the
signature and keeps each idempotency key once: new records are appended to
``<outbox>/<destination>/<as_of_date>.jsonl`` and inserted into ``delivery.outbox``.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import httpx
import pyarrow as pa

from batch_platform.defs.delivery.logic.sync import load_sql
from batch_platform.lib.signing import verify_request
from batch_platform.lib.warehouse import atomically


class OutboxTransport(httpx.BaseTransport):
    """Receives signed pages into the outbox table and JSONL files."""

    def __init__(self, con: duckdb.DuckDBPyConnection, directory: Path, secret: str):
        self.con = con
        self.directory = Path(directory)
        self.secret = secret

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        if not verify_request(self.secret, request.headers, body):
            return httpx.Response(
                401, json={"error": "missing, stale or wrong signature"}, request=request
            )
        try:
            payload = json.loads(body)
            destination = str(payload["destination"])
            records = list(payload["records"])
        except (ValueError, KeyError, TypeError) as error:
            return httpx.Response(400, json={"error": f"bad body: {error}"}, request=request)
        accepted = self._store(destination, records)
        return httpx.Response(
            200,
            json={"accepted": accepted, "duplicates": len(records) - accepted},
            request=request,
        )

    def _store(self, destination: str, records: list[dict]) -> int:
        folder = self.directory / destination
        files = [str(folder / f"{r['as_of_date']}.jsonl") for r in records]
        batch = pa.table(
            {
                "destination": [destination] * len(records),
                "idempotency_key": [r["idempotency_key"] for r in records],
                "email": [r["contact"] for r in records],
                "as_of_date": [r["as_of_date"] for r in records],
                "score": pa.array([r["score"] for r in records], pa.float64()),
                "record": [json.dumps(r, separators=(",", ":")) for r in records],
                "file": files,
            }
        )
        self.con.register("outbox_batch", batch)
        try:
            known = {
                row[0] for row in self.con.execute(load_sql("select_outbox_known_keys")).fetchall()
            }
            new = [
                (r, f)
                for r, f in zip(records, files, strict=True)
                if r["idempotency_key"] not in known
            ]
            # The file first: a crash before the insert repeats a line (same key), never loses one.
            folder.mkdir(parents=True, exist_ok=True)
            by_file: dict[str, list[str]] = {}
            for record, file in new:
                by_file.setdefault(file, []).append(json.dumps(record, separators=(",", ":")))
            for file, lines in by_file.items():
                with open(file, "a", encoding="utf-8") as handle:
                    handle.write("\n".join(lines) + "\n")
            now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
            atomically(self.con, lambda: self.con.execute(load_sql("insert_outbox"), {"now": now}))
        finally:
            self.con.unregister("outbox_batch")
        return len(new)
