-- Decide for every valid row of typed_signals whether it is kept or a duplicate.
-- First seen wins: within the file the lowest source_line, across files the row already in
-- clean.signals from another file. Parameter: $partition_key.
CREATE OR REPLACE TEMP TABLE classified_signals AS
WITH valid AS (
    SELECT * FROM typed_signals WHERE reason IS NULL
),
first_in_file AS (
    SELECT event_key, min(source_line) AS first_line FROM valid GROUP BY event_key
),
kept_elsewhere AS (
    SELECT s.event_key, s.source_file, s.source_line
    FROM clean.signals AS s
    WHERE s.partition_key <> $partition_key
        AND s.event_key IN (SELECT event_key FROM first_in_file)
)
SELECT
    v.*,
    CASE
        WHEN e.event_key IS NOT NULL THEN 'across_files'
        WHEN v.source_line <> f.first_line THEN 'within_file'
    END AS duplicate_scope,
    coalesce(e.source_file, v.source_file) AS duplicate_of_file,
    coalesce(e.source_line, f.first_line) AS duplicate_of_line
FROM valid AS v
JOIN first_in_file AS f USING (event_key)
LEFT JOIN kept_elsewhere AS e USING (event_key);
