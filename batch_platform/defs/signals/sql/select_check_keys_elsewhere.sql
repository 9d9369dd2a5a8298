-- One scan of the window ({window}, on occurred_at): event keys of the run's cleaned rows
-- (check_run_keys) that a file outside the run ($partition_keys) also keeps, by event_hash
-- (check_event_key_unique compares the keys themselves).
SELECT DISTINCT s.event_key, s.event_hash
FROM clean.signals AS s
WHERE {window}
    AND s.event_hash IN (SELECT event_hash FROM check_run_keys)
    AND NOT list_contains($partition_keys, s.partition_key)
