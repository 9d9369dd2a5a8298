-- Invalid rows of typed_intent with their values as the file wrote them.
SELECT
    partition_key, source_file, source_line, reason, account_domain, topic, score,
    date AS signal_date
FROM typed_intent
WHERE reason IS NOT NULL
