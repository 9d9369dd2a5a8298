-- URLs of the batch that need no fetching: succeeded or skipped by policy.
SELECT url FROM content.batch_items
WHERE partition_key = $partition_key AND state IN ('succeeded', 'skipped')
