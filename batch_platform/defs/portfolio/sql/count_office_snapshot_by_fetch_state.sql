-- The month's office rows by fetch state.
SELECT fetch_state, count(*)
FROM portfolio.office_snapshot
WHERE month = $month
GROUP BY ALL
ORDER BY 1
