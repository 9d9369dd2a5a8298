-- |registrations in firm records - (fetched + failed)| plus office rows without a firm record.
SELECT
    abs(
        (SELECT count(*) FROM portfolio.firm_records WHERE month = $month)
        - (
            SELECT count(*) FROM portfolio.office_snapshot
            WHERE month = $month AND fetch_state IN ('succeeded', 'failed')
        )
    )
    + (
        SELECT count(*) FROM portfolio.office_snapshot AS o
        WHERE
            o.month = $month
            AND o.registration_id NOT IN (
                SELECT f.registration_id FROM portfolio.firm_records AS f WHERE f.month = $month
            )
    )
