-- Registrations of the month without a successful office record yet, nearest renewal first.
SELECT p.registration_id, p.jurisdiction, p.priority_rank
FROM portfolio_fetch_priority AS p
LEFT JOIN portfolio.office_snapshot AS o
    ON o.month = $month AND o.registration_id = p.registration_id
WHERE $refetch_all OR o.fetch_state IS DISTINCT FROM 'succeeded'
ORDER BY p.priority_rank
