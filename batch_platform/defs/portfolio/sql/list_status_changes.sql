-- The health report's status changes, of every client or of $client (the report adds the LIMIT).
SELECT client, registration_id, jurisdiction, mark, previous_status, current_status, baseline_month
FROM portfolio.status_changes
WHERE month = $month AND ($client::VARCHAR IS NULL OR client = $client)
ORDER BY client, registration_id
