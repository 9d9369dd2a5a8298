-- The health report's registrations that failed to fetch, by priority (the report adds the LIMIT).
SELECT registration_id, jurisdiction, attempts, retryable, error
FROM portfolio.office_snapshot
WHERE month = $month AND fetch_state = 'failed'
ORDER BY priority_rank
