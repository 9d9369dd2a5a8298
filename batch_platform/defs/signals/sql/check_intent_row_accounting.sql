-- Per file of the run ($partition_keys): data rows read that are not in exactly one of
-- clean.intent_signals, clean.intent_signal_duplicates and quarantine.intent_rows (lines are
-- numbered 1..data_rows, so counts, distinct lines and the highest line tell it exactly).
WITH placed AS (
    SELECT partition_key, source_line FROM clean.intent_signals
    WHERE list_contains($partition_keys, partition_key)
    UNION ALL
    SELECT partition_key, source_line FROM clean.intent_signal_duplicates
    WHERE list_contains($partition_keys, partition_key)
    UNION ALL
    SELECT partition_key, source_line FROM quarantine.intent_rows
    WHERE list_contains($partition_keys, partition_key)
),
per_file AS (
    SELECT
        partition_key, count(*) AS placed, count(DISTINCT source_line) AS distinct_lines,
        max(source_line) AS last_line
    FROM placed
    GROUP BY partition_key
)
SELECT
    f.partition_key,
    greatest(
        abs(f.data_rows - coalesce(p.placed, 0)),
        coalesce(p.placed - p.distinct_lines, 0),
        CASE WHEN coalesce(p.last_line, 0) <> f.data_rows THEN 1 ELSE 0 END
    ) AS failing
FROM raw.intent_files AS f
LEFT JOIN per_file AS p USING (partition_key)
WHERE list_contains($partition_keys, f.partition_key)
