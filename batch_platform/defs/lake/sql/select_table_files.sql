-- The data files of one table in the lake's current snapshot: path, size, whether rows of it
-- are deleted (a delete file applies to it).
SELECT data_file AS path, data_file_size_bytes AS size_bytes, delete_file IS NOT NULL AS has_deletes
FROM ducklake_list_files($catalog, $table, schema => $schema)
ORDER BY path
