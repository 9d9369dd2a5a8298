-- Succeeded items without a staged response.
SELECT count(*)
FROM content.batch_items AS i
WHERE i.partition_key = $partition_key
    AND i.state = 'succeeded'
    AND NOT EXISTS (
        SELECT 1 FROM content.raw_responses AS r
        WHERE r.partition_key = i.partition_key AND r.url = i.url
    )
