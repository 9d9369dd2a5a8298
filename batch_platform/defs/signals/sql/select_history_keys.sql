-- De-duplication against history, one scan of the window ({window}: a condition on
-- occurred_at): rows kept by files outside the run ($partition_keys) whose event_hash is that of
-- a valid row of the run (typed_signals). The window lets the lake skip the data files of other
-- times; event_hash is compared first (an integer), event_key decides.
SELECT s.event_hash, s.event_key, s.source_file, s.source_line
FROM clean.signals AS s
WHERE {window}
    AND s.event_hash IN (SELECT event_hash FROM typed_signals WHERE reason IS NULL)
    AND NOT list_contains($partition_keys, s.partition_key)
