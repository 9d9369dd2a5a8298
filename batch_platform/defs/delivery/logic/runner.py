"""One delivery run over every configured destination (or the outbox): the asset, the CLI's
replay and the benchmark all go through :func:`deliver`."""

from __future__ import annotations

import os
import random
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import httpx

from batch_platform.defs.delivery.logic.config import (
    DeliveryConfig,
    DeliveryConfigError,
    Destination,
)
from batch_platform.defs.delivery.logic.outbox import OutboxTransport
from batch_platform.defs.delivery.logic.sender import Sender
from batch_platform.defs.delivery.logic.sync import finish_run, sync_destination
from batch_platform.defs.delivery.logic.sync_report import report_paths, summary_text, write_report
from batch_platform.defs.delivery.logic.sync_result import SyncResult
from batch_platform.lib.signing import SigningConfigError, resolve_secret

# The outbox is local; without a configured secret its pages are signed with a per-run one.
_OUTBOX_SECRET = secrets.token_hex(16)


@dataclass
class DeliveryRun:
    results: list[SyncResult]
    report_md: Path
    report_csv: Path

    @property
    def summary(self) -> str:
        return summary_text(self.results)


def credentials(destination: Destination, env: dict[str, str]) -> tuple[str, str | None]:
    """(signing secret, auth header value) from the environment variables the config names.

    The secret is the one the destination's ``signing_secret_env`` names, else the shared one;
    an unset or empty variable is a :class:`DeliveryConfigError` naming it (never its value).
    Only the outbox, naming none, may do without: it is signed with a per-process secret.
    """
    try:
        secret = resolve_secret(
            env, destination.signing_secret_env, f"destination {destination.name!r}"
        )
    except SigningConfigError as error:
        if destination.kind == "outbox" and not destination.signing_secret_env:
            return _OUTBOX_SECRET, None
        raise DeliveryConfigError(str(error)) from None
    if destination.kind == "outbox":
        return secret, None
    auth = None
    if destination.auth_env:
        auth = env.get(destination.auth_env)
        if not auth:
            raise DeliveryConfigError(
                f"destination {destination.name!r}: ${destination.auth_env} (auth_env) is not set"
            )
    return secret, auth


@contextmanager
def client_for(
    destination: Destination, con: duckdb.DuckDBPyConnection, outbox_dir: Path | None, secret: str
) -> Iterator[httpx.Client]:
    """A client with pooled connections; the outbox (with its ``outbox_dir``) answers through
    its own transport."""
    transport = None
    if destination.kind == "outbox":
        if outbox_dir is None:
            raise DeliveryConfigError(f"{destination.name!r}: the outbox needs a folder")
        transport = OutboxTransport(con, outbox_dir, secret)
    limits = httpx.Limits(max_connections=4, max_keepalive_connections=4)
    with httpx.Client(
        transport=transport, limits=limits, timeout=destination.timeout_seconds
    ) as client:
        yield client


def destination_senders(
    con: duckdb.DuckDBPyConnection,
    targets: list[Destination],
    env: dict[str, str],
    *,
    outbox_dir: Path | None,
    run_id: str,
    **sender_options,
) -> Iterator[tuple[Destination, Sender]]:
    """Each destination in turn with its :class:`Sender` (its client open while the caller
    works with it). Every destination's credentials are resolved here, at once, so that a
    missing one fails before anything is sent."""
    creds = {d.name: credentials(d, env) for d in targets}

    def each() -> Iterator[tuple[Destination, Sender]]:
        for destination in targets:
            secret, auth = creds[destination.name]
            with client_for(destination, con, outbox_dir, secret) as client:
                yield (
                    destination,
                    Sender(
                        destination,
                        client,
                        run_id=run_id,
                        secret=secret,
                        auth_value=auth,
                        **sender_options,
                    ),
                )

    return each()


def deliver(
    con: duckdb.DuckDBPyConnection,
    config: DeliveryConfig,
    *,
    run_id: str,
    as_of_date: str | None,
    outbox_dir: Path,
    reports_dir: Path,
    env: dict[str, str] | None = None,
    only_keys: list[str] | None = None,
    queue: bool = True,
    log: Callable[[str], None] = lambda message: None,
    rng: random.Random | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> DeliveryRun:
    """Sync every destination in turn; write the report; one sync_runs row per destination.

    With ``queue`` False the day's changes are not looked for again: the run continues the
    night's sync with what is pending."""
    env = dict(os.environ) if env is None else env
    senders = destination_senders(
        con, config.targets, env, outbox_dir=outbox_dir, run_id=run_id, rng=rng, sleep=sleep
    )
    results = []
    label = as_of_date or "replay"
    md_path, csv_path = report_paths(reports_dir, label, run_id)
    for destination, sender in senders:
        result = sync_destination(
            con,
            destination,
            sender,
            config.sync,
            run_id=run_id,
            as_of_date=as_of_date,
            only_keys=only_keys,
            queue=queue,
            log=log,
        )
        finish_run(con, result, config.sync, report_path=str(md_path))
        log(result.summary)
        results.append(result)
    write_report(results, md_path, csv_path, label)
    return DeliveryRun(results, md_path, csv_path)
