-- The batch's row; a re-run keeps its first registered_at (read before the row is replaced).
SELECT
    $partition_key AS partition_key,
    $source_file AS source_file,
    coalesce($registered_at::TIMESTAMP, now()::TIMESTAMP) AS registered_at,
    $total_urls AS total_urls,
    $rejected_lines AS rejected_lines
