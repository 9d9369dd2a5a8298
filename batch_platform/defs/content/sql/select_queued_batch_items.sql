-- The URLs still to fetch, in list order.
SELECT url FROM content.batch_items
WHERE partition_key = $partition_key AND state = 'queued'
ORDER BY line_number
