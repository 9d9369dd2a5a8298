-- The valid, first-seen rows of typed_intent (see stage_duplicate_intent.sql).
SELECT
    t.partition_key, t.source_file, t.source_line, t.n_account_domain AS account_domain,
    t.n_topic AS topic, t.topic AS topic_raw, t.n_score AS score, t.n_date AS signal_date
FROM typed_intent AS t
WHERE t.reason IS NULL
    AND NOT EXISTS (
        SELECT 1 FROM duplicate_intent AS d
        WHERE d.partition_key = t.partition_key AND d.source_line = t.source_line
    )
