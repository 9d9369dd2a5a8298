-- Account-topics of month $m per trend.
SELECT trend, count(*)
FROM reports.monthly_intent
WHERE month_start = $m
GROUP BY 1
