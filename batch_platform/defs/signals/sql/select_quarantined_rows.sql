SELECT
    partition_key, source_file, source_line, reason, event_id, occurred_at, source, event_type,
    email, account_domain, properties, extra_columns
FROM typed_signals
WHERE reason IS NOT NULL
ORDER BY source_line
