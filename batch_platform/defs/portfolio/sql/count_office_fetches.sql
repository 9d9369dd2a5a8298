-- The month's registrations, and its office rows by fetch outcome.
SELECT
    (SELECT count(*) FROM portfolio.firm_records WHERE month = $month) AS registrations,
    count(*) FILTER (fetch_state = 'succeeded') AS succeeded,
    count(*) FILTER (fetch_state = 'failed') AS failed,
    count(*) FILTER (attempts > 1) AS retried
FROM portfolio.office_snapshot
WHERE month = $month
