-- When the newest cleaned signal occurred (UTC), or NULL when there is none.
SELECT max(occurred_at) FROM clean.signals
