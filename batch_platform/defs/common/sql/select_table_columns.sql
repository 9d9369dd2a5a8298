-- The columns of one table of the warehouse, in order. Parameters: schema, name.
SELECT column_name, data_type
FROM information_schema.columns
WHERE table_catalog = current_database() AND table_schema = $schema AND table_name = $name
ORDER BY ordinal_position
