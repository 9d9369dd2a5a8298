"""A simulated B2B world whose conversions follow a known logistic function, for the lead-score
model's tests (apart from the demo's sample data, which has no outcomes).

Contacts arrive in weekly cohorts. A contact is active in the week before its cohort's date only:
per event type a Poisson number of events, scaled by the contact's own activity. Its account
(one to three contacts of the same cohort) has firmographics. It wins a deal within 80 days after
the date with the true probability

    sigmoid(INTERCEPT + Σ TRUE_EVENT_WEIGHTS[type] · log(1 + events of the type)
            + 0.15 · log(1 + employees) + 0.5 · [target industry] + 0.4 · log(1 + contacts))

(``truth="events"``), or, with ``truth="rules"``, a logistic function of the rules' own points,
which no model beats by much. Some contacts that do not win lose a deal instead.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from batch_platform.defs.signals.logic.lead_score_features import day_end
from batch_platform.defs.signals.logic.lead_score_training import (
    ModelTrainingSettings,
    training_dates,
)

TIMEZONE = "America/New_York"
# The true log-odds per unit of log(1 + events of the type in the active week), in true order.
TRUE_EVENT_WEIGHTS = {
    "webinar_attended": 1.3,
    "demo_request": 0.9,
    "page_view": 0.6,
    "pricing_page_view": 0.3,
    "email_click": 0.0,
    "unsubscribe": -0.9,
}
EVENT_RATES = {
    "demo_request": 0.35,
    "pricing_page_view": 1.0,
    "webinar_attended": 0.6,
    "email_click": 1.5,
    "page_view": 4.0,
    "unsubscribe": 0.15,
}
SOURCES = {
    "demo_request": "website",
    "pricing_page_view": "website",
    "webinar_attended": "website",
    "email_click": "email",
    "page_view": "website",
    "unsubscribe": "email",
}
INTERCEPT = -5.3
TRUE_FIT = {"log_employees": 0.2, "target_industry": 0.8, "log_contacts": 0.4}
INDUSTRIES = ("software", "healthcare", "retail", "manufacturing")  # the first two are targets
COUNTRIES = ("US", "FR", "DE", "BR")
# The shipped rules' points, for truth="rules".
RULE_POINTS = {
    "demo_request": 30,
    "pricing_page_view": 20,
    "webinar_attended": 15,
    "email_click": 5,
    "page_view": 1,
    "unsubscribe": -25,
}


@dataclass
class World:
    events: pa.Table  # clean.signals rows
    firmographics: pa.Table  # clean.firmographics rows
    true_probability: dict[str, float]  # per email
    converted: dict[str, bool]


def cohorts_for_training(
    as_of: dt.date,
    settings: ModelTrainingSettings,
    *,
    train_weeks: int,
    per_train_week: int,
    per_holdout_week: int,
    current: int = 0,
) -> dict[dt.date, int]:
    """Cohorts on the latest ``train_weeks`` training dates and on every holdout date of a
    training as of ``as_of`` (and ``current`` contacts active in the week up to ``as_of``)."""
    dates = training_dates(as_of, settings, TIMEZONE)
    train = [d.day for d in dates if not d.is_holdout][-train_weeks:]
    cohorts = {day: per_train_week for day in train}
    cohorts |= {d.day: per_holdout_week for d in dates if d.is_holdout}
    if current:
        cohorts[as_of] = current
    return cohorts


def simulate_world(cohorts: dict[dt.date, int], seed: int = 7, truth: str = "events") -> World:
    """``cohorts``: the contacts active in the week before each date."""
    rng = np.random.default_rng(seed)
    events: dict[str, list] = {
        k: [] for k in ("event_type", "source", "email", "account_domain", "occurred_at",
                        "properties")
    }  # fmt: skip
    firms: dict[str, list] = {k: [] for k in ("domain", "industry", "employee_count", "country")}
    probability: dict[str, float] = {}
    converted: dict[str, bool] = {}
    number = 0
    for day, contacts in sorted(cohorts.items()):
        end = day_end(day, TIMEZONE)
        remaining = contacts
        while remaining:
            size = min(remaining, int(rng.integers(1, 4)))
            remaining -= size
            number += 1
            domain = f"firm{number}.example"
            employees = int(np.exp(rng.normal(4.5, 1.5)))
            industry = INDUSTRIES[rng.integers(len(INDUSTRIES))]
            firms["domain"].append(domain)
            firms["industry"].append(industry)
            firms["employee_count"].append(employees)
            country = COUNTRIES[rng.integers(len(COUNTRIES))]
            firms["country"].append(country)
            for person in range(size):
                email = f"c{person}@{domain}"
                activity = np.exp(rng.normal(0, 0.6))
                counts = {t: int(rng.poisson(r * activity)) for t, r in EVENT_RATES.items()}
                if not any(counts.values()):
                    counts["page_view"] = 1
                if truth == "events":
                    log_odds = INTERCEPT + sum(
                        w * np.log1p(counts[t]) for t, w in TRUE_EVENT_WEIGHTS.items()
                    )
                    log_odds += TRUE_FIT["log_employees"] * np.log1p(employees)
                    log_odds += TRUE_FIT["target_industry"] * (industry in INDUSTRIES[:2])
                    log_odds += TRUE_FIT["log_contacts"] * np.log1p(size)
                else:
                    points = sum(RULE_POINTS[t] * n for t, n in counts.items())
                    points += _rule_fit_points(employees, industry, country)
                    log_odds = -4.2 + 0.05 * points
                p = 1 / (1 + np.exp(-log_odds))
                probability[email] = float(p)
                converted[email] = bool(rng.random() < p)
                for event_type, count in counts.items():
                    for _ in range(count):
                        seconds = rng.uniform(60, 7 * 86400 - 60)
                        _add(events, event_type, email, domain, end - dt.timedelta(seconds=seconds))
                outcome = "deal_won" if converted[email] else (
                    "deal_lost" if rng.random() < 0.3 else None
                )  # fmt: skip
                if outcome:
                    at = end + dt.timedelta(days=float(rng.uniform(1, 80)))
                    amount = round(float(rng.uniform(5_000, 50_000)), 2)
                    _add(events, outcome, email, domain, at, f'{{"amount": {amount}}}')
    return World(
        events=clean_signal_rows(events),
        firmographics=pa.table(firms),
        true_probability=probability,
        converted=converted,
    )


def _rule_fit_points(employees: int, industry: str, country: str) -> int:
    """The shipped rules' fit points (select_rule_lead_scores.sql)."""
    band = next(points for floor, points in ((1000, 20), (200, 15), (50, 10), (1, 5), (0, 0))
                if employees >= floor)  # fmt: skip
    return band + 10 * (industry in INDUSTRIES[:2]) + 10 * (country in ("US", "DE"))


def _add(events, event_type, email, domain, at, properties=None) -> None:
    events["event_type"].append(event_type)
    events["source"].append(SOURCES.get(event_type, "crm"))
    events["email"].append(email)
    events["account_domain"].append(domain)
    events["occurred_at"].append(at)
    events["properties"].append(properties)


def clean_signal_rows(events: dict[str, list]) -> pa.Table:
    """clean.signals rows from columns event_type, source, email, account_domain, occurred_at
    (naive UTC) and properties (JSON text or None)."""
    rows = len(events["email"])
    return pa.table(
        {
            "event_key": [f"simulated-{n}" for n in range(rows)],
            "partition_key": ["simulated"] * rows,
            "source_file": ["simulated.csv"] * rows,
            "source_line": pa.array(range(1, rows + 1), pa.int64()),
            "occurred_at": pa.array(events["occurred_at"], pa.timestamp("us")),
            "source": events["source"],
            "event_type": events["event_type"],
            "email": events["email"],
            "account_domain": events["account_domain"],
            "properties": pa.array(events["properties"], pa.string()),
        }
    )


def insert_events(con, events: pa.Table) -> None:
    con.register("world_events", events)
    con.execute(
        "INSERT INTO clean.signals BY NAME SELECT * REPLACE (properties::JSON AS properties) "
        "FROM world_events"
    )
    con.unregister("world_events")


def load_world(con, world: World) -> None:
    """Insert the world's events and firmographics into the warehouse ``con`` opens."""
    insert_events(con, world.events)
    firms = world.firmographics
    con.register("world_firms", firms)
    con.execute(
        "INSERT INTO clean.firmographics BY NAME SELECT *, 'firms.csv' AS source_file, "
        "row_number() OVER () AS source_line FROM world_firms"
    )
    con.unregister("world_firms")
