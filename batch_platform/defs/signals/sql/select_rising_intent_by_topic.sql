-- Accounts with rising or new research per topic in month $month, most first.
SELECT topic, count(*)
FROM reports.monthly_intent
WHERE month_start = $month AND trend IN ('rising', 'new')
GROUP BY topic
ORDER BY 2 DESC, 1
