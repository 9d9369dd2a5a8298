"""Replaying dead letters: requeue them with a clean slate and send them now, same code path."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import duckdb
import pyarrow as pa

from batch_platform.defs.delivery.logic.config import DeliveryConfig, DeliveryConfigError
from batch_platform.defs.delivery.logic.runner import DeliveryRun, deliver
from batch_platform.defs.delivery.logic.sync import load_sql
from batch_platform.lib.warehouse import atomically


def dead_letters(
    con: duckdb.DuckDBPyConnection, destination: str | None = None, keys: list[str] | None = None
) -> list[dict]:
    cursor = con.execute(
        load_sql("select_dead_letters"), {"destination": destination, "keys": keys or None}
    )
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def requeue(con: duckdb.DuckDBPyConnection, letters: list[dict], run_id: str) -> list[str]:
    """Move dead letters back to pending (one transaction); returns the keys requeued."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    wanted = pa.table(
        {
            "destination": [d["destination"] for d in letters],
            "idempotency_key": [d["idempotency_key"] for d in letters],
        }
    )

    def write() -> list[str]:
        con.register("replay_keys", wanted)
        con.execute(load_sql("requeue_dead_letters"), {"run_id": run_id, "now": now})
        con.unregister("replay_keys")
        con.execute("INSERT INTO delivery.pending BY NAME SELECT * FROM requeued_letters")
        requeued = con.execute(
            "SELECT destination, idempotency_key FROM requeued_letters"
        ).fetchall()
        con.execute("DROP TABLE requeued_letters")
        con.register(
            "requeued_keys",
            pa.table(
                {
                    "destination": pa.array([r[0] for r in requeued], pa.string()),
                    "idempotency_key": pa.array([r[1] for r in requeued], pa.string()),
                }
            ),
        )
        con.execute(load_sql("mark_dead_letters_replayed"), {"run_id": run_id, "now": now})
        con.unregister("requeued_keys")
        return [r[1] for r in requeued]

    return atomically(con, write)


def replay(
    con: duckdb.DuckDBPyConnection,
    config: DeliveryConfig,
    letters: list[dict],
    *,
    outbox_dir: Path,
    reports_dir: Path,
    env: dict[str, str] | None = None,
    log=lambda message: None,
) -> tuple[list[str], DeliveryRun]:
    """Requeue ``letters`` and deliver exactly those now; failures stay pending as usual."""
    configured = {d.name for d in config.targets}
    unknown = sorted({d["destination"] for d in letters} - configured)
    if unknown:
        raise DeliveryConfigError(
            f"dead letters of destinations that are not configured: {', '.join(unknown)} "
            f"(configured: {', '.join(sorted(configured))})"
        )
    run_id = f"replay-{uuid.uuid4()}"
    keys = requeue(con, letters, run_id)
    destinations = {d["destination"] for d in letters}
    scoped = config.model_copy(
        update={"destinations": [d for d in config.destinations if d.name in destinations]}
    )
    run = deliver(
        con, scoped, run_id=run_id, as_of_date=None, outbox_dir=outbox_dir,
        reports_dir=reports_dir, env=env, only_keys=keys, log=log,
    )  # fmt: skip
    return keys, run
