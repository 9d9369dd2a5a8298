-- The files of the report day ($report_date) shown in the report, at most $limit of them.
SELECT source_file, status, rows_in, rows_cleaned, rows_duplicate, rows_quarantined
FROM reports.file_accounting
WHERE report_date = $report_date
ORDER BY source_file
LIMIT $limit
