-- Per partition of the run: cleaned rows (check_run_keys) whose event_key is kept more than once,
-- within the partition, across the run, or also by another file within the de-duplication window
-- (check_keys_elsewhere).
WITH repeated AS (
    SELECT event_key FROM check_run_keys GROUP BY event_key HAVING count(*) > 1
    UNION
    SELECT event_key FROM check_keys_elsewhere
)
SELECT partition_key, count(*)
FROM check_run_keys
WHERE event_key IN (SELECT event_key FROM repeated)
GROUP BY partition_key
