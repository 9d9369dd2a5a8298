-- Registered marks whose next renewal is on or before $horizon_end (sweep date + 90 days),
-- overdue ones included (negative days_until): the office's status and date when fetched,
-- the firm's record otherwise.
WITH current_state AS (
    SELECT
        f.registration_id,
        f.jurisdiction,
        f.client,
        coalesce(o.mark, f.mark) AS mark,
        coalesce(o.owner, f.owner) AS owner,
        CASE WHEN o.fetch_state = 'succeeded' THEN o.status ELSE f.status END AS status,
        CASE
            WHEN o.fetch_state = 'succeeded' AND o.next_renewal_date IS NOT NULL
                THEN o.next_renewal_date
            ELSE f.next_renewal_date
        END AS next_renewal_date,
        CASE
            WHEN o.fetch_state = 'succeeded' AND o.next_renewal_date IS NOT NULL THEN 'office'
            ELSE 'firm_records'
        END AS date_source
    FROM portfolio.firm_records AS f
    LEFT JOIN portfolio.office_snapshot AS o
        ON o.month = f.month AND o.registration_id = f.registration_id
    WHERE f.month = $month
)

SELECT
    $month::DATE AS month,
    registration_id,
    jurisdiction,
    mark,
    owner,
    next_renewal_date,
    date_diff('day', $sweep_date::DATE, next_renewal_date)::INTEGER AS days_until,
    date_source,
    client
FROM current_state
WHERE
    status = 'registered'
    AND next_renewal_date <= $horizon_end::DATE
