"""Deterministic signal files for the benchmark: the same rows for the same scale, every time.

Most rows are plain, but every rule of the platform's cleaning is exercised (about 3% of rows are
messy, so the contenders cannot skip a rule for free): invalid, missing, future and pre-2000
timestamps; unknown sources and event types (kept as ``unmapped``); other spellings of event
types; missing and implausible emails; free-mail and given (``www.``) account domains; properties
as a JSON object, as a JSON string holding one, JSON ``null``, invalid JSON and a JSON array;
pricing pages; rows without an event id (content keys); rows breaking several rules at once; and
repeated events within and across files (about 2%).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

AS_OF = "2026-01-31"  # scores are computed as of the end of this day (America/New_York)
SOURCES = {
    "website": ["page_view", "page_view", "page_view", "demo_request", "content_download"],
    "product": ["login", "feature_used", "trial_signup"],
    "email": ["email_open", "email_click", "email_bounce", "unsubscribe"],
    "crm": ["meeting_booked", "support_ticket"],
}
# What some rows carry in `properties` (h % 1000 picks them; others have none).
PROPERTIES = {
    20: '{"path": "/pricing/enterprise", "referrer": "search"}',
    21: '{"path": "/docs/start"}',
    22: '"{\\"url\\": \\"https://example.com/Pricing\\"}"',  # a JSON string holding an object
    23: "null",
    24: "not json",
    25: "[1, 2]",
    26: '{"url": "https://example.com/blog", "n": 1.50}',
}


def generate(directory: Path, rows: int, files: int) -> list[Path]:
    """``rows`` signals over ``files`` CSV files; ~3% messy rows and ~2% repeated events."""
    directory.mkdir(parents=True, exist_ok=True)
    sources = list(SOURCES)
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = true")
    paths = []
    per_file = rows // files
    properties = " ".join(
        f"WHEN {n} THEN '{text.replace(chr(39), chr(39) * 2)}'" for n, text in PROPERTIES.items()
    )
    for index in range(files):
        path = directory / f"signals_{index:03d}.csv"
        first = index * per_file
        count = per_file if index < files - 1 else rows - first
        con.execute(
            f"""
            COPY (
                SELECT
                    CASE WHEN h % 1000 IN (12, 18) THEN ''
                        WHEN h % 50 = 0 THEN 'e' || (i // 2)
                        ELSE 'e' || i END AS event_id,
                    CASE WHEN h % 100 = 1 OR h % 1000 = 18 THEN 'not a time'
                        WHEN h % 1000 = 3 THEN '2099-01-01T00:00:00Z'
                        WHEN h % 1000 = 4 THEN '1999-12-31T23:59:59Z'
                        WHEN h % 1000 = 5 THEN ''
                        WHEN h % 1000 = 27 THEN strftime(TIMESTAMP '{AS_OF}'
                            - to_seconds(h % 2592000), '%Y-%m-%d %H:%M:%S') || '+02:00'
                        ELSE strftime(TIMESTAMP '{AS_OF}' - to_seconds(h % 2592000),
                            '%Y-%m-%dT%H:%M:%SZ') END AS occurred_at,
                    CASE WHEN h % 1000 = 7 THEN 'Partner'
                        WHEN h % 1000 = 8 THEN ''
                        WHEN h % 1000 = 28 THEN ' WEBSITE '
                        ELSE ($sources)[1 + h % 4] END AS source,
                    CASE WHEN h % 1000 = 6 THEN 'Mystery Event'
                        WHEN h % 1000 IN (9, 18) THEN ''
                        WHEN h % 1000 IN (20, 21, 22, 23, 26) THEN 'Page View'
                        WHEN h % 1000 = 16 THEN 'PAGE-VIEW'
                        ELSE CASE h % 4 {
                " ".join(
                    f"WHEN {n} THEN ($types{n})[1 + (h // 7) % {len(SOURCES[s])}]"
                    for n, s in enumerate(sources)
                )
            } END END AS event_type,
                    CASE WHEN h % 100 = 2 OR h % 1000 = 18 THEN 'nobody'
                        WHEN h % 1000 = 14 THEN 'a@b'
                        WHEN h % 1000 = 15 THEN ''
                        WHEN h % 20 = 11 THEN 'user' || (h % 200000) || '@gmail.com'
                        ELSE 'User' || (h % 200000) || '@Acct' || (h % 20000) || '.com' END
                        AS email,
                    CASE WHEN h % 1000 = 13 THEN 'www.Example.org' ELSE '' END AS account_domain,
                    CASE h % 1000 {properties} ELSE '' END AS properties
                FROM (SELECT i, (hash(i) % 1000000007)::BIGINT AS h FROM range($first, $last) t(i))
                ORDER BY i
            ) TO '{path}' (HEADER)
            """,
            {
                "first": first,
                "last": first + count,
                "sources": sources,
                **{f"types{n}": SOURCES[s] for n, s in enumerate(sources)},
            },
        )
        paths.append(path)
    con.close()
    return paths


if __name__ == "__main__":
    import sys

    generate(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))
