-- The health report's mismatches: every column but month and mark, in the table's order (the
-- report adds the LIMIT).
SELECT * EXCLUDE (month, mark)
FROM portfolio.mismatches
WHERE month = $month
ORDER BY registration_id
