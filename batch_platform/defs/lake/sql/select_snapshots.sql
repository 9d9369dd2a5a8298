-- The lake's live snapshots: id and time.
SELECT snapshot_id, snapshot_time
FROM ducklake_snapshots($catalog)
ORDER BY snapshot_id
