-- Files of the report days $first..$last whose rows in differ from cleaned + duplicate +
-- quarantined rows.
SELECT count(*)
FROM reports.file_accounting
WHERE report_date BETWEEN $first AND $last
    AND rows_in <> rows_cleaned + rows_duplicate + rows_quarantined
