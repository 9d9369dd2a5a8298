-- The month's status changes, to become portfolio records. Parameters: $month.
SELECT * EXCLUDE (month) FROM portfolio.status_changes WHERE month = $month
