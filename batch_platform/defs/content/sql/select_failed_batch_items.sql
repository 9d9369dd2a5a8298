-- (url, state, reason) of the items that failed, were skipped or canceled, in list order: the
-- first $limit of them (all when $limit is NULL).
SELECT url, state, coalesce(error, state) AS reason
FROM content.batch_items
WHERE partition_key = $partition_key AND state IN ('failed', 'skipped', 'canceled')
ORDER BY line_number
LIMIT $limit
