-- Both writes of the office snapshot (from snapshot files, or folding in staged API results)
-- rewrite the month: a row for every registration of the month.
CREATE OR REPLACE TEMP TABLE portfolio_fetch_targets AS
SELECT registration_id FROM portfolio_fetch_priority
