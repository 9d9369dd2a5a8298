-- The month's portfolio records per destination and state. Parameters: $month.
SELECT destination, status, count(*) AS records
FROM delivery.portfolio_deliveries
WHERE month = $month
GROUP BY destination, status
ORDER BY destination, status
