"""Conditions about data, judged on facts from the warehouse: quarantined rows over their share
of a file or a day, the newest signal too old, a destination's delivery success too low.

Each is a pure function of facts and ``now`` (timezone-aware).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from batch_platform.defs.alerts.logic.alert_settings import AlertSettings
from batch_platform.defs.alerts.logic.findings import Finding, duration


# ---------------------------------------------------------------- quarantined rows
@dataclass(frozen=True)
class FileRows:
    partition_key: str
    source_file: str
    landed_at: dt.datetime  # the file's modification time
    data_rows: int
    quarantined_rows: int


def quarantine_shares(
    files: Sequence[FileRows], settings: AlertSettings, timezone: str
) -> list[Finding]:
    """Quarantined rows over the allowed share of a file's rows, or of a day's (the files that
    landed that day, in the partitions' time zone)."""
    limit = settings.max_quarantine_share
    findings = []
    days: dict[dt.date, list[FileRows]] = {}
    for file in files:
        days.setdefault(file.landed_at.astimezone(ZoneInfo(timezone)).date(), []).append(file)
        if file.data_rows and file.quarantined_rows / file.data_rows > limit:
            findings.append(
                Finding.of(
                    "quarantine_share",
                    f"file {file.partition_key}",
                    "warning",
                    f"quarantine over {limit:.1%} of a file: {file.source_file} "
                    f"{file.quarantined_rows / file.data_rows:.2%}",
                    f"{file.quarantined_rows:,} of {file.data_rows:,} rows quarantined "
                    f"(quarantine.signal_rows, partition {file.partition_key})",
                )
            )
    for day, landed in sorted(days.items()):
        rows = sum(f.data_rows for f in landed)
        quarantined = sum(f.quarantined_rows for f in landed)
        if rows and quarantined / rows > limit:
            findings.append(
                Finding.of(
                    "quarantine_share",
                    f"day {day}",
                    "warning",
                    f"quarantine over {limit:.1%} of a day: {day} {quarantined / rows:.2%}",
                    f"{quarantined:,} of {rows:,} rows quarantined in the {len(landed)} file(s) "
                    f"that landed on {day}",
                )
            )
    return findings


# ---------------------------------------------------------------- the newest signal
def stale_signals(
    now: dt.datetime,
    since: dt.datetime,
    newest: dt.datetime | None,
    settings: AlertSettings,
) -> list[Finding]:
    """The newest cleaned signal is older than allowed (or there is none, while watching for
    longer than that)."""
    limit = settings.max_signal_age
    if newest is None:
        if now - since <= limit:
            return []
        detail = "clean.signals holds no signal"
    elif now - newest > limit:
        detail = f"the newest occurred_at in clean.signals is {newest:%Y-%m-%d %H:%M} UTC"
    else:
        return []
    age = f"{duration(now - newest)} old" if newest else "none at all"
    return [
        Finding.of(
            "signals_stale",
            "clean.signals",
            "warning",
            f"signals stale: the newest signal is {age} (allowed: {duration(limit)})",
            detail,
        )
    ]


# ---------------------------------------------------------------- delivery success
@dataclass(frozen=True)
class DeliveryTotals:
    destination: str
    attempted: int
    succeeded: int


def delivery_success(
    totals: Sequence[DeliveryTotals], minimum: float, settings: AlertSettings
) -> list[Finding]:
    """A destination whose records sent in the window succeeded less often than ``minimum``."""
    findings = []
    for total in totals:
        if not total.attempted or total.succeeded / total.attempted >= minimum:
            continue
        rate = total.succeeded / total.attempted
        findings.append(
            Finding.of(
                "delivery_success",
                total.destination,
                "warning",
                f"delivery success under {minimum:.1%}: {total.destination} {rate:.2%}",
                f"{total.succeeded:,} of {total.attempted:,} records sent in the last "
                f"{duration(settings.delivery_window)} delivered (delivery.sync_runs)",
            )
        )
    return findings
