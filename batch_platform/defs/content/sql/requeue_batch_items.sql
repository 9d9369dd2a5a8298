-- Whatever a previous run left unfinished is queued again (checkpoint/resume).
UPDATE content.batch_items SET state = 'queued', error = NULL
WHERE partition_key = $partition_key AND state NOT IN ('succeeded', 'skipped')
