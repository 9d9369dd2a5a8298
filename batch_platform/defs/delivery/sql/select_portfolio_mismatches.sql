-- The month's mismatches, to become portfolio records. Parameters: $month.
SELECT * EXCLUDE (month) FROM portfolio.mismatches WHERE month = $month
