-- Row accounting line by line: raw rows of the partition not placed in exactly one of
-- clean.signals, clean.signal_duplicates and quarantine.signal_rows, plus placed lines that are
-- not raw rows. Parameters: $partition_key, $partition_id (its id).
WITH placed AS (
    SELECT source_line FROM clean.signals WHERE partition_id = $partition_id
        AND partition_key = $partition_key
    UNION ALL
    SELECT source_line FROM clean.signal_duplicates WHERE partition_id = $partition_id
        AND partition_key = $partition_key
    UNION ALL
    SELECT source_line FROM quarantine.signal_rows WHERE partition_id = $partition_id
        AND partition_key = $partition_key
),
placed_count AS (
    SELECT source_line, count(*) AS n FROM placed GROUP BY source_line
)
SELECT count(*)
FROM (SELECT source_line FROM raw.signals WHERE partition_id = $partition_id
        AND partition_key = $partition_key) AS r
FULL JOIN placed_count AS p USING (source_line)
WHERE p.n IS DISTINCT FROM 1 OR r.source_line IS NULL
