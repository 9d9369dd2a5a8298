-- Register a batch; a re-run keeps its first registered_at (the old row was read and deleted).
INSERT INTO content.batches BY NAME
SELECT
    $partition_key AS partition_key,
    $source_file AS source_file,
    coalesce($registered_at::TIMESTAMP, now()::TIMESTAMP) AS registered_at,
    $total_urls AS total_urls,
    $rejected_lines AS rejected_lines
