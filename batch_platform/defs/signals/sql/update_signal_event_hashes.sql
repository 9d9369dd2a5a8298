-- Cleaned rows written before event_hash get it: the first 15 hex digits (60 bits) of event_key.
UPDATE clean.signals
SET event_hash = try_cast('0x' || substr(event_key, 1, 15) AS BIGINT)
WHERE event_hash IS NULL
