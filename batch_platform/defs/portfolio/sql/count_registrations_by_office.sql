-- How many firm registrations the month has per office.
SELECT jurisdiction, count(*) AS registrations
FROM portfolio.firm_records
WHERE month = $month
GROUP BY jurisdiction
ORDER BY jurisdiction
