-- The 20 most frequent reasons rows of each partition of the clean run were quarantined.
SELECT partition_key, reason, count(*) AS n_rows
FROM typed_signals
WHERE reason IS NOT NULL
GROUP BY partition_key, reason
QUALIFY row_number() OVER (PARTITION BY partition_key ORDER BY count(*) DESC, reason) <= 20
