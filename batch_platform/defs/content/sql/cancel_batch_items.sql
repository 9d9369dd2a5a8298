-- Items no staged result finished (the list changed while the batch ran); a re-run fetches them.
UPDATE content.batch_items
SET state = 'canceled', run_id = $run_id, error = $reason, finished_at = now()::TIMESTAMP
WHERE partition_key = $partition_key AND state = 'queued'
