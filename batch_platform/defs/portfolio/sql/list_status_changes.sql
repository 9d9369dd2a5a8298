-- The health report's status changes (the report adds the LIMIT).
SELECT registration_id, jurisdiction, mark, previous_status, current_status, baseline_month
FROM portfolio.status_changes
WHERE month = $month
ORDER BY registration_id
