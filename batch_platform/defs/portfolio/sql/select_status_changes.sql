-- The office's canonical status this month differs from the baseline's; the client is the
-- firm record's.
SELECT
    o.month,
    o.registration_id,
    o.jurisdiction,
    o.mark,
    b.status AS previous_status,
    o.status AS current_status,
    o.office_status,
    b.observed_month AS baseline_month,
    o.as_of,
    f.client
FROM portfolio.office_snapshot AS o
INNER JOIN portfolio.baseline AS b
    ON b.month = o.month AND b.registration_id = o.registration_id
LEFT JOIN portfolio.firm_records AS f
    ON f.month = o.month AND f.registration_id = o.registration_id
WHERE o.month = $month AND o.fetch_state = 'succeeded' AND o.status <> b.status
