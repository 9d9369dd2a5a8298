-- Per file of the run ($partition_keys): kept intent rows whose (account_domain, topic,
-- signal_date) is kept more than once in clean.intent_signals.
SELECT s.partition_key, count(*) AS failing
FROM clean.intent_signals AS s
JOIN (
    SELECT account_domain, topic, signal_date
    FROM clean.intent_signals
    GROUP BY ALL
    HAVING count(*) > 1
) AS repeated USING (account_domain, topic, signal_date)
WHERE list_contains($partition_keys, s.partition_key)
GROUP BY s.partition_key
