-- How many files wait in the catalog for their deletion.
SELECT count(*)
FROM {metadata}.ducklake_files_scheduled_for_deletion
