-- The health report's quarantined firm-record rows (the report adds the LIMIT).
SELECT source_file, source_line, registration_id, reason
FROM quarantine.portfolio_firm_rows
WHERE month = $month
ORDER BY source_file, source_line
