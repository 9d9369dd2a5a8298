-- The normalised API results of the staged segments ($segments: their paths), for the write.
INSERT INTO portfolio_office_fetched BY NAME
SELECT * FROM read_parquet($segments)
