-- How many jurisdictions the month's firm records span.
SELECT count(DISTINCT jurisdiction) FROM portfolio.firm_records WHERE month = $month
