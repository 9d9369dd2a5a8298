-- The health report's registrations that failed to fetch, by priority, of every client or of
-- $client (the report adds the LIMIT).
SELECT f.client, o.registration_id, o.jurisdiction, o.attempts, o.retryable, o.error
FROM portfolio.office_snapshot AS o
LEFT JOIN portfolio.firm_records AS f
    ON f.month = o.month AND f.registration_id = o.registration_id
WHERE o.month = $month AND o.fetch_state = 'failed'
    AND ($client::VARCHAR IS NULL OR f.client = $client)
ORDER BY o.priority_rank
