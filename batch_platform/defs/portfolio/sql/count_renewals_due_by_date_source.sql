-- The month's renewals due by where their date came from ('office' or 'firm_records').
SELECT date_source, count(*)
FROM portfolio.renewals_due
WHERE month = $month
GROUP BY ALL
