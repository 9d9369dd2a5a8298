-- The valid rows of typed_signals that repeat an event already kept, and the row they repeat.
-- First seen wins: a row already in clean.signals from a file outside this run (history_keys:
-- those kept within the de-duplication window whose event_hash the run's rows have, see
-- select_history_keys), else the first row in landing order (file_order, then source_line).
-- Only repeated keys are joined back: one aggregate over the run's keys. A row's file is its
-- file_order in run_files.
CREATE OR REPLACE TEMP TABLE duplicate_signals AS
WITH valid AS (
    SELECT partition_id, file_order, source_line, event_key
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
    SELECT h.event_key, min({'file': h.source_file, 'line': h.source_line}) AS kept
    FROM history_keys AS h
    WHERE h.event_key IN (SELECT event_key FROM valid)
    GROUP BY h.event_key
)
SELECT
    rf.partition_key,
    v.partition_id,
    rf.source_file,
    v.file_order,
    v.source_line,
    v.event_key,
    CASE
        WHEN e.event_key IS NOT NULL OR r.first.file_order <> v.file_order THEN 'across_files'
        ELSE 'within_file'
    END AS scope,
    coalesce(e.kept.file, f.source_file) AS duplicate_of_file,
    coalesce(e.kept.line, r.first.line) AS duplicate_of_line
FROM valid AS v
JOIN run_files AS rf USING (file_order)
LEFT JOIN repeated_in_run AS r USING (event_key)
LEFT JOIN run_files AS f ON f.file_order = r.first.file_order
LEFT JOIN kept_elsewhere AS e USING (event_key)
WHERE e.event_key IS NOT NULL
    OR v.file_order <> r.first.file_order
    OR v.source_line <> r.first.line;
