-- The month's portfolio records that a destination neither holds as delivered nor as waiting
-- or given up with a reason. Parameters: $month, $destinations (names).
SELECT count(*)
FROM delivery.portfolio_records AS r
CROSS JOIN (SELECT unnest($destinations::VARCHAR[]) AS destination) AS d
LEFT JOIN delivery.portfolio_deliveries AS p
    ON p.destination = d.destination AND p.month = r.month AND p.record_id = r.record_id
    AND p.client = r.client
WHERE r.month = $month
    AND (p.status IS NULL OR (p.status <> 'delivered' AND p.last_error IS NULL))
