-- Rewrite a table's files whose deleted share of rows is at least $delete_threshold, without
-- the deleted rows (the old files are scheduled for deletion).
CALL ducklake_rewrite_data_files($catalog, $table, schema => $schema, delete_threshold => $delete_threshold)
