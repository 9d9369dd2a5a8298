-- The health report's renewals due, overdue first, of every client or of $client (the report
-- adds the LIMIT).
SELECT client, registration_id, jurisdiction, mark, owner, next_renewal_date, days_until, date_source
FROM portfolio.renewals_due
WHERE month = $month AND ($client::VARCHAR IS NULL OR client = $client)
ORDER BY next_renewal_date, client, registration_id
