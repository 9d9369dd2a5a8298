-- Staged responses of the batch's succeeded items with URLs from $first to $last (one cleaning
-- batch: the range was planned from select_sizes_to_clean, so it holds a bounded number of
-- bodies and bytes).
SELECT r.url, r.final_url, i.line_number, i.metadata::VARCHAR AS metadata, r.content_type,
    r.content_language, r.body
FROM content.raw_responses AS r
JOIN content.batch_items AS i ON i.partition_key = r.partition_key AND i.url = r.url
WHERE r.partition_key = $partition_key AND i.state = 'succeeded'
    AND r.url BETWEEN $first AND $last
ORDER BY r.url
