-- The rows of one lead-score model (its models row, or its weights), staged as model_rows.
SELECT * FROM model_rows
