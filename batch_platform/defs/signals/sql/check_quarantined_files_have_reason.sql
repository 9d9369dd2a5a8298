-- Per partition of the run ($partition_keys): files marked quarantined in raw.signal_files
-- without a quarantine.signal_files row that gives a reason.
SELECT f.partition_key, count(*)
FROM raw.signal_files AS f
WHERE list_contains($partition_keys, f.partition_key)
    AND f.status = 'quarantined'
    AND NOT EXISTS (
        SELECT 1 FROM quarantine.signal_files AS q
        WHERE q.partition_key = f.partition_key AND coalesce(q.reason, '') <> ''
    )
GROUP BY f.partition_key
