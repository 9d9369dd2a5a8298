-- The month's registrations that failed to fetch, nearest renewal first, at most $limit.
SELECT registration_id, jurisdiction, attempts, error
FROM portfolio.office_snapshot
WHERE month = $month AND fetch_state = 'failed'
ORDER BY priority_rank
LIMIT $limit
