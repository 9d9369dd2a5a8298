-- A file quarantined whole, or no row when $reason is null (the file was read).
-- Parameters: $partition_key, $source_file, $size_bytes, $modified_at, $reason.
SELECT
    $partition_key AS partition_key,
    $source_file AS source_file,
    $size_bytes AS size_bytes,
    $modified_at AS modified_at,
    $reason AS reason
WHERE $reason IS NOT NULL
