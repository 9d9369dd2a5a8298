-- Every file under the lake's data path, with its size (the contents are not read).
SELECT filename AS path, size
FROM read_blob($pattern)
