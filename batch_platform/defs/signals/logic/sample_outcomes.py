"""A year of CRM history with won and lost deals, for the demo's lead-score model.

The demo's signal files cover the last weeks: no deal in them has had time to close, so the model
would have nothing to learn from. This writes one more landing file, a CRM export of the past
year in the signal contract (``crm_deal_history.csv``): weekly cohorts of contacts on the
scoring dates a training as of ``as_of`` uses (``training_dates``), each active in the week
before its date (website, product, email and CRM events), and ``deal_won`` / ``deal_lost``
events after it, with ``properties.amount``.

Whether an account wins follows a logistic function of what its contacts did, and it is not the
rules' points: product use and meetings predict deals here, a demo request less than the rules
think, an unsubscribe rules it out. So a model trained on it beats the rules, as it would on a
team whose best signal is product usage. Deterministic for a seed.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from batch_platform.defs.signals.logic.lead_score_features import day_end
from batch_platform.defs.signals.logic.lead_score_training import (
    ModelTrainingSettings,
    training_dates,
)
from batch_platform.defs.signals.logic.signal_file_format import CONTRACT_COLUMNS

FILE_NAME = "crm_deal_history.csv"
# Per event type: its source, how often an average contact does it in its active week, and the
# hidden weight of log(1 + count) in the account's log-odds of winning a deal.
EVENT_TYPES = {
    "page_view": ("website", 4.0, 0.1),
    "pricing_page_view": ("website", 0.5, -0.2),
    "demo_request": ("website", 0.2, 0.0),
    "webinar_attended": ("website", 0.3, 1.0),
    "login": ("product", 1.0, 0.6),
    "feature_used": ("product", 1.5, 1.6),
    "trial_signup": ("product", 0.15, 0.0),
    "email_open": ("email", 2.0, 0.0),
    "email_click": ("email", 0.8, 0.1),
    "unsubscribe": ("email", 0.1, -1.5),
    "meeting_booked": ("crm", 0.25, 1.3),
}
INTERCEPT = -6.6
COMMITTEE_WEIGHT = 0.5  # per log(1 + contacts of the account active that week)
LOST_SHARE = 0.35  # of the accounts that do not win, those that lose a deal instead
TRAIN_WEEKS, CONTACTS_PER_TRAIN_WEEK, CONTACTS_PER_HOLDOUT_WEEK = 12, 160, 200


@dataclass(frozen=True)
class OutcomeHistory:
    file: str
    events: int
    contacts: int
    deals_won: int
    deals_lost: int


def generate_outcome_history(
    landing_dir: Path, as_of: dt.date, timezone: str, seed: int = 11
) -> OutcomeHistory:
    """Write ``<landing>/signals/crm_deal_history.csv``; returns what it holds."""
    rng = np.random.default_rng(seed)
    dates = training_dates(as_of, ModelTrainingSettings(), timezone)
    train = [d.day for d in dates if not d.is_holdout][-TRAIN_WEEKS:]
    cohorts = {day: CONTACTS_PER_TRAIN_WEEK for day in train}
    cohorts |= {d.day: CONTACTS_PER_HOLDOUT_WEEK for d in dates if d.is_holdout}
    rows: list[dict[str, str]] = []
    won = lost = contacts = accounts = 0
    for day, size in sorted(cohorts.items()):
        end = day_end(day, timezone)
        remaining = size
        while remaining:
            members = min(remaining, int(rng.integers(1, 4)))
            remaining -= members
            accounts += 1
            domain = f"account{accounts}.example.net"
            log_odds = INTERCEPT + COMMITTEE_WEIGHT * np.log1p(members)
            emails = []
            for person in range(members):
                contacts += 1
                email = f"contact{person}@{domain}"
                emails.append(email)
                activity = float(np.exp(rng.normal(0, 0.6)))
                for event_type, (source, rate, weight) in EVENT_TYPES.items():
                    count = int(rng.poisson(rate * activity))
                    log_odds += weight * np.log1p(count)
                    for _ in range(count):
                        at = end - dt.timedelta(seconds=float(rng.uniform(60, 7 * 86400 - 60)))
                        rows.append(_row(len(rows), at, source, event_type, email, domain))
            if rng.random() < 1 / (1 + np.exp(-log_odds)):
                outcome, won = "deal_won", won + 1
            elif rng.random() < LOST_SHARE:
                outcome, lost = "deal_lost", lost + 1
            else:
                continue
            at = end + dt.timedelta(days=float(rng.uniform(3, 80)))
            amount = round(float(rng.uniform(5_000, 80_000)), 2)
            closer = emails[int(rng.integers(len(emails)))]
            properties = json.dumps({"amount": amount})
            rows.append(_row(len(rows), at, "crm", outcome, closer, domain, properties))
    signals = landing_dir / "signals"
    signals.mkdir(parents=True, exist_ok=True)
    path = signals / FILE_NAME
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(CONTRACT_COLUMNS), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    landed = dt.datetime.now(dt.UTC).timestamp() - 3600  # complete by the sensor's rules
    os.utime(path, (landed, landed))
    return OutcomeHistory(FILE_NAME, len(rows), contacts, won, lost)


def _row(n, at, source, event_type, email, domain, properties="") -> dict[str, str]:
    return {
        "event_id": f"history-{n}",
        "occurred_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "source": source,
        "event_type": event_type,
        "email": email,
        "account_domain": domain,
        "properties": properties,
    }
