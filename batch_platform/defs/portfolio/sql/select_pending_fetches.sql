-- Registrations of the month without a successful office record yet, nearest renewal first.
WITH ranked AS (
    SELECT
        registration_id,
        jurisdiction,
        row_number() OVER (ORDER BY next_renewal_date NULLS LAST, registration_id) AS priority_rank
    FROM portfolio.firm_records
    WHERE month = $month
)
SELECT r.registration_id, r.jurisdiction, r.priority_rank
FROM ranked AS r
LEFT JOIN portfolio.office_snapshot AS o
    ON o.month = $month AND o.registration_id = r.registration_id
WHERE $refetch_all OR o.fetch_state IS DISTINCT FROM 'succeeded'
ORDER BY r.priority_rank
