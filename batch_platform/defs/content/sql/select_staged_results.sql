-- Every result staged in the batch's segments ($segments, oldest first: their names sort in the
-- order they were written), without its body: where it is (segment file, row), whether it is
-- the latest result of its URL and whether it is the latest success of its URL, and the attempts
-- of all the URL's results (a URL one run left canceled and the next fetched has two).
SELECT * EXCLUDE (body),
    row_number() OVER (
        PARTITION BY url ORDER BY filename DESC, file_row_number DESC
    ) = 1 AS latest,
    state = 'succeeded' AND row_number() OVER (
        PARTITION BY url, state = 'succeeded' ORDER BY filename DESC, file_row_number DESC
    ) = 1 AS latest_success,
    sum(attempts) OVER (PARTITION BY url) AS url_attempts
FROM read_parquet($segments, filename = true, file_row_number = true, union_by_name = true)
