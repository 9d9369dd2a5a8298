-- Chunks (temp table clean_chunks) of the pages that keep theirs: unique and near duplicates.
SELECT $partition_key AS partition_key, c.*
FROM clean_chunks AS c
JOIN clean_flags AS f ON f.url = c.url
WHERE f.dup_status IN ('unique', 'near_duplicate')
