-- The event keys of other files' rows the clean step found within the de-duplication window
-- (history_keys), as the event-key check compares them with the run's cleaned rows.
CREATE OR REPLACE TEMP TABLE check_keys_elsewhere AS
SELECT DISTINCT event_key, event_hash FROM history_keys
