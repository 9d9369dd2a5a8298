-- The one row describing a landed file. Parameters: $partition_key, $source_file, $file_format,
-- $size_bytes, $modified_at, $data_rows, $status ('loaded' or 'quarantined').
SELECT
    $partition_key AS partition_key,
    $source_file AS source_file,
    $file_format AS file_format,
    $size_bytes AS size_bytes,
    $modified_at AS modified_at,
    $data_rows AS data_rows,
    $status AS status
