-- Merge a table's files without deletes into one file of up to DuckLake's target size (at most
-- one per call: the caller repeats it while the table's file count drops). The merged file keeps
-- each row's snapshot, so time travel still works; the old files are scheduled for deletion.
CALL ducklake_merge_adjacent_files($catalog, $table, schema => $schema, max_compacted_files => 1)
