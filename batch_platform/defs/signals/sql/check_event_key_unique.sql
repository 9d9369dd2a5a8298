-- Per partition of the run (by partition_id): cleaned rows (check_run_keys) whose event_key is
-- kept more than once, within the partition, across the run, or also by another file within the
-- de-duplication window (check_keys_elsewhere). Keys are grouped by their hash first
-- (event_hash, written with the key: its first 15 hex digits); only rows whose hash repeats in
-- the run or is another file's are compared by the key itself, which decides.
WITH repeated_hashes AS (
    SELECT event_hash FROM check_run_keys GROUP BY event_hash HAVING count(*) > 1
),
candidates AS (
    SELECT partition_id, event_key
    FROM check_run_keys
    WHERE event_hash IN (SELECT event_hash FROM repeated_hashes)
        OR event_hash IN (SELECT event_hash FROM check_keys_elsewhere)
),
repeated AS (
    SELECT event_key FROM candidates GROUP BY event_key HAVING count(*) > 1
    UNION
    SELECT event_key FROM check_keys_elsewhere
)
SELECT partition_id, count(*)
FROM candidates
WHERE event_key IN (SELECT event_key FROM repeated)
GROUP BY partition_id
