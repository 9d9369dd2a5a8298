-- The health report's renewals due, overdue first (the report adds the LIMIT).
SELECT registration_id, jurisdiction, mark, owner, next_renewal_date, days_until, date_source
FROM portfolio.renewals_due
WHERE month = $month
ORDER BY next_renewal_date, registration_id
