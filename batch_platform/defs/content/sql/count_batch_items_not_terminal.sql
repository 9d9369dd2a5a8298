-- Items that did not end succeeded, failed, skipped or canceled.
SELECT count(*) FROM content.batch_items
WHERE partition_key = $partition_key
    AND state NOT IN ('succeeded', 'failed', 'skipped', 'canceled')
