-- Where the lake keeps its data files (a directory or an object-store prefix), as it is attached:
-- an embedded lake that was moved reads <directory>/data, whatever path its catalog recorded
-- when it was created (that recorded path, from ducklake_options, only if the attachment does
-- not say).
SELECT coalesce(
    (
        SELECT tags['data_path']
        FROM duckdb_databases()
        WHERE database_name = $catalog
    ),
    (
        SELECT value
        FROM ducklake_options($catalog)
        WHERE option_name = 'data_path' AND scope = 'GLOBAL'
    )
)
