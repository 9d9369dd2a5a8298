-- Registrations of the month without a successful office record yet (in the warehouse, or with
-- $refetch_all at all), less those a staged segment holds a success for; nearest renewal first.
SELECT p.registration_id, p.jurisdiction, p.priority_rank
FROM portfolio_fetch_priority AS p
LEFT JOIN portfolio.office_snapshot AS o
    ON o.month = $month AND o.registration_id = p.registration_id
WHERE
    ($refetch_all OR o.fetch_state IS DISTINCT FROM 'succeeded')
    AND p.registration_id NOT IN (SELECT s.registration_id FROM portfolio_staged_successes AS s)
ORDER BY p.priority_rank
