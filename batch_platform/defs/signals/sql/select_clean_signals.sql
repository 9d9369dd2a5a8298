SELECT
    t.event_key, t.event_hash, rf.partition_key, t.partition_id, rf.source_file, t.source_line,
    t.n_event_id AS event_id, t.n_occurred_at AS occurred_at, t.canonical_source AS source,
    t.source_raw, t.canonical_type AS event_type, t.event_type_raw, t.n_email AS email,
    t.n_account_domain AS account_domain, t.n_properties AS properties,
    f.company_name, f.industry, f.employee_count, f.country
FROM typed_signals AS t
JOIN run_files AS rf USING (file_order)
LEFT JOIN clean.firmographics AS f ON f.domain = t.n_account_domain
ANTI JOIN duplicate_signals AS d ON d.file_order = t.file_order AND d.source_line = t.source_line
WHERE t.reason IS NULL
