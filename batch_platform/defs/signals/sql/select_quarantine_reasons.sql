-- The 20 most frequent reasons rows of each partition of the clean run were quarantined.
SELECT f.partition_key, t.reason, count(*) AS n_rows
FROM typed_signals AS t
JOIN run_files AS f USING (file_order)
WHERE t.reason IS NOT NULL
GROUP BY f.partition_key, t.reason
QUALIFY row_number() OVER (PARTITION BY partition_key ORDER BY count(*) DESC, reason) <= 20
