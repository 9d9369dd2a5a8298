SELECT
    c.event_key, c.partition_key, c.source_file, c.source_line, c.n_event_id AS event_id,
    c.n_occurred_at AS occurred_at, c.n_source AS source, c.canonical_type AS event_type,
    c.event_type AS original_event_type, c.n_email AS email,
    c.n_account_domain AS account_domain, c.n_properties AS properties,
    f.company_name, f.industry, f.employee_count, f.country
FROM classified_signals AS c
LEFT JOIN clean.firmographics AS f ON f.domain = c.n_account_domain
WHERE c.duplicate_scope IS NULL
ORDER BY c.source_line
