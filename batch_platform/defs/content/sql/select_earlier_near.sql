-- For each candidate page, the closest unique page of an earlier batch within max_distance bits.
SELECT c.url, p.partition_key, p.url AS duplicate_of_url,
    bit_count(xor(c.simhash, p.simhash)) AS distance
FROM candidates AS c
JOIN content.pages AS p ON bit_count(xor(c.simhash, p.simhash)) <= $max_distance
JOIN content.batches AS b ON b.partition_key = p.partition_key
WHERE p.dup_status = 'unique'
    AND (b.registered_at, b.partition_key) < (
        SELECT (registered_at, partition_key) FROM content.batches
        WHERE partition_key = $partition_key
    )
QUALIFY row_number() OVER (
    PARTITION BY c.url ORDER BY distance, b.registered_at, p.partition_key, p.line_number
) = 1
