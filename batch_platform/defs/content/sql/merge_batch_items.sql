-- Items of the (possibly re-landed) list: URLs already known keep their state and attempts,
-- new URLs start queued; URLs no longer in the list were deleted before this runs.
INSERT INTO content.batch_items BY NAME
SELECT
    $partition_key AS partition_key,
    $source_file AS source_file,
    n.line_number,
    n.url,
    n.metadata::JSON AS metadata,
    'queued' AS state,
    0 AS attempts,
    false AS from_cache
FROM listed AS n
WHERE n.url NOT IN (SELECT url FROM content.batch_items WHERE partition_key = $partition_key)
