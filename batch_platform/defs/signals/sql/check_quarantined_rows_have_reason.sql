-- Per partition of the run ($partition_keys): quarantined rows without a reason.
SELECT partition_key, count(*)
FROM quarantine.signal_rows
WHERE list_contains($partition_keys, partition_key) AND coalesce(reason, '') = ''
GROUP BY partition_key
