-- The report row of one day, from the values the report computed (all bound as parameters).
SELECT
    $report_date::DATE AS report_date,
    $files_loaded AS files_loaded,
    $files_quarantined AS files_quarantined,
    $rows_in AS rows_in,
    $rows_cleaned AS rows_cleaned,
    $rows_duplicate AS rows_duplicate,
    $rows_quarantined AS rows_quarantined,
    $contacts_scored AS contacts_scored,
    $mqls AS mqls,
    $newest::TIMESTAMP AS newest_event_at,
    $delay::DOUBLE AS data_delay_hours,
    $markdown AS report_markdown
