"""What a condition finds wrong, and the words alerts say times and durations in."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Finding:
    """Something wrong now: one incident while its fingerprint keeps being found."""

    fingerprint: str  # "<condition>:<subject>"
    condition: str
    subject: str
    severity: str  # 'critical' or 'warning'
    title: str  # one line, for the alert's text
    detail: str  # what was measured, against what

    @classmethod
    def of(cls, condition: str, subject: str, severity: str, title: str, detail: str) -> Finding:
        return cls(f"{condition}:{subject}", condition, subject, severity, title, detail)


def local_time(moment: dt.datetime, timezone: str) -> str:
    return f"{moment.astimezone(ZoneInfo(timezone)):%Y-%m-%d %H:%M %Z}"


def duration(span: dt.timedelta) -> str:
    seconds = int(span.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds / 3600:.1f} h"
