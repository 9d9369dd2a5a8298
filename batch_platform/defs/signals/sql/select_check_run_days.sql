-- The UTC days of the run's cleaned rows (check_run_keys): the event-key check compares them
-- with the history of the same window de-duplication compared them with.
SELECT DISTINCT date_trunc('day', occurred_at)::TIMESTAMP FROM check_run_keys
