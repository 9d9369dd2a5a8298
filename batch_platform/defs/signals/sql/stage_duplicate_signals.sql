-- The valid rows of typed_signals that repeat an event already kept, and the row they repeat.
-- First seen wins: a row already in clean.signals from a file outside this run, else the first
-- row in landing order (file_order, then source_line). Only repeated keys are joined back, so the
-- cost is one aggregate over the run's keys and one scan of clean.signals.
CREATE OR REPLACE TEMP TABLE duplicate_signals AS
WITH valid AS (
    SELECT partition_key, source_file, file_order, source_line, event_key
    FROM typed_signals
    WHERE reason IS NULL
),
repeated_in_run AS (
    SELECT event_key, min({'file_order': file_order, 'line': source_line}) AS first
    FROM valid
    GROUP BY event_key
    HAVING count(*) > 1
),
kept_elsewhere AS (
    SELECT s.event_key, min({'file': s.source_file, 'line': s.source_line}) AS kept
    FROM clean.signals AS s
    WHERE s.partition_key NOT IN (SELECT partition_key FROM run_files)
        AND s.event_key IN (SELECT event_key FROM valid)
    GROUP BY s.event_key
)
SELECT
    v.partition_key,
    v.source_file,
    v.source_line,
    v.event_key,
    CASE
        WHEN e.event_key IS NOT NULL OR r.first.file_order <> v.file_order THEN 'across_files'
        ELSE 'within_file'
    END AS scope,
    coalesce(e.kept.file, f.source_file) AS duplicate_of_file,
    coalesce(e.kept.line, r.first.line) AS duplicate_of_line
FROM valid AS v
LEFT JOIN repeated_in_run AS r USING (event_key)
LEFT JOIN run_files AS f ON f.file_order = r.first.file_order
LEFT JOIN kept_elsewhere AS e USING (event_key)
WHERE e.event_key IS NOT NULL
    OR v.file_order <> r.first.file_order
    OR v.source_line <> r.first.line;
