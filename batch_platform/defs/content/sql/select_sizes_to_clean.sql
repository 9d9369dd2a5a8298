-- URL and body size of each staged response of the batch's succeeded items, in URL order: the
-- plan of the cleaning batches (no body leaves the scan).
SELECT r.url, r.bytes
FROM (
    SELECT url, octet_length(body) AS bytes
    FROM content.raw_responses
    WHERE partition_key = $partition_key
) AS r
JOIN content.batch_items AS i ON i.url = r.url
WHERE i.partition_key = $partition_key AND i.state = 'succeeded'
ORDER BY r.url
