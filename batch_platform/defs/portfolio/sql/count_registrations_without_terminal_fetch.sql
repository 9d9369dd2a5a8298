-- Firm registrations of the month whose office row is missing, in no terminal state, or failed
-- without an error.
SELECT count(*)
FROM portfolio.firm_records AS f
LEFT JOIN portfolio.office_snapshot AS o
    ON o.month = f.month AND o.registration_id = f.registration_id
WHERE
    f.month = $month
    AND (
        o.fetch_state IS NULL
        OR o.fetch_state NOT IN ('succeeded', 'failed')
        OR (o.fetch_state = 'failed' AND o.error IS NULL)
    )
