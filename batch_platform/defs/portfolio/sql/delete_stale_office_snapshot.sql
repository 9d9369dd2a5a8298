-- Office rows of registrations no longer in the month's firm records; returns the count deleted.
DELETE FROM portfolio.office_snapshot
WHERE
    month = $month
    AND registration_id NOT IN (
        SELECT f.registration_id FROM portfolio.firm_records AS f WHERE f.month = $month
    )
