-- The cleaned rows of the run's partitions ({run_partition_ids}: their ids, {run_partition_keys}:
-- their keys, both literal lists: a view takes no parameters) as the event-key check reads them:
-- a view, so nothing is copied. The common check (against history_keys) reads it twice, the
-- hashes and then the candidates' keys, both from the lake (10M rows: 1.18 s against 1.49 s for a
-- copy); a check run on its own also reads it for the run's days and the other files' keys.
CREATE OR REPLACE TEMP VIEW check_run_keys AS
SELECT partition_id, event_key, event_hash, occurred_at
FROM clean.signals
WHERE partition_id IN ({run_partition_ids})
    AND list_contains({run_partition_keys}, partition_key)
