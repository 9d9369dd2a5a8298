-- Items the run did not finish; a re-run fetches them.
UPDATE content.batch_items
SET state = 'canceled', run_id = $run_id, error = 'the run stopped before this URL finished',
    finished_at = now()::TIMESTAMP
WHERE partition_key = $partition_key AND state = 'queued'
