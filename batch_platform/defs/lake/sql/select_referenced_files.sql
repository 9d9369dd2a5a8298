-- Every data and delete file the catalog references, in any live snapshot, as a full path.
-- {metadata} is the lake's metadata catalog (__ducklake_metadata_<alias>); $data_path the data
-- path the lake is attached with (select_data_path). A path is relative to its table's, the
-- table's to its schema's, the schema's to the data path, unless marked absolute. Schemas and
-- tables keep one row per version: the latest names the path.
WITH schemas AS (
    SELECT
        s.schema_id,
        CASE WHEN s.path_is_relative::BOOLEAN THEN $data_path || s.path ELSE s.path END AS path
    FROM {metadata}.ducklake_schema AS s
    QUALIFY row_number() OVER (PARTITION BY s.schema_id ORDER BY s.begin_snapshot DESC) = 1
),

tables AS (
    SELECT
        t.table_id,
        CASE WHEN t.path_is_relative::BOOLEAN THEN s.path || t.path ELSE t.path END AS path
    FROM {metadata}.ducklake_table AS t
    INNER JOIN schemas AS s ON t.schema_id = s.schema_id
    QUALIFY row_number() OVER (PARTITION BY t.table_id ORDER BY t.begin_snapshot DESC) = 1
),

files AS (
    SELECT table_id, path, path_is_relative FROM {metadata}.ducklake_data_file
    UNION ALL
    SELECT table_id, path, path_is_relative FROM {metadata}.ducklake_delete_file
)

SELECT DISTINCT CASE WHEN f.path_is_relative::BOOLEAN THEN t.path || f.path ELSE f.path END AS path
FROM files AS f
INNER JOIN tables AS t ON f.table_id = t.table_id
ORDER BY path
