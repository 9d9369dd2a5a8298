"""Hand-made lead scores and destination configs for the delivery tests."""

import datetime as dt

import pyarrow as pa

from batch_platform.defs.delivery.logic.config import DeliveryConfig

SECRET = "test-signing-secret"
FAST_RETRY = {"attempts": 3, "base_seconds": 0.01, "cap_seconds": 0.05}


def tier(score: float) -> str:
    return "A" if score >= 75 else "B" if score >= 50 else "C" if score >= 25 else "D"


def seed_scores(con, day: str, scores: dict[str, float]) -> None:
    """Replace the lead scores of ``day`` with ``scores`` (email → score)."""
    emails = list(scores)
    table = pa.table(
        {
            "as_of_date": pa.array([dt.date.fromisoformat(day)] * len(emails), pa.date32()),
            "email": emails,
            "account_domain": [e.split("@")[1] for e in emails],
            "behaviour_score": pa.array([scores[e] for e in emails], pa.float64()),
            "fit_score": pa.array([0.0] * len(emails), pa.float64()),
            "score": pa.array([scores[e] for e in emails], pa.float64()),
            "tier": [tier(scores[e]) for e in emails],
            "is_mql": [scores[e] >= 50 for e in emails],
            "events_in_lookback": pa.array([1] * len(emails), pa.int64()),
        }
    )
    con.execute("DELETE FROM scores.lead_scores WHERE as_of_date = ?", [day])
    con.register("seed_arrow", table)
    con.execute("INSERT INTO scores.lead_scores BY NAME SELECT * FROM seed_arrow")
    con.unregister("seed_arrow")


def http_config(url: str, **destination) -> DeliveryConfig:
    sync = destination.pop("sync", {})
    return DeliveryConfig.model_validate(
        {
            "destinations": [{"name": "crm", "url": url, "retry": FAST_RETRY} | destination],
            "sync": sync,
        }
    )


def rows(con, sql: str, params=None) -> list[tuple]:
    return con.execute(sql, params).fetchall()
