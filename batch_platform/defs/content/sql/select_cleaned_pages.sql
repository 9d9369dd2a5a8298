-- The batch's cleaned pages (temp table clean_pages) with their duplicate flags (clean_flags).
SELECT $partition_key AS partition_key,
    p.* REPLACE (
        f.dup_status AS dup_status,
        f.duplicate_of_batch AS duplicate_of_batch,
        f.duplicate_of_url AS duplicate_of_url,
        f.simhash_distance AS simhash_distance
    )
FROM clean_pages AS p
JOIN clean_flags AS f ON f.url = p.url
