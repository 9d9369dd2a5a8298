SELECT partition_key, source_file, source_line, duplicate_of_file, duplicate_of_line
FROM duplicate_intent
