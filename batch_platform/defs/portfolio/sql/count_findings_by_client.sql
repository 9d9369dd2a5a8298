-- Per client of the month's firm records: registrations, status changes, renewals due,
-- mismatches and failed fetches, by client. Parameters: $month.
WITH registrations AS (
    SELECT client, count(*) AS n FROM portfolio.firm_records WHERE month = $month GROUP BY client
),
changes AS (
    SELECT client, count(*) AS n FROM portfolio.status_changes WHERE month = $month GROUP BY client
),
renewals AS (
    SELECT client, count(*) AS n FROM portfolio.renewals_due WHERE month = $month GROUP BY client
),
mismatches AS (
    SELECT client, count(*) AS n FROM portfolio.mismatches WHERE month = $month GROUP BY client
),
failed AS (
    SELECT f.client, count(*) AS n
    FROM portfolio.office_snapshot AS o
    INNER JOIN portfolio.firm_records AS f
        ON f.month = o.month AND f.registration_id = o.registration_id
    WHERE o.month = $month AND o.fetch_state = 'failed'
    GROUP BY f.client
)
SELECT
    r.client,
    r.n AS registrations,
    coalesce(c.n, 0) AS status_changes,
    coalesce(d.n, 0) AS renewals_due,
    coalesce(m.n, 0) AS mismatches,
    coalesce(x.n, 0) AS failed
FROM registrations AS r
LEFT JOIN changes AS c USING (client)
LEFT JOIN renewals AS d USING (client)
LEFT JOIN mismatches AS m USING (client)
LEFT JOIN failed AS x USING (client)
ORDER BY r.client
