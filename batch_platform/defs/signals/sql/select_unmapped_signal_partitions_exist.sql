-- Whether a signal file (a raw.signal_files row) has no partition id: a warehouse made before
-- partition ids, or written by an older version since.
SELECT EXISTS (
    SELECT 1 FROM raw.signal_files AS f
    WHERE NOT EXISTS (
        SELECT 1 FROM raw.signal_partitions AS m WHERE m.partition_key = f.partition_key
    )
)
