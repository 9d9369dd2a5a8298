-- Files and rows of the report day ($report_date): files loaded, files quarantined, rows in,
-- cleaned, duplicate and quarantined.
SELECT
    count(*) FILTER (WHERE status = 'loaded'),
    count(*) FILTER (WHERE status = 'quarantined'),
    coalesce(sum(rows_in), 0),
    coalesce(sum(rows_cleaned), 0),
    coalesce(sum(rows_duplicate), 0),
    coalesce(sum(rows_quarantined), 0)
FROM reports.file_accounting
WHERE report_date = $report_date
