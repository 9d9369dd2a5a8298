-- The valid rows of typed_signals that repeat an event already kept, and the row they repeat.
-- First seen wins: within the file the lowest source_line, across files the row already in
-- clean.signals from another file. Only repeated keys are joined back, so the cost is one
-- aggregate over the file's keys. Parameters: $partition_key, $source_file.
CREATE OR REPLACE TEMP TABLE duplicate_signals AS
WITH valid AS (
    SELECT source_line, event_key FROM typed_signals WHERE reason IS NULL
),
repeated_in_file AS (
    SELECT event_key, min(source_line) AS first_line
    FROM valid
    GROUP BY event_key
    HAVING count(*) > 1
),
kept_elsewhere AS (
    SELECT s.event_key, s.source_file, s.source_line
    FROM clean.signals AS s
    WHERE s.partition_key <> $partition_key
        AND s.event_key IN (SELECT event_key FROM valid)
)
SELECT
    v.source_line,
    v.event_key,
    CASE WHEN e.event_key IS NOT NULL THEN 'across_files' ELSE 'within_file' END AS scope,
    coalesce(e.source_file, $source_file) AS duplicate_of_file,
    coalesce(e.source_line, r.first_line) AS duplicate_of_line
FROM valid AS v
LEFT JOIN repeated_in_file AS r USING (event_key)
LEFT JOIN kept_elsewhere AS e USING (event_key)
WHERE e.event_key IS NOT NULL OR v.source_line <> r.first_line;
