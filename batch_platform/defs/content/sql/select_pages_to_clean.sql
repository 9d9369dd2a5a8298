-- Staged responses of the batch's succeeded items, in list order.
SELECT r.url, r.final_url, i.line_number, i.metadata::VARCHAR AS metadata, r.content_type,
    r.content_language, r.body
FROM content.raw_responses AS r
JOIN content.batch_items AS i ON i.partition_key = r.partition_key AND i.url = r.url
WHERE r.partition_key = $partition_key AND i.state = 'succeeded'
ORDER BY i.line_number
