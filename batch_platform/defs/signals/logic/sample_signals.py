"""Realistic, deterministic sample data for the demo and the tests.

Writes signal files of every supported format into ``<landing>/signals`` and one firmographics
file into ``<landing>/firmographics``, with the mess real feeds have: upper-case and padded
emails, mixed time-zone offsets, a byte-order mark, quoted newlines, re-sent events across files,
invalid rows, an empty file and a binary file.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import os
import random
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from batch_platform.defs.signals.logic.signal_file_format import CONTRACT_COLUMNS

INDUSTRIES = ["software", "financial services", "healthcare", "retail", "manufacturing", "media"]
COUNTRIES = ["US", "GB", "CA", "DE", "FR", "NL", "AU", "IN"]
WEB_PATHS = ["/", "/blog/batch-etl", "/docs", "/pricing", "/customers", "/integrations", "/about"]
WEIGHTED_EVENTS = {
    "website": [("page_view", 70), ("demo_request", 3), ("content_download", 8),
                ("form_submit", 4)],
    "product": [("login", 45), ("feature_used", 45), ("trial_signup", 10)],
    "email": [("email_open", 55), ("email_click", 30), ("email_bounce", 5), ("unsubscribe", 3),
              ("webinar_attended", 7)],
    "crm": [("meeting_booked", 40), ("opportunity_created", 20), ("support_ticket", 40)],
}  # fmt: skip
FIELDS = list(CONTRACT_COLUMNS)


@dataclass(frozen=True)
class SampleSummary:
    signal_files: list[str]
    events: int
    accounts: int


def _pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    return rng.choices([w[0] for w in weighted], weights=[w[1] for w in weighted])[0]


def _events(rng: random.Random, count: int, days: int, now: dt.datetime, accounts, contacts):
    start = now - dt.timedelta(days=days)
    # A few contacts are very active and most are not, as in real funnels.
    activity = [1 / (rank + 1) ** 0.9 for rank in range(len(contacts))]
    chosen = rng.choices(contacts, weights=activity, k=count)
    events = []
    for n, (email, domain) in enumerate(chosen):
        source = rng.choices(["website", "product", "email", "crm"], weights=[45, 30, 20, 5])[0]
        event_type = _pick(rng, WEIGHTED_EVENTS[source])
        occurred = start + dt.timedelta(seconds=rng.uniform(0, days * 86400 - 7200))
        props: dict[str, object] = {}
        if event_type == "page_view":
            props = {"path": rng.choice(WEB_PATHS), "referrer": rng.choice(["google", "", "li"])}
        elif event_type == "feature_used":
            props = {"feature": rng.choice(["export", "dashboards", "alerts", "sso"])}
        events.append(
            {
                "event_id": f"{source[:3]}-{n:07d}",
                "occurred_at": occurred,
                "source": source,
                "event_type": event_type,
                "email": email,
                "account_domain": domain,
                "properties": props,
            }
        )
    events.sort(key=lambda e: e["occurred_at"])
    return events


def _iso(rng: random.Random, value: dt.datetime) -> str:
    """ISO-8601 in a mix of styles: Z, naive (UTC), or a local offset."""
    style = rng.random()
    if style < 0.5:
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style < 0.75:
        return value.strftime("%Y-%m-%d %H:%M:%S")
    offset = dt.timezone(dt.timedelta(hours=rng.choice([-5, -8, 1, 2, 5.5])))
    return value.replace(tzinfo=dt.UTC).astimezone(offset).isoformat()


def _messy_email(rng: random.Random, email: str) -> str:
    roll = rng.random()
    if roll < 0.1:
        return email.upper()
    if roll < 0.15:
        return f"  {email} "
    return email


def _as_text_row(rng: random.Random, event: dict) -> dict[str, str]:
    return {
        "event_id": event["event_id"],
        "occurred_at": _iso(rng, event["occurred_at"]),
        "source": event["source"] if rng.random() > 0.05 else event["source"].upper(),
        "event_type": event["event_type"],
        "email": _messy_email(rng, event["email"]),
        "account_domain": event["account_domain"] if rng.random() > 0.5 else "",
        "properties": json.dumps(event["properties"]) if event["properties"] else "",
    }


def _invalid_rows(rng: random.Random, now: dt.datetime, count: int) -> list[dict[str, str]]:
    templates = [
        {"email": "not-an-email"},
        {"source": ""},
        {"occurred_at": "yesterday-ish"},
        {"occurred_at": (now + dt.timedelta(days=400)).isoformat()},
        {"email": ""},
        {"event_type": ""},
        {"properties": "{broken json"},
    ]
    rows = []
    for n in range(count):
        row = {
            "event_id": f"bad-{n:05d}",
            "occurred_at": (now - dt.timedelta(days=1)).isoformat(),
            "source": "website",
            "event_type": "page_view",
            "email": "someone@example.org",
            "account_domain": "",
            "properties": "",
        }
        row.update(rng.choice(templates))
        rows.append(row)
    return rows


def _write_csv(
    path: Path, rows: list[dict[str, str]], header: list[str], bom: bool = False, crlf=False
):
    newline = "\r\n" if crlf else "\n"
    with open(path, "w", newline="", encoding="utf-8-sig" if bom else "utf-8") as handle:
        writer = csv.DictWriter(
            handle, fieldnames=header, extrasaction="ignore", lineterminator=newline
        )
        writer.writeheader()
        writer.writerows(rows)


def generate_sample_data(
    landing_dir: Path, events: int = 60_000, days: int = 60, seed: int = 7, now=None
) -> SampleSummary:
    """Write the sample landing files; returns what was written."""
    rng = random.Random(seed)
    now = (now or dt.datetime.now(dt.UTC)).replace(tzinfo=None, microsecond=0)
    signals = landing_dir / "signals"
    firmographics = landing_dir / "firmographics"
    signals.mkdir(parents=True, exist_ok=True)
    firmographics.mkdir(parents=True, exist_ok=True)

    accounts = [f"{word}{n}.example.com" for n, word in enumerate(
        rng.choices(["acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne"], k=200)
    )]  # fmt: skip
    contacts = [(f"user{n}@{rng.choice(accounts)}", None) for n in range(6000)]
    contacts = [(email, email.split("@")[1]) for email, _ in contacts]
    contacts += [(f"fan{n}@gmail.com", None) for n in range(300)]
    with open(firmographics / "firmographics_2024.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["domain", "company_name", "industry", "employee_count", "country"])
        for domain in accounts:
            writer.writerow(
                [
                    f"www.{domain}" if rng.random() < 0.1 else domain,
                    domain.split(".")[0].title() + " Inc",
                    rng.choice(INDUSTRIES),
                    rng.choice([8, 45, 120, 480, 2500, 12000]),
                    rng.choice(COUNTRIES),
                ]
            )

    all_events = _events(rng, events, days, now, accounts, contacts)
    by_source: dict[str, list[dict]] = {s: [] for s in WEIGHTED_EVENTS}
    for event in all_events:
        by_source[event["source"]].append(event)
    written: list[str] = []

    # Website: one CSV per fortnight, with a BOM, an odd header and quoted newlines.
    web = by_source["website"]
    chunks = [web[i : i + len(web) // 4 + 1] for i in range(0, len(web), len(web) // 4 + 1)]
    for index, chunk in enumerate(chunks):
        rows = [_as_text_row(rng, e) for e in chunk]
        if index == 0:
            rows += _invalid_rows(rng, now, 40)
        name = f"website_events_part{index + 1}.csv"
        header = [" Event_ID", "Occurred At", "SOURCE", "event_type", "Email", "account_domain",
                  "properties", "user_agent"]  # fmt: skip
        text_rows = [
            {**dict(zip(header, [r[f] for f in FIELDS], strict=False)), "user_agent": "Mozilla/5.0"}
            for r in rows
        ]
        if index == 0:  # a quoted field with a real line break
            text_rows[0]["user_agent"] = "Mozilla/5.0\n(X11; Linux x86_64)"
        _write_csv(signals / name, text_rows, header, bom=index == 0, crlf=index == 3)
        written.append(name)

    # Product: gzip JSONL, with some events re-sent in a second file (cross-file duplicates).
    product_rows = [_as_text_row(rng, e) for e in by_source["product"]]
    half = len(product_rows) // 2
    resent = min(500, half // 5)
    for name, rows in (
        ("product_events_a.jsonl.gz", product_rows[:half]),
        ("product_events_b.jsonl.gz", product_rows[half - resent :]),
    ):
        with (
            open(signals / name, "wb") as raw,
            gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as zipped,
            io.TextIOWrapper(zipped, encoding="utf-8") as handle,
        ):
            for row in rows:
                record = {k: v for k, v in row.items() if v != ""}
                if "properties" in record:
                    record["properties"] = json.loads(record["properties"])
                handle.write(json.dumps(record) + "\n")
        written.append(name)

    # Email: Parquet.
    email_rows = [_as_text_row(rng, e) for e in by_source["email"]]
    pq.write_table(
        pa.table({f: [r[f] or None for r in email_rows] for f in FIELDS}),
        signals / "email_events.parquet",
    )
    written.append("email_events.parquet")

    # CRM: a CSV without event ids (identity by content), with within-file repeats, and a file
    # name with characters that are not safe as partition keys.
    crm_rows = [{**_as_text_row(rng, e), "event_id": ""} for e in by_source["crm"]]
    crm_rows += crm_rows[:25]
    name = "crm export, Q3|final.csv"
    _write_csv(signals / name, crm_rows, FIELDS)
    written.append(name)

    (signals / "empty_upload.csv").write_bytes(b"")
    (signals / "corrupt_upload.csv").write_bytes(bytes(rng.randrange(256) for _ in range(4096)))
    written += ["empty_upload.csv", "corrupt_upload.csv"]

    # The files landed a little while ago: complete by the sensor's rules.
    landed = now.replace(tzinfo=dt.UTC).timestamp() - 3600
    for offset, name in enumerate(written):
        os.utime(signals / name, (landed + offset, landed + offset))
    os.utime(firmographics / "firmographics_2024.csv", (landed - 60, landed - 60))
    return SampleSummary(signal_files=written, events=len(all_events), accounts=len(accounts))
