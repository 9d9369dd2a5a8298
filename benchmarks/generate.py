"""Deterministic signal files for the benchmark: the same rows for the same scale, every time."""

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


def generate(directory: Path, rows: int, files: int) -> list[Path]:
    """``rows`` signals over ``files`` CSV files; ~1% invalid rows and ~2% repeated events."""
    directory.mkdir(parents=True, exist_ok=True)
    sources = list(SOURCES)
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = true")
    paths = []
    per_file = rows // files
    for index in range(files):
        path = directory / f"signals_{index:03d}.csv"
        first = index * per_file
        count = per_file if index < files - 1 else rows - first
        con.execute(
            f"""
            COPY (
                SELECT
                    CASE WHEN h % 50 = 0 THEN 'e' || (i // 2)
                        ELSE 'e' || i END AS event_id,
                    CASE WHEN h % 100 = 1 THEN 'not a time'
                        ELSE strftime(TIMESTAMP '{AS_OF}' - to_seconds(h % 2592000),
                            '%Y-%m-%dT%H:%M:%SZ') END AS occurred_at,
                    ($sources)[1 + h % 4] AS source,
                    CASE h % 4 {
                " ".join(
                    f"WHEN {n} THEN ($types{n})[1 + (h // 7) % {len(SOURCES[s])}]"
                    for n, s in enumerate(sources)
                )
            } END AS event_type,
                    CASE WHEN h % 100 = 2 THEN 'nobody'
                        ELSE 'User' || (h % 200000) || '@Acct' || (h % 20000) || '.com' END
                        AS email,
                    '' AS account_domain,
                    '' AS properties
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
