"""The limit: hand-written DuckDB SQL doing load, validate, de-duplicate, normalise and score."""

import json
import sys

import duckdb

from batch_platform.defs.signals.logic.event_vocabulary import event_type_rows
from batch_platform.defs.signals.logic.lead_score_weights import DEFAULT_WEIGHTS

AS_OF_END = "2026-02-01 05:00:00"  # end of 2026-01-31 in America/New_York, in UTC


def main(data_dir: str) -> dict:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    spellings = [r[0] for r in event_type_rows()]
    canonical = [r[1] for r in event_type_rows()]
    con.execute(
        "CREATE TABLE vocabulary AS SELECT unnest($s) AS spelling, unnest($c) AS canonical",
        {"s": spellings, "c": canonical},
    )
    con.execute(
        "CREATE TABLE weights AS SELECT unnest($t) AS event_type, unnest($p) AS points",
        {"t": list(DEFAULT_WEIGHTS), "p": list(DEFAULT_WEIGHTS.values())},
    )
    con.execute(
        f"""
        CREATE TABLE clean AS
        WITH typed AS (
            SELECT filename, row_number() OVER () AS line, nullif(trim(event_id), '') AS event_id,
                try_cast(trim(occurred_at) AS TIMESTAMPTZ) AT TIME ZONE 'UTC' AS occurred_at,
                lower(trim(source)) AS source, v.canonical AS event_type,
                lower(trim(email)) AS email
            FROM read_csv('{data_dir}/*.csv', header = true, all_varchar = true,
                filename = true) AS r
            LEFT JOIN vocabulary AS v
                ON v.spelling = regexp_replace(lower(trim(r.event_type)), '[\\s.\\-]+', '_', 'g')
        ),
        valid AS (
            SELECT * FROM typed
            WHERE occurred_at IS NOT NULL AND source IN ('website', 'product', 'email', 'crm')
                AND event_type IS NOT NULL
                AND regexp_full_match(email, '[^@\\s]+@[^@\\s]+\\.[^@\\s.]{{2,}}')
        )
        SELECT * FROM valid
        QUALIFY row_number() OVER (
            PARTITION BY md5(source || '|' || event_id) ORDER BY filename, line) = 1
        """
    )
    scored = con.execute(
        f"""
        SELECT count(*) FROM (
            SELECT email, sum(coalesce(w.points, 0) * pow(0.5,
                date_diff('second', occurred_at, TIMESTAMP '{AS_OF_END}') / 86400.0 / 30)) AS s
            FROM clean LEFT JOIN weights AS w USING (event_type)
            WHERE occurred_at >= TIMESTAMP '{AS_OF_END}' - INTERVAL 90 DAY
                AND occurred_at < TIMESTAMP '{AS_OF_END}'
            GROUP BY email
        )
        """
    ).fetchone()[0]
    cleaned = con.execute("SELECT count(*) FROM clean").fetchone()[0]
    return {"cleaned": cleaned, "contacts_scored": scored}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1])))
