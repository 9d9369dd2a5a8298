-- Delete files under the data path that the catalog does not know and that were last written
-- before $older_than (left by writes that never committed); returns their paths.
CALL ducklake_delete_orphaned_files($catalog, older_than => $older_than)
