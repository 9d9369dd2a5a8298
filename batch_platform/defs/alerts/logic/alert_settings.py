"""The thresholds alerts use, from the environment, with the documented defaults."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass

SCORING_DEADLINE_ENV = "BATCH_PLATFORM_ALERT_SCORING_DEADLINE"
MAX_QUARANTINE_SHARE_ENV = "BATCH_PLATFORM_ALERT_MAX_QUARANTINE_SHARE"
MAX_SIGNAL_AGE_HOURS_ENV = "BATCH_PLATFORM_ALERT_MAX_SIGNAL_AGE_HOURS"
OVERDUE_FACTOR_ENV = "BATCH_PLATFORM_ALERT_OVERDUE_FACTOR"


@dataclass(frozen=True)
class AlertSettings:
    # The nightly scores of a day must be finished by this time (the partitions' time zone) on
    # the morning after.
    scoring_deadline: dt.time = dt.time(6, 0)
    # Quarantined rows may be at most this share of a file's rows, and of a day's.
    max_quarantine_share: float = 0.001
    # The newest cleaned signal may be at most this old.
    max_signal_age: dt.timedelta = dt.timedelta(hours=24)
    # A run is overdue past this many times its job's usual duration (and at least
    # overdue_margin more), queued or running.
    overdue_factor: float = 3.0
    overdue_margin: dt.timedelta = dt.timedelta(minutes=15)
    # Successful runs of a job needed before its usual duration is trusted.
    overdue_history: int = 3
    # A schedule's tick is missed when nothing was recorded this long after its time.
    schedule_grace: dt.timedelta = dt.timedelta(minutes=10)
    # Files landed (and days) this far back are watched for quarantine shares.
    quarantine_window: dt.timedelta = dt.timedelta(hours=48)
    # Delivery success is measured over the sync runs started this far back.
    delivery_window: dt.timedelta = dt.timedelta(hours=24)


def _number(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    value = env.get(name)
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{name} must be a number, not {value!r}") from None
    if not low <= number <= high:
        raise ValueError(f"{name} must be between {low:g} and {high:g}, not {value!r}")
    return number


def load_alert_settings(env: Mapping[str, str] | None = None) -> AlertSettings:
    env = os.environ if env is None else env
    deadline = env.get(SCORING_DEADLINE_ENV) or "06:00"
    try:
        scoring_deadline = dt.time.fromisoformat(deadline)
    except ValueError:
        raise ValueError(
            f"{SCORING_DEADLINE_ENV} must be a time of day like 06:00, not {deadline!r}"
        ) from None
    return AlertSettings(
        scoring_deadline=scoring_deadline,
        max_quarantine_share=_number(env, MAX_QUARANTINE_SHARE_ENV, 0.001, 0.0, 1.0),
        max_signal_age=dt.timedelta(
            hours=_number(env, MAX_SIGNAL_AGE_HOURS_ENV, 24.0, 0.1, 24.0 * 365)
        ),
        overdue_factor=_number(env, OVERDUE_FACTOR_ENV, 3.0, 1.0, 1000.0),
    )
