-- Row accounting per landed file: every raw row is cleaned, a duplicate or quarantined.
-- Parameter: $report_date.
WITH raw_rows AS (
    SELECT partition_key, count(*) AS n FROM raw.signals GROUP BY partition_key
),
cleaned AS (
    SELECT partition_key, count(*) AS n FROM clean.signals GROUP BY partition_key
),
duplicates AS (
    SELECT partition_key, count(*) AS n FROM clean.signal_duplicates GROUP BY partition_key
),
quarantined AS (
    SELECT partition_key, count(*) AS n FROM quarantine.signal_rows GROUP BY partition_key
)
SELECT
    $report_date::DATE AS report_date,
    f.source_file,
    f.status,
    coalesce(r.n, 0) AS rows_in,
    coalesce(c.n, 0) AS rows_cleaned,
    coalesce(d.n, 0) AS rows_duplicate,
    coalesce(q.n, 0) AS rows_quarantined
FROM raw.signal_files AS f
LEFT JOIN raw_rows AS r USING (partition_key)
LEFT JOIN cleaned AS c USING (partition_key)
LEFT JOIN duplicates AS d USING (partition_key)
LEFT JOIN quarantined AS q USING (partition_key)
ORDER BY f.modified_at, f.source_file
