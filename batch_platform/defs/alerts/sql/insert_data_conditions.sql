-- One evaluation of the data conditions (registered as condition_rows).
INSERT INTO alerts.data_conditions BY NAME
SELECT * FROM condition_rows
