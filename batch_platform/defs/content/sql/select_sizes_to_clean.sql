-- URL and body size of each staged response of the batch's succeeded items, in URL order: the
-- plan of the cleaning batches. The fetch recorded the size of each body it fetched on the item,
-- so no body leaves the scan for those; only bodies copied from another batch's staging (no size
-- on the item) are measured.
SELECT i.url, i.bytes
FROM content.batch_items AS i
SEMI JOIN content.raw_responses AS r ON r.partition_key = i.partition_key AND r.url = i.url
WHERE i.partition_key = $partition_key AND i.state = 'succeeded' AND i.bytes IS NOT NULL
UNION ALL
SELECT r.url, octet_length(r.body) AS bytes
FROM content.raw_responses AS r
JOIN content.batch_items AS i ON i.partition_key = r.partition_key AND i.url = r.url
WHERE r.partition_key = $partition_key AND i.state = 'succeeded' AND i.bytes IS NULL
ORDER BY url
