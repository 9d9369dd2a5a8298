-- One firmographics CSV file ($path) as read, every column as text.
CREATE OR REPLACE TEMP TABLE firmographics_read AS
SELECT * FROM read_csv($path, header = true, all_varchar = true, null_padding = true)
