-- The health report's mismatches, of every client or of $client: the client, then every column
-- but month and mark in the table's order (the report adds the LIMIT).
SELECT client, * EXCLUDE (month, mark, client)
FROM portfolio.mismatches
WHERE month = $month AND ($client::VARCHAR IS NULL OR client = $client)
ORDER BY client, registration_id
