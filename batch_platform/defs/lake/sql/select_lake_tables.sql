-- The tables of the attached lake (the connection's default catalog), schema by schema.
SELECT schema_name, table_name
FROM duckdb_tables()
WHERE database_name = current_database()
ORDER BY schema_name, table_name
