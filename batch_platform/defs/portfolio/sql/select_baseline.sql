-- Per current registration, the latest successful office observation of an earlier month.
SELECT
    $month::DATE AS month,
    registration_id,
    month AS observed_month,
    status,
    owner,
    next_renewal_date,
    as_of
FROM portfolio.office_snapshot
WHERE
    month < $month
    AND fetch_state = 'succeeded'
    AND registration_id IN (
        SELECT f.registration_id FROM portfolio.firm_records AS f WHERE f.month = $month
    )
QUALIFY row_number() OVER (PARTITION BY registration_id ORDER BY month DESC) = 1
