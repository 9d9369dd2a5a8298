-- Quarantined rows keep their original values, read back from raw.signals.
SELECT
    r.partition_key, t.partition_id, r.source_file, r.source_line, t.reason, r.event_id,
    r.occurred_at, r.source, r.event_type, r.email, r.account_domain, r.properties, r.extra_columns
FROM typed_signals AS t
JOIN run_files AS f USING (file_order)
JOIN raw.signals AS r ON r.partition_key = f.partition_key AND r.source_line = t.source_line
WHERE t.reason IS NOT NULL AND r.partition_id IN ({run_partition_ids})
