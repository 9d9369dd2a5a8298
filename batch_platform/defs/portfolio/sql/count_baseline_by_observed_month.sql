-- The month's baseline rows by the month they were observed in, newest first.
SELECT observed_month, count(*)
FROM portfolio.baseline
WHERE month = $month
GROUP BY ALL
ORDER BY 1 DESC
