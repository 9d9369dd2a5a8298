-- Event keys of the partition kept twice: within it, or also kept by another partition.
-- Parameter: $partition_key.
WITH mine AS (
    SELECT event_key FROM clean.signals WHERE partition_key = $partition_key
)
SELECT
    (SELECT count(*) - count(DISTINCT event_key) FROM mine)
    + (SELECT count(*) FROM clean.signals AS s
        WHERE s.partition_key <> $partition_key
            AND s.event_key IN (SELECT event_key FROM mine))
