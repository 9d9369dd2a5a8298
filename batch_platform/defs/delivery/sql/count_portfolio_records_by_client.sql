-- Per client of the month's portfolio records: records, by kind, and how many every
-- destination of $destinations holds as delivered. Parameters: $month, $destinations.
WITH delivered AS (
    SELECT month, record_id, client, count(DISTINCT destination) AS destinations
    FROM delivery.portfolio_deliveries
    WHERE month = $month AND status = 'delivered'
        AND list_contains($destinations::VARCHAR[], destination)
    GROUP BY month, record_id, client
)
SELECT
    r.client,
    count(*) AS records,
    count(*) FILTER (WHERE r.kind = 'status_change') AS status_changes,
    count(*) FILTER (WHERE r.kind = 'renewal_due') AS renewals_due,
    count(*) FILTER (WHERE r.kind = 'mismatch') AS mismatches,
    count(*) FILTER (
        WHERE len($destinations::VARCHAR[]) > 0
            AND d.destinations = len($destinations::VARCHAR[])
    ) AS delivered
FROM delivery.portfolio_records AS r
LEFT JOIN delivered AS d USING (month, record_id, client)
WHERE r.month = $month
GROUP BY r.client
ORDER BY r.client
