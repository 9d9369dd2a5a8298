-- How many pages and chunks a batch has (the totals of GET /v1/batches/{id}/results).
SELECT
    (SELECT count(*) FROM content.pages WHERE partition_key = $batch) AS pages,
    (SELECT count(*) FROM content.chunks WHERE partition_key = $batch) AS chunks
