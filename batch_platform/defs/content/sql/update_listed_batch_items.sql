-- Items already known take the line, metadata and file of the (re-landed) list.
UPDATE content.batch_items AS i
SET line_number = n.line_number, metadata = n.metadata::JSON, source_file = $source_file
FROM listed AS n
WHERE i.partition_key = $partition_key AND i.url = n.url
