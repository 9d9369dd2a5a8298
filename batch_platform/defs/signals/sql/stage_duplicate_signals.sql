-- The valid rows of typed_signals that repeat an event already kept, and the row they repeat.
-- First seen wins: a row already in clean.signals from a file outside this run (history_keys:
-- those kept within the de-duplication window whose event_hash the run's rows have, see
-- select_history_keys), else the first row in landing order (file_order, then source_line).
-- Keys are compared by their hash first (event_hash, the key's first 15 hex digits: grouping
-- 10M integers costs a fraction of grouping 10M texts); only the rows whose hash repeats in the
-- run or is in history_keys are grouped by the key itself, which decides. A row's file is its
-- file_order in run_files.
CREATE OR REPLACE TEMP TABLE duplicate_signals AS
WITH valid AS (
    SELECT partition_id, file_order, source_line, event_key, event_hash
    FROM typed_signals
    WHERE reason IS NULL
),
repeated_hashes AS (
    SELECT event_hash FROM valid GROUP BY event_hash HAVING count(*) > 1
),
candidates AS (
    SELECT partition_id, file_order, source_line, event_key
    FROM valid
    WHERE event_hash IN (SELECT event_hash FROM repeated_hashes)
        OR event_hash IN (SELECT event_hash FROM history_keys)
),
repeated_in_run AS (
    SELECT event_key, min({'file_order': file_order, 'line': source_line}) AS first
    FROM candidates
    GROUP BY event_key
    HAVING count(*) > 1
),
kept_elsewhere AS (
    SELECT h.event_key, min({'file': h.source_file, 'line': h.source_line}) AS kept
    FROM history_keys AS h
    WHERE h.event_key IN (SELECT event_key FROM candidates)
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
FROM candidates AS v
JOIN run_files AS rf USING (file_order)
LEFT JOIN repeated_in_run AS r USING (event_key)
LEFT JOIN run_files AS f ON f.file_order = r.first.file_order
LEFT JOIN kept_elsewhere AS e USING (event_key)
WHERE e.event_key IS NOT NULL
    OR v.file_order <> r.first.file_order
    OR v.source_line <> r.first.line;
