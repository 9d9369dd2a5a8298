-- Per partition of $partition_keys: cleaned rows whose event_key is kept more than once
-- (within the partition, across the run, or also by another partition). One scan for the run.
WITH mine AS (
    SELECT partition_key, event_key FROM clean.signals
    WHERE list_contains($partition_keys, partition_key)
),
repeated AS (
    SELECT event_key FROM clean.signals
    WHERE event_key IN (SELECT event_key FROM mine)
    GROUP BY event_key
    HAVING count(*) > 1
)
SELECT partition_key, count(*)
FROM mine
WHERE event_key IN (SELECT event_key FROM repeated)
GROUP BY partition_key
