-- Chunks without a (non-duplicate) page.
SELECT count(*)
FROM content.chunks AS c
WHERE c.partition_key = $partition_key
    AND NOT EXISTS (
        SELECT 1 FROM content.pages AS p
        WHERE p.partition_key = c.partition_key
            AND p.url = c.url
            AND p.dup_status IN ('unique', 'near_duplicate')
    )
