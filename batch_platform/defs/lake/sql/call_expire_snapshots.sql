-- Expire the snapshots taken before $older_than (never the latest); returns the expired ones.
-- Files only they referenced are scheduled for deletion.
CALL ducklake_expire_snapshots($catalog, older_than => $older_than)
