-- Per file of the run ($partition_keys): quarantined intent rows without a reason.
SELECT partition_key, count(*) AS failing
FROM quarantine.intent_rows
WHERE list_contains($partition_keys, partition_key) AND nullif(trim(reason), '') IS NULL
GROUP BY partition_key
