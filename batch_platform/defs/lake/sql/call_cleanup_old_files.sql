-- Delete the files scheduled for deletion before $older_than; returns their paths.
CALL ducklake_cleanup_old_files($catalog, older_than => $older_than)
