-- (url, state, reason) of every item that failed, was skipped or canceled, in list order.
SELECT url, state, coalesce(error, state) AS reason
FROM content.batch_items
WHERE partition_key = $partition_key AND state IN ('failed', 'skipped', 'canceled')
ORDER BY line_number
