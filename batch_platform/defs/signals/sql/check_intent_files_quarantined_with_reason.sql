-- Per file of the run ($partition_keys): files quarantined whole without a reason.
SELECT partition_key, count(*) AS failing
FROM raw.intent_files
WHERE list_contains($partition_keys, partition_key)
    AND status = 'quarantined' AND nullif(trim(reason), '') IS NULL
GROUP BY partition_key
