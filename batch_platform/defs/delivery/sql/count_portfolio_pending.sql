-- The portfolio records waiting for a destination. Parameters: $destination.
SELECT count(*) FROM delivery.portfolio_deliveries
WHERE destination = $destination AND status = 'pending'
