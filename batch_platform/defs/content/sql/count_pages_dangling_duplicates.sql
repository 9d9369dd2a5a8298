-- Duplicates that point at no page.
SELECT count(*)
FROM content.pages AS d
WHERE d.partition_key = $partition_key
    AND d.dup_status IN ('exact_duplicate', 'near_duplicate')
    AND NOT EXISTS (
        SELECT 1 FROM content.pages AS p
        WHERE p.partition_key = d.duplicate_of_batch AND p.url = d.duplicate_of_url
    )
