-- Event types and sources kept as 'unmapped' in clean.signals (in no list of the reference
-- data), per kind and spelling as looked up, most rows first: an example as a file wrote it,
-- rows, rows that occurred in [$day_start, $day_end) (0 when those are NULL) and files.
-- {partition_filter}: the files to look at (a condition on partition_id and partition_key with
-- $partition_keys, or true for every file).
WITH unmapped AS (
    SELECT
        'event_type' AS kind,
        regexp_replace(lower(trim(event_type_raw)), '[\s.\-]+', '_', 'g') AS spelling,
        trim(event_type_raw) AS as_written, source_file, occurred_at
    FROM clean.signals
    WHERE event_type = 'unmapped'
        AND {partition_filter}
    UNION ALL
    SELECT
        'source', lower(trim(source_raw)), trim(source_raw), source_file, occurred_at
    FROM clean.signals
    WHERE source = 'unmapped'
        AND {partition_filter}
)
SELECT
    kind,
    spelling,
    min(as_written) AS example,
    count(*) AS n_rows,
    count(*) FILTER (
        WHERE occurred_at >= $day_start::TIMESTAMP AND occurred_at < $day_end::TIMESTAMP
    ) AS rows_on_day,
    count(DISTINCT source_file) AS files
FROM unmapped
GROUP BY kind, spelling
ORDER BY n_rows DESC, kind, spelling
