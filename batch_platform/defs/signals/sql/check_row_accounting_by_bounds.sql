-- Row accounting when raw's source_lines are the distinct integers $first_line..$last_line
-- ($raw_rows of them): the placed lines equal them exactly iff they are as many, all distinct,
-- none null and within the same bounds. 0 = every raw row is in exactly one of clean.signals,
-- clean.signal_duplicates and quarantine.signal_rows. Parameters: $partition_key, $raw_rows,
-- $first_line, $last_line.
WITH placed AS (
    SELECT source_line FROM clean.signals WHERE partition_key = $partition_key
    UNION ALL
    SELECT source_line FROM clean.signal_duplicates WHERE partition_key = $partition_key
    UNION ALL
    SELECT source_line FROM quarantine.signal_rows WHERE partition_key = $partition_key
),
stats AS (
    SELECT count(*) AS n, count(DISTINCT source_line) AS d, min(source_line) AS lo,
        max(source_line) AS hi, count(*) FILTER (WHERE source_line IS NULL) AS nulls
    FROM placed
)
SELECT CASE
    WHEN n = $raw_rows AND d = n AND nulls = 0
        AND lo IS NOT DISTINCT FROM $first_line AND hi IS NOT DISTINCT FROM $last_line THEN 0
    ELSE greatest(abs(n - $raw_rows), n - d + nulls, 1)
END
FROM stats
