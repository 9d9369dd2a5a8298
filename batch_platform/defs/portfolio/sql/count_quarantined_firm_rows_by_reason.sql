-- The month's 20 most common quarantine reasons.
SELECT reason, count(*)
FROM quarantine.portfolio_firm_rows
WHERE month = $month
GROUP BY reason
ORDER BY count(*) DESC, reason
LIMIT 20
