-- Pages of earlier batches with the same normalised content (the original of each hash).
SELECT p.content_hash, p.partition_key, p.url
FROM content.pages AS p
JOIN content.batches AS b ON b.partition_key = p.partition_key
WHERE p.dup_status IN ('unique', 'near_duplicate')
    AND p.content_hash IN (SELECT content_hash FROM candidates)
    AND (b.registered_at, b.partition_key) < (
        SELECT (registered_at, partition_key) FROM content.batches
        WHERE partition_key = $partition_key
    )
QUALIFY row_number() OVER (
    PARTITION BY p.content_hash ORDER BY b.registered_at, p.partition_key, p.line_number
) = 1
